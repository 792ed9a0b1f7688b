/**
 * `noise`: the standard deviation of the image's noise in 8-bit luma, by Immerkær's estimator (J. Immerkær,
 * "Fast Noise Variance Estimation", Computer Vision and Image Understanding 64(2):300–302, 1996):
 *
 *   σ = √(π/2) · 1 / (6 (W − 2)(H − 2)) · Σ |I ∗ N|,  N = [[1, −2, 1], [−2, 4, −2], [1, −2, 1]],
 *
 * the sum over the interior pixels (where the 3×3 mask fits), I the Rec. 709 luma (2126 R + 7152 G + 722 B) / 10 000
 * (the grey level for 1 and 2 channels; alpha is ignored). N is the difference of two Laplacians, so it cancels any
 * plane and most of a smooth image: what is left is mostly noise (and fine texture, which it counts as noise).
 *
 * Measured on the full-resolution pixels, never the analysed ≤ 512 px copy: averaging n pixels into one divides
 * the noise's σ by about √n, so a 12 MP photo shrunk to 512 px would show ~8× less noise than it has.
 *
 * N is separable, [1, −2, 1]ᵀ · [1, −2, 1]: one pass, each row's luma second difference across made once into a
 * ring of three rows, the second difference down taken from them. All in integers (luma ×10 000): the sum is
 * exact up to 2^53, i.e. any image up to ~220 MP. Pure: typed arrays in, a plain object out.
 */
import type { z } from "zod";
import type { InsightsV3Schemas } from "../../../contract/schemas.ts";
import { round2 } from "./contrast.ts";
import { LUMA_B, LUMA_G, LUMA_R, LUMA_UNIT, type PixelImage } from "./planes.ts";

export type Noise = z.infer<typeof InsightsV3Schemas.noise>;

/** The mask is 3×3: an image needs at least this many pixels each way to have an interior pixel. */
export const NOISE_MIN_SIDE_PX = 3;

/** √(π/2) / 6: Immerkær's factor from the mean absolute response to σ (a Gaussian's E|x| = σ √(2/π); ‖N‖₂ = 6). */
const IMMERKAER_FACTOR = Math.sqrt(Math.PI / 2) / 6;

/**
 * Σ |I ∗ N| over the interior, in luma ×10 000 (an exact integer while under 2^53), and the count of interior
 * pixels, (W − 2)(H − 2); `null` below 3×3.
 *
 * @example
 * immerkaerSum({ data: Uint8Array.of(0, 0, 0, 0, 9, 0, 0, 0, 0), width: 3, height: 3, channels: 1 });
 * // { sum: 360000, count: 1 } (|4 · 9| levels, ×10 000)
 */
export function immerkaerSum(pixels: PixelImage): { sum: number; count: number } | null {
  const { width, height, channels } = pixels;
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) {
    throw new RangeError(`Expected 1 to 4 channels for noise but received ${channels}`);
  }
  if (pixels.data.length < width * height * channels) {
    throw new RangeError(
      `Expected ${width * height * channels} bytes for a ${width}×${height}×${channels} image but received ${pixels.data.length}`,
    );
  }
  if (width < NOISE_MIN_SIDE_PX || height < NOISE_MIN_SIDE_PX) return null;
  // The luma's second difference across (|·| ≤ 4 · 255 · 10 000 fits an Int32) of three rows, in a ring.
  const rows = [new Int32Array(width), new Int32Array(width), new Int32Array(width)];
  const luma = new Int32Array(width);
  let sum = 0;
  for (let y = 0; y < height; y++) {
    lumaRow(pixels, y, luma);
    const across = rows[y % 3] as Int32Array;
    acrossRow(luma, across);
    if (y >= 2) sum += downSum(rows[(y - 2) % 3] as Int32Array, rows[(y - 1) % 3] as Int32Array, across);
  }
  return { sum, count: (width - 2) * (height - 2) };
}

/** Row `y`'s luma ×10 000 into `out`. */
function lumaRow(pixels: PixelImage, y: number, out: Int32Array): void {
  const { data, width, channels } = pixels;
  const wr = LUMA_R;
  const wg = LUMA_G;
  const wb = LUMA_B;
  const unit = LUMA_UNIT;
  if (channels >= 3) {
    for (let x = 0, o = y * width * channels; x < width; x++, o += channels) {
      out[x] = wr * (data[o] as number) + wg * (data[o + 1] as number) + wb * (data[o + 2] as number);
    }
  } else {
    for (let x = 0, o = y * width * channels; x < width; x++, o += channels) out[x] = (data[o] as number) * unit;
  }
}

/** I[x − 1] − 2 I[x] + I[x + 1] for the interior columns (the two edge columns stay 0 and are never read). */
function acrossRow(luma: Int32Array, out: Int32Array): void {
  const last = luma.length - 1;
  for (let x = 1; x < last; x++) {
    out[x] = (luma[x - 1] as number) - 2 * (luma[x] as number) + (luma[x + 1] as number);
  }
}

/** Σ |above − 2 · middle + below| over the interior columns: the row's share of Σ |I ∗ N|. */
function downSum(above: Int32Array, middle: Int32Array, below: Int32Array): number {
  const last = middle.length - 1;
  let sum = 0;
  for (let x = 1; x < last; x++) {
    const v = (above[x] as number) - 2 * (middle[x] as number) + (below[x] as number);
    sum += v < 0 ? -v : v;
  }
  return sum;
}

/**
 * The noise σ of the full-resolution `pixels` (8-bit sRGB, 1–4 channels, alpha ignored), in 8-bit luma levels,
 * 2 decimals; `measured_width` × `measured_height` is the region measured (the pixels' size). `null` below 3×3.
 *
 * @example
 * noise({ data: new Uint8Array(64 * 64).fill(128), width: 64, height: 64, channels: 1 });
 * // { sigma: 0, measured_width: 64, measured_height: 64 }
 */
export function noise(pixels: PixelImage): Noise | null {
  const total = immerkaerSum(pixels);
  if (!total) return null;
  const sigma = (IMMERKAER_FACTOR * total.sum) / (total.count * LUMA_UNIT);
  return { sigma: round2(sigma), measured_width: pixels.width, measured_height: pixels.height };
}
