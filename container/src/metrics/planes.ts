/**
 * The planes the v2 metrics read, made once per image from the analysed pixels: the exact integer luma and the
 * per-pixel weight (alpha). Pure: typed arrays in, typed arrays out; no sharp, no I/O.
 *
 * The brightness pass (analyse.ts) makes the same luma plane: a caller that has it passes it on instead of
 * calling `lumaPlane` again.
 */

/** Interleaved 8-bit sRGB pixels (sharp's `raw()`): 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA channels. */
export interface PixelImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/**
 * Per-pixel weights 0–255 (the alpha plane, one byte per pixel), or `null` when every pixel is opaque: then
 * every pixel counts once, and each metric takes its unweighted (faster) path. A plane of 255s gives the
 * same numbers as `null` for every metric (only ratios of weights matter) but costs more: `alphaPlane`
 * returns `null` for it.
 */
export type Weights = Uint8Array | null;

/** Rec. 709 luma weights ×10 000: luma = (2126 R + 7152 G + 722 B) / 10 000, an exact integer plane. */
export const LUMA_R = 2126;
export const LUMA_G = 7152;
export const LUMA_B = 722;
/** The luma plane's unit: 10 000 per level of 0–255. */
export const LUMA_UNIT = 10_000;
// Local copies for the hot loops: an exported binding is read from its module cell on every use.
const WR = 2126;
const WG = 7152;
const WB = 722;
const UNIT = 10_000;

/**
 * The exact luma of every pixel ×10 000 (2126 R + 7152 G + 722 B; 10 000 × grey for 1 and 2 channels).
 *
 * @example
 * lumaPlane({ data: Uint8Array.of(255, 0, 0), width: 1, height: 1, channels: 3 }); // Uint32Array [540630]
 */
export function lumaPlane(pixels: PixelImage, out?: Uint32Array): Uint32Array {
  const { data, width, height, channels } = pixels;
  const count = width * height;
  const luma = out && out.length >= count ? out : new Uint32Array(count);
  if (channels >= 3) {
    for (let i = 0, o = 0; i < count; i++, o += channels) {
      luma[i] = WR * (data[o] as number) + WG * (data[o + 1] as number) + WB * (data[o + 2] as number);
    }
  } else {
    for (let i = 0, o = 0; i < count; i++, o += channels) luma[i] = (data[o] as number) * UNIT;
  }
  return luma;
}

/**
 * The luma (×10 000) of pixel `i`, as `lumaPlane` has it.
 *
 * @example
 * lumaAt({ data: Uint8Array.of(255, 0, 0), width: 1, height: 1, channels: 3 }, 0); // 540630
 */
export function lumaAt(pixels: PixelImage, i: number): number {
  const { data, channels } = pixels;
  const o = i * channels;
  if (channels < 3) return (data[o] ?? 0) * UNIT;
  return WR * (data[o] ?? 0) + WG * (data[o + 1] ?? 0) + WB * (data[o + 2] ?? 0);
}

/**
 * The alpha plane, or `null` when the image has no alpha or every pixel is fully opaque (see `Weights`).
 *
 * @example
 * alphaPlane({ data: Uint8Array.of(9, 255, 9, 0), width: 2, height: 1, channels: 2 }); // Uint8Array [255, 0]
 * alphaPlane({ data: Uint8Array.of(9, 9, 9), width: 1, height: 1, channels: 3 }); // null
 */
export function alphaPlane(pixels: PixelImage, out?: Uint8Array): Weights {
  const { data, width, height, channels } = pixels;
  if (channels !== 2 && channels !== 4) return null;
  const count = width * height;
  const alpha = out && out.length >= count ? out : new Uint8Array(count);
  let opaque = 255;
  for (let i = 0, o = channels - 1; i < count; i++, o += channels) {
    const a = data[o] as number;
    alpha[i] = a;
    opaque &= a;
  }
  return opaque === 255 ? null : alpha;
}
