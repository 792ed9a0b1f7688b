/**
 * ICC profiles built in code for tests: a minimal version-2 matrix/TRC display profile, the shape most
 * cameras, phones and editors embed. Nothing is downloaded and no profile file is committed.
 */

type Xyz = readonly [number, number, number];

/** sRGB's D50-adapted colorants as the HP/Microsoft "sRGB IEC61966-2.1" profile stores them. */
export const SRGB_PRIMARIES: { r: Xyz; g: Xyz; b: Xyz } = {
  r: [0.4361, 0.2225, 0.0139],
  g: [0.3851, 0.7169, 0.0971],
  b: [0.1431, 0.0606, 0.7141],
};
/** Adobe RGB (1998)'s D50-adapted colorants. */
export const ADOBE_PRIMARIES: { r: Xyz; g: Xyz; b: Xyz } = {
  r: [0.6097, 0.3111, 0.0195],
  g: [0.2053, 0.6257, 0.0609],
  b: [0.1492, 0.0632, 0.7446],
};
const D50: Xyz = [0.9642, 1, 0.8249];

/** sRGB's decoding to linear light (IEC 61966-2-1). */
export const srgbDecode = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);

export type Curve =
  | { kind: "table"; entries: number; fn: (x: number) => number }
  | { kind: "gamma"; gamma: number }
  | { kind: "para3"; g: number; a: number; b: number; c: number; d: number };

/** sRGB's curve as a parametric type 3, as Apple and Google write it. */
export const SRGB_PARA: Curve = { kind: "para3", g: 2.4, a: 1 / 1.055, b: 0.055 / 1.055, c: 1 / 12.92, d: 0.04045 };
/** sRGB's curve as a 1024-entry table, as the HP/Microsoft profile writes it. */
export const SRGB_TABLE: Curve = { kind: "table", entries: 1024, fn: srgbDecode };

const s15 = (v: number) => Math.round(v * 65536);

function curveTag(curve: Curve): Uint8Array {
  if (curve.kind === "para3") {
    const out = new DataView(new ArrayBuffer(12 + 5 * 4));
    out.setUint32(0, 0x70617261); // para
    out.setUint16(8, 3);
    for (const [i, p] of [curve.g, curve.a, curve.b, curve.c, curve.d].entries()) out.setInt32(12 + 4 * i, s15(p));
    return new Uint8Array(out.buffer);
  }
  const entries = curve.kind === "gamma" ? 1 : curve.entries;
  const out = new DataView(new ArrayBuffer(12 + 2 * entries + (entries % 2) * 2));
  out.setUint32(0, 0x63757276); // curv
  out.setUint32(8, entries);
  if (curve.kind === "gamma") out.setUint16(12, Math.round(curve.gamma * 256));
  else for (let i = 0; i < entries; i++) out.setUint16(12 + 2 * i, Math.round(curve.fn(i / (entries - 1)) * 65535));
  return new Uint8Array(out.buffer);
}

function xyzTag([x, y, z]: Xyz): Uint8Array {
  const out = new DataView(new ArrayBuffer(20));
  out.setUint32(0, 0x58595a20); // 'XYZ '
  out.setInt32(8, s15(x));
  out.setInt32(12, s15(y));
  out.setInt32(16, s15(z));
  return new Uint8Array(out.buffer);
}

function textTag(type: "desc" | "text", text: string): Uint8Array {
  const ascii = new TextEncoder().encode(`${text}\0`);
  if (type === "text") {
    const out = new Uint8Array(8 + ascii.length);
    out.set([0x74, 0x65, 0x78, 0x74]);
    out.set(ascii, 8);
    return out;
  }
  // textDescriptionType: ASCII, then empty Unicode and ScriptCode parts.
  const out = new Uint8Array(12 + ascii.length + 8 + 3 + 67);
  const view = new DataView(out.buffer);
  out.set([0x64, 0x65, 0x73, 0x63]);
  view.setUint32(8, ascii.length);
  out.set(ascii, 12);
  return out;
}

/**
 * A v2 RGB display profile with the given colorants and one curve for all three channels.
 *
 * @example
 * const icc = matrixProfile("sRGB IEC61966-2.1", SRGB_PRIMARIES, SRGB_TABLE);
 */
export function matrixProfile(name: string, primaries: { r: Xyz; g: Xyz; b: Xyz }, curve: Curve): Uint8Array {
  const trc = curveTag(curve);
  const tags: Array<[string, Uint8Array]> = [
    ["desc", textTag("desc", name)],
    ["cprt", textTag("text", "No copyright, test profile")],
    ["wtpt", xyzTag(D50)],
    ["rXYZ", xyzTag(primaries.r)],
    ["gXYZ", xyzTag(primaries.g)],
    ["bXYZ", xyzTag(primaries.b)],
    ["rTRC", trc],
    ["gTRC", trc],
    ["bTRC", trc],
  ];
  const pad = (n: number) => (n + 3) & ~3;
  let offset = 128 + 4 + 12 * tags.length;
  const placed = tags.map(([sig, data]) => {
    const at = offset;
    offset += pad(data.length);
    return { sig, data, at };
  });
  const out = new Uint8Array(offset);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string) => out.set(new TextEncoder().encode(text), at);
  view.setUint32(0, offset);
  ascii(4, "lcms");
  view.setUint32(8, 0x02100000);
  ascii(12, "mntr");
  ascii(16, "RGB ");
  ascii(20, "XYZ ");
  ascii(36, "acsp");
  for (const [i, v] of D50.entries()) view.setInt32(68 + 4 * i, s15(v));
  view.setUint32(128, tags.length);
  placed.forEach(({ sig, data, at }, i) => {
    ascii(132 + 12 * i, sig);
    view.setUint32(136 + 12 * i, at);
    view.setUint32(140 + 12 * i, data.length);
    out.set(data, at);
  });
  return out;
}

/**
 * A v2 grey display profile with one curve (kTRC).
 *
 * @example
 * const icc = greyProfile("Gray Gamma 2.2", { kind: "gamma", gamma: 2.2 });
 */
export function greyProfile(name: string, curve: Curve): Uint8Array {
  const rgb = matrixProfile(name, SRGB_PRIMARIES, curve);
  // Same layout, with the colour space GRAY and the curve as kTRC; the colorant tags are simply not read.
  const out = rgb.slice();
  out.set(new TextEncoder().encode("GRAY"), 16);
  const view = new DataView(out.buffer);
  for (let i = 0; i < view.getUint32(128); i++) {
    if (new TextDecoder().decode(out.subarray(132 + 12 * i, 136 + 12 * i)) === "rTRC") {
      out.set(new TextEncoder().encode("kTRC"), 132 + 12 * i);
    }
  }
  return out;
}
