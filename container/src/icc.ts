/**
 * Recognises embedded ICC profiles that describe sRGB, so that decoding can skip the colour transform for
 * them. libvips builds a LittleCMS transform for every image that carries a profile (milliseconds, whatever
 * the image's size), and from sRGB to sRGB that transform changes nothing beyond rounding. Most phones and
 * cameras embed exactly such a profile.
 *
 * A profile counts as sRGB only when LittleCMS would itself use its matrix and curves (no A2B/D2B lookup
 * tables, which it prefers for the perceptual intent libvips asks for), its colorants are sRGB's (D50-adapted)
 * and each of its three curves re-encodes every 8-bit level to itself within a fraction of a level. The name
 * in its description is not trusted. Anything else, or anything malformed, is "other": libvips converts it as
 * before. Pure: bytes in, a verdict out.
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

export type ProfileKind = "srgb" | "other";

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
    if (n < 2 || 12 + 2 * n > size) return null; // 0 is linear and 1 a pure gamma: neither is sRGB
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

/**
 * What an embedded profile is, for decoding: "srgb" when converting from it to sRGB would change nothing.
 *
 * @example
 * profileKind(await sharp(jpegWithSrgbProfile).metadata().then((m) => m.icc)); // "srgb"
 * profileKind(displayP3Profile); // "other"
 */
export function profileKind(profile: Uint8Array | undefined): ProfileKind {
  if (!profile || profile.length < 132) return "other";
  // The same few profiles arrive again and again (every photo of a phone model carries the same one): their
  // verdicts are remembered, keyed by the bytes themselves, so no two profiles can share one.
  if (profile.length > CACHED_PROFILE_MAX_BYTES) return classify(profile);
  const key = Buffer.from(profile.buffer, profile.byteOffset, profile.byteLength).toString("latin1");
  let kind = verdicts.get(key);
  if (kind === undefined) {
    kind = classify(profile);
    if (verdicts.size >= CACHED_PROFILES) verdicts.clear();
    verdicts.set(key, kind);
  }
  return kind;
}

/** Profiles up to this size have their verdict remembered (sRGB ones are 0.5–7 KB), in bytes. */
const CACHED_PROFILE_MAX_BYTES = 32 * 1024;
/** How many verdicts are remembered before the memory starts again: at most 64 × 32 KB. */
const CACHED_PROFILES = 64;
const verdicts = new Map<string, ProfileKind>();

function classify(profile: Uint8Array): ProfileKind {
  const view = new DataView(profile.buffer, profile.byteOffset, profile.byteLength);
  const ascii = (at: number) => String.fromCharCode(...profile.subarray(at, at + 4));
  if (ascii(36) !== "acsp" || ascii(16) !== "RGB " || ascii(20) !== "XYZ ") return "other";
  const tagCount = view.getUint32(128);
  if (132 + 12 * tagCount > profile.length) return "other";
  const tags = new Map<string, { offset: number; size: number }>();
  for (let i = 0; i < tagCount; i++) {
    const at = 132 + 12 * i;
    tags.set(ascii(at), { offset: view.getUint32(at + 4), size: view.getUint32(at + 8) });
  }
  for (const sig of tags.keys()) if (LUT_TAGS.has(sig)) return "other";

  for (const [sig, want] of Object.entries(SRGB_COLORANTS)) {
    const tag = tags.get(sig);
    if (!tag || tag.size < 20 || tag.offset + 20 > profile.length || ascii(tag.offset) !== "XYZ ") return "other";
    for (let k = 0; k < 3; k++) {
      const value = view.getInt32(tag.offset + 8 + 4 * k) / 65536;
      if (Math.abs(value - (want[k] as number)) > COLORANT_TOLERANCE) return "other";
    }
  }
  for (const sig of ["rTRC", "gTRC", "bTRC"]) {
    const tag = tags.get(sig);
    const curve = tag ? readCurve(view, tag.offset, tag.size) : null;
    if (!curve) return "other";
    for (let level = 0; level <= 255; level++) {
      const linear = curve(level / 255);
      if (!Number.isFinite(linear)) return "other";
      if (Math.abs(255 * srgbEncode(Math.min(1, Math.max(0, linear))) - level) > CURVE_TOLERANCE_LEVELS) {
        return "other";
      }
    }
  }
  return "srgb";
}
