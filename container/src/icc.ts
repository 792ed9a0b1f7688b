/**
 * Recognises embedded ICC profiles that describe sRGB, so that decoding can skip the colour transform for
 * them. libvips builds a LittleCMS transform for every image that carries a profile (milliseconds, whatever
 * the image's size), and from sRGB to sRGB that transform changes nothing beyond rounding. Most phones and
 * cameras embed exactly such a profile.
 *
 * A profile counts as sRGB only when LittleCMS would itself use its matrix and curves (no A2B/D2B lookup
 * tables, which it prefers for the perceptual intent libvips asks for), its colorants are sRGB's (D50-adapted)
 * and each of its three curves re-encodes every 8-bit level to itself within a fraction of a level. The name
 * in its description is not trusted.
 *
 * Other matrix-and-curves profiles (Display P3, Adobe RGB, a grey gamma 2.2, …) are "matrix": converted here
 * with their curves as 256-entry tables and one 3 × 3 matrix to sRGB, built once per profile and remembered,
 * where LittleCMS would build a transform for every image. Anything else (lookup tables, CMYK, Lab, anything
 * malformed) is "other": libvips converts it as before. Pure: bytes in, a verdict out; pixels in, pixels out.
 */

/** sRGB's colorants adapted to D50 (Bradford), as every sRGB profile stores them (IEC 61966-2-1 Annex). */
const SRGB_COLORANTS: Record<"rXYZ" | "gXYZ" | "bXYZ", readonly [number, number, number]> = {
  rXYZ: [0.436065, 0.222488, 0.013916],
  gXYZ: [0.385147, 0.716873, 0.097076],
  bXYZ: [0.143066, 0.060608, 0.714096],
};
/**
 * How far a colorant may be from sRGB's (each of X, Y, Z): profiles written by different tools differ in the
 * fourth decimal at most. 3e-4 moves no 8-bit level by more than about 0.15.
 */
const COLORANT_TOLERANCE = 3e-4;
/** How far a curve may re-encode an 8-bit level from itself, in levels. */
const CURVE_TOLERANCE_LEVELS = 0.2;
/** Tags that make LittleCMS use lookup tables instead of the matrix and curves. */
const LUT_TAGS = new Set(["A2B0", "A2B1", "A2B2", "D2B0", "D2B1", "D2B2"]);

export type ProfileKind = "srgb" | "matrix" | "other";

/** A matrix-and-curves profile's conversion to sRGB, per 8-bit pixel. */
export interface MatrixConversion {
  /** A grey profile (one curve, no matrix). */
  grey: boolean;
  /** Each channel's 8-bit level to linear light 0–1 (one table for grey). */
  toLinear: Float64Array[];
  /** Linear source RGB to linear sRGB, row-major (identity for grey). */
  matrix: Float64Array;
}

export type Profile = { kind: "srgb" } | { kind: "matrix"; conversion: MatrixConversion } | { kind: "other" };

/** sRGB's encoding of linear light 0–1 (IEC 61966-2-1). */
function srgbEncode(linear: number): number {
  return linear <= 0.0031308 ? 12.92 * linear : 1.055 * linear ** (1 / 2.4) - 0.055;
}

/** A tone curve (`curv` or `para`) as a function on 0–1, or null when it is malformed or unknown. */
function readCurve(view: DataView, offset: number, size: number): ((x: number) => number) | null {
  if (size < 12 || offset + size > view.byteLength) return null;
  const type = view.getUint32(offset);
  if (type === 0x63757276 /* curv */) {
    const n = view.getUint32(offset + 8);
    if (12 + 2 * n > size) return null;
    if (n === 0) return (x) => x; // the identity
    if (n === 1) {
      const gamma = view.getUint16(offset + 12) / 256; // u8Fixed8Number
      return (x) => x ** gamma;
    }
    const table = Array.from({ length: n }, (_, i) => view.getUint16(offset + 12 + 2 * i) / 65535);
    return (x) => {
      const at = x * (n - 1);
      const i = Math.min(n - 2, Math.floor(at));
      return (table[i] as number) + ((table[i + 1] as number) - (table[i] as number)) * (at - i);
    };
  }
  if (type === 0x70617261 /* para */) {
    const fn = view.getUint16(offset + 8);
    const counts = [1, 3, 4, 5, 7];
    const count = counts[fn];
    if (count === undefined || 12 + 4 * count > size) return null;
    const p = Array.from({ length: count }, (_, i) => view.getInt32(offset + 12 + 4 * i) / 65536);
    const [g = 1, a = 1, b = 0, c = 0, d = 0, e = 0, f = 0] = p;
    if (fn === 0) return (x) => x ** g;
    if (fn === 1) return (x) => (x >= -b / a ? (a * x + b) ** g : 0);
    if (fn === 2) return (x) => (x >= -b / a ? (a * x + b) ** g + c : c);
    if (fn === 3) return (x) => (x >= d ? (a * x + b) ** g : c * x);
    return (x) => (x >= d ? (a * x + b) ** g + e : c * x + f);
  }
  return null;
}

const OTHER: Profile = { kind: "other" };

/**
 * An embedded profile's verdict and, for a matrix-and-curves one, its conversion to sRGB.
 *
 * @example
 * const profile = readProfile(meta.icc);
 * if (profile.kind === "matrix") toSrgb(pixels, profile.conversion);
 */
export function readProfile(profile: Uint8Array | undefined): Profile {
  if (!profile || profile.length < 132) return OTHER;
  // The same few profiles arrive again and again (every photo of a phone model carries the same one): their
  // verdicts are remembered, keyed by the bytes themselves, so no two profiles can share one.
  if (profile.length > CACHED_PROFILE_MAX_BYTES) return classify(profile);
  const key = Buffer.from(profile.buffer, profile.byteOffset, profile.byteLength).toString("latin1");
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict = classify(profile);
    if (verdicts.size >= CACHED_PROFILES) verdicts.clear();
    verdicts.set(key, verdict);
  }
  return verdict;
}

/** Profiles up to this size have their verdict remembered (matrix profiles are 0.5–20 KB), in bytes. */
const CACHED_PROFILE_MAX_BYTES = 32 * 1024;
/** How many verdicts are remembered before the memory starts again: at most 64 × 32 KB. */
const CACHED_PROFILES = 64;
const verdicts = new Map<string, Profile>();

/** A 3 × 3 matrix's inverse, row-major. */
function invert(m: readonly number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m as [number, number, number, number, number, number, number, number, number];
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    (e * i - f * h) / det,
    (c * h - b * i) / det,
    (b * f - c * e) / det,
    (f * g - d * i) / det,
    (a * i - c * g) / det,
    (c * d - a * f) / det,
    (d * h - e * g) / det,
    (b * g - a * h) / det,
    (a * e - b * d) / det,
  ];
}

/** sRGB's colorants as the columns of its linear-RGB-to-XYZ (D50) matrix. */
const SRGB_TO_XYZ = [0, 1, 2].flatMap((row) =>
  [SRGB_COLORANTS.rXYZ, SRGB_COLORANTS.gXYZ, SRGB_COLORANTS.bXYZ].map((column) => column[row] as number),
);
const XYZ_TO_SRGB = invert(SRGB_TO_XYZ);

/** A curve as a table of linear light for each 8-bit level, or null when one level is not a number. */
function curveTable(curve: (x: number) => number): Float64Array | null {
  const table = new Float64Array(256);
  for (let level = 0; level <= 255; level++) {
    const linear = curve(level / 255);
    if (!Number.isFinite(linear)) return null;
    table[level] = Math.min(1, Math.max(0, linear));
  }
  return table;
}

/** Linear light 0–1 in 1/65535 steps to the 8-bit sRGB level, as LittleCMS's 8-bit output rounds it. */
const ENCODE_STEPS = 65535;
const SRGB_ENCODE = Uint8Array.from({ length: ENCODE_STEPS + 1 }, (_, i) =>
  Math.round(255 * srgbEncode(i / ENCODE_STEPS)),
);

/**
 * Converts 8-bit pixels from a matrix-and-curves profile to sRGB, in place: each level to linear light
 * through the profile's curve, the matrix (clipped to sRGB's gamut, as LittleCMS clips), sRGB's encoding.
 * Alpha is left alone.
 *
 * @example
 * toSrgb({ data, width: 512, height: 384, channels: 3 }, conversion);
 */
export function toSrgb(
  pixels: { data: Uint8Array; width: number; height: number; channels: number },
  conversion: MatrixConversion,
): void {
  const { data, width, height, channels } = pixels;
  const count = width * height;
  if (conversion.grey || channels < 3) {
    convertGrey(data, count, channels, conversion.toLinear[0] as Float64Array, SRGB_ENCODE);
  } else {
    const [lr, lg, lb] = conversion.toLinear as [Float64Array, Float64Array, Float64Array];
    convertRgb(data, count, channels, lr, lg, lb, conversion.matrix, SRGB_ENCODE);
  }
}

// The loops take every table as an argument: module constants read in a hot loop cost (see analyse.ts).
function convertGrey(data: Uint8Array, count: number, channels: number, lin: Float64Array, encode: Uint8Array): void {
  for (let i = 0, o = 0; i < count; i++, o += channels) {
    data[o] = encode[((lin[data[o] as number] as number) * 65535 + 0.5) | 0] as number;
  }
}

function convertRgb(
  data: Uint8Array,
  count: number,
  channels: number,
  lr: Float64Array,
  lg: Float64Array,
  lb: Float64Array,
  m: Float64Array,
  encode: Uint8Array,
): void {
  const m0 = m[0] as number;
  const m1 = m[1] as number;
  const m2 = m[2] as number;
  const m3 = m[3] as number;
  const m4 = m[4] as number;
  const m5 = m[5] as number;
  const m6 = m[6] as number;
  const m7 = m[7] as number;
  const m8 = m[8] as number;
  for (let i = 0, o = 0; i < count; i++, o += channels) {
    const r = lr[data[o] as number] as number;
    const g = lg[data[o + 1] as number] as number;
    const b = lb[data[o + 2] as number] as number;
    // Clipped to 0–1 (sRGB's gamut, as LittleCMS clips), then to the nearest of 65 536 steps.
    const R = m0 * r + m1 * g + m2 * b;
    const G = m3 * r + m4 * g + m5 * b;
    const B = m6 * r + m7 * g + m8 * b;
    data[o] = encode[R <= 0 ? 0 : R >= 1 ? 65535 : (R * 65535 + 0.5) | 0] as number;
    data[o + 1] = encode[G <= 0 ? 0 : G >= 1 ? 65535 : (G * 65535 + 0.5) | 0] as number;
    data[o + 2] = encode[B <= 0 ? 0 : B >= 1 ? 65535 : (B * 65535 + 0.5) | 0] as number;
  }
}

function classify(profile: Uint8Array): Profile {
  const view = new DataView(profile.buffer, profile.byteOffset, profile.byteLength);
  const ascii = (at: number) => String.fromCharCode(...profile.subarray(at, at + 4));
  const space = ascii(16);
  if (ascii(36) !== "acsp" || (space !== "RGB " && space !== "GRAY") || ascii(20) !== "XYZ ") return OTHER;
  const tagCount = view.getUint32(128);
  if (132 + 12 * tagCount > profile.length) return OTHER;
  const tags = new Map<string, { offset: number; size: number }>();
  for (let i = 0; i < tagCount; i++) {
    const at = 132 + 12 * i;
    tags.set(ascii(at), { offset: view.getUint32(at + 4), size: view.getUint32(at + 8) });
  }
  for (const sig of tags.keys()) if (LUT_TAGS.has(sig)) return OTHER;
  const table = (sig: string) => {
    const tag = tags.get(sig);
    const curve = tag ? readCurve(view, tag.offset, tag.size) : null;
    return curve ? curveTable(curve) : null;
  };

  if (space === "GRAY") {
    const grey = table("kTRC");
    return grey
      ? {
          kind: "matrix",
          conversion: { grey: true, toLinear: [grey], matrix: Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1) },
        }
      : OTHER;
  }
  const colorants: number[][] = [];
  for (const sig of ["rXYZ", "gXYZ", "bXYZ"]) {
    const tag = tags.get(sig);
    if (!tag || tag.size < 20 || tag.offset + 20 > profile.length || ascii(tag.offset) !== "XYZ ") return OTHER;
    colorants.push([0, 1, 2].map((k) => view.getInt32(tag.offset + 8 + 4 * k) / 65536));
  }
  const curves = ["rTRC", "gTRC", "bTRC"].map(table);
  if (curves.some((c) => c === null)) return OTHER;
  const toLinear = curves as Float64Array[];

  const isSrgb =
    colorants.every((xyz, c) =>
      xyz.every((v, k) => Math.abs(v - (Object.values(SRGB_COLORANTS)[c]?.[k] as number)) <= COLORANT_TOLERANCE),
    ) &&
    toLinear.every((t) =>
      t.every((linear, level) => Math.abs(255 * srgbEncode(linear) - level) <= CURVE_TOLERANCE_LEVELS),
    );
  if (isSrgb) return { kind: "srgb" };

  // Linear source RGB → XYZ (the colorants are its columns) → linear sRGB.
  const toXyz = [0, 1, 2].flatMap((row) => colorants.map((column) => column[row] as number));
  if (!toXyz.every(Number.isFinite)) return OTHER;
  const matrix = Float64Array.from({ length: 9 }, (_, k) => {
    const row = Math.floor(k / 3);
    const column = k % 3;
    return [0, 1, 2].reduce(
      (sum, j) => sum + (XYZ_TO_SRGB[row * 3 + j] as number) * (toXyz[j * 3 + column] as number),
      0,
    );
  });
  if (!matrix.every(Number.isFinite)) return OTHER;
  return { kind: "matrix", conversion: { grey: false, toLinear, matrix } };
}

/** A profile's tag table holds at most this many tags worth reading (real profiles have 10–30). */
const MAX_TAGS = 1024;
/** A description is read up to this many bytes: the API reports 256 characters at most. */
const DESCRIPTION_MAX_BYTES = 4096;

/**
 * An embedded profile's description, its `desc` tag (ICC.1:2022 §9.2.41): a version-2 `textDescriptionType`
 * (its ASCII part, read as Latin-1) or a version-4 `multiLocalizedUnicodeType` (`mluc`, UTF-16BE; the en-US
 * record, else the first English one, else the first). Only trailing NULs are removed here; `undefined` when the
 * profile has no readable description. Never throws: every offset and count is checked against the bytes.
 *
 * @example
 * profileDescription(meta.icc); // "sRGB IEC61966-2.1", "Display P3", "sRGB built-in", undefined
 */
export function profileDescription(profile: Uint8Array | undefined): string | undefined {
  if (!profile || profile.length < 132) return undefined;
  const view = new DataView(profile.buffer, profile.byteOffset, profile.byteLength);
  const ascii = (at: number) => String.fromCharCode(...profile.subarray(at, at + 4));
  const tagCount = Math.min(view.getUint32(128), MAX_TAGS);
  for (let i = 0; i < tagCount && 132 + 12 * (i + 1) <= profile.length; i++) {
    const at = 132 + 12 * i;
    if (ascii(at) !== "desc") continue;
    const offset = view.getUint32(at + 4);
    const size = view.getUint32(at + 8);
    if (size < 12 || offset > profile.length - size) return undefined;
    const tag = profile.subarray(offset, offset + size);
    const type = ascii(offset);
    if (type === "desc") return textDescription(tag);
    if (type === "mluc") return localizedDescription(tag);
    return undefined;
  }
  return undefined;
}

/** A version-2 `textDescriptionType`'s ASCII description: a count (its NUL included), then the characters. */
function textDescription(tag: Uint8Array): string | undefined {
  const view = new DataView(tag.buffer, tag.byteOffset, tag.byteLength);
  const count = view.getUint32(8);
  if (count === 0 || count > tag.length - 12) return undefined;
  const bytes = Math.min(count, DESCRIPTION_MAX_BYTES);
  return withoutTrailingNuls(Buffer.from(tag.buffer, tag.byteOffset + 12, bytes).toString("latin1"));
}

/** A `multiLocalizedUnicodeType`'s record for en-US (else the first English one, else the first), UTF-16BE. */
function localizedDescription(tag: Uint8Array): string | undefined {
  if (tag.length < 16) return undefined;
  const view = new DataView(tag.buffer, tag.byteOffset, tag.byteLength);
  const recordSize = view.getUint32(12);
  if (recordSize < 12) return undefined;
  const records = Math.min(view.getUint32(8), Math.floor((tag.length - 16) / recordSize));
  let chosen = -1;
  let rank = 0; // 3: en-US, 2: English, 1: any
  for (let i = 0; i < records; i++) {
    const at = 16 + i * recordSize;
    const language = String.fromCharCode(tag[at] as number, tag[at + 1] as number);
    const country = String.fromCharCode(tag[at + 2] as number, tag[at + 3] as number);
    const r = language === "en" ? (country === "US" ? 3 : 2) : 1;
    if (r > rank) {
      rank = r;
      chosen = at;
    }
    if (rank === 3) break;
  }
  if (chosen < 0) return undefined;
  const length = view.getUint32(chosen + 4);
  const offset = view.getUint32(chosen + 8);
  if (offset > tag.length || length > tag.length - offset) return undefined;
  let text = "";
  const bytes = Math.min(length, DESCRIPTION_MAX_BYTES);
  for (let i = 0; i + 1 < bytes; i += 2) text += String.fromCharCode(view.getUint16(offset + i));
  return withoutTrailingNuls(text);
}

function withoutTrailingNuls(text: string): string | undefined {
  const end = text.search(/\0*$/);
  return end > 0 ? text.slice(0, end) : undefined;
}
