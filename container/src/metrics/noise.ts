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
 * the noise's σ by about √n (a resize filter by more), so a 12 MP photo shrunk to 512 px would show 8–20× less
 * noise than it has (docs/METRICS.md).
 *
 * N is separable, [1, −2, 1]ᵀ · [1, −2, 1]: one pass, each row's luma second difference across made once into a
 * ring of three rows, the second difference down taken from them as it is made. The luma weights are
 * planes.ts's (LUMA_R, LUMA_G, LUMA_B), written out in the hot loop. All in integers (luma ×10 000): the sum is
 * exact up to 2^53, i.e. any image up to ~220 MP. Pure: typed arrays in, a plain object out.
 */
import type { z } from "zod";
import type { InsightsV3Schemas } from "../../../contract/schemas.ts";
import { round2 } from "./contrast.ts";
import { LUMA_UNIT, type PixelImage } from "./planes.ts";

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
  // Each row's luma second difference across (|·| ≤ 4 · 255 · 10 000 fits an Int32), three rows in a ring.
  const rows = [new Int32Array(width), new Int32Array(width), new Int32Array(width)];
  const row = channels >= 3 ? colourRow : greyRow;
  let sum = 0;
  for (let y = 0; y < height; y++) {
    const rowSum = row(
      pixels.data,
      y * width * channels,
      channels,
      width,
      rows[(y + 1) % 3],
      rows[(y + 2) % 3],
      rows[y % 3],
    );
    // The first two rows only fill the ring: their sums read rows not yet made.
    if (y >= 2) sum += rowSum;
  }
  return { sum, count: (width - 2) * (height - 2) };
}

/**
 * One row of an RGB(A) image from byte `o`: its luma second difference across into `across` (interior columns;
 * the two edge columns are never written nor read), and Σ |above − 2 · middle + across| over the interior columns,
 * `above` and `middle` being the two rows before. The luma of three neighbours is held in registers.
 */
function colourRow(
  data: Uint8Array,
  o: number,
  stride: number,
  width: number,
  above: Int32Array | undefined,
  middle: Int32Array | undefined,
  across: Int32Array | undefined,
): number {
  const a = above as Int32Array;
  const m = middle as Int32Array;
  const c = across as Int32Array;
  let left = 2126 * (data[o] as number) + 7152 * (data[o + 1] as number) + 722 * (data[o + 2] as number);
  let p = o + stride;
  let centre = 2126 * (data[p] as number) + 7152 * (data[p + 1] as number) + 722 * (data[p + 2] as number);
  let sum = 0;
  for (let x = 1, last = width - 1; x < last; x++) {
    p += stride;
    const right = 2126 * (data[p] as number) + 7152 * (data[p + 1] as number) + 722 * (data[p + 2] as number);
    const h = left - 2 * centre + right;
    left = centre;
    centre = right;
    c[x] = h;
    const v = (a[x] as number) - 2 * (m[x] as number) + h;
    sum += v < 0 ? -v : v;
  }
  return sum;
}

/** `colourRow` for grey (1 or 2 channels): the luma is the grey level × 10 000. */
function greyRow(
  data: Uint8Array,
  o: number,
  stride: number,
  width: number,
  above: Int32Array | undefined,
  middle: Int32Array | undefined,
  across: Int32Array | undefined,
): number {
  const a = above as Int32Array;
  const m = middle as Int32Array;
  const c = across as Int32Array;
  let left = 10_000 * (data[o] as number);
  let p = o + stride;
  let centre = 10_000 * (data[p] as number);
  let sum = 0;
  for (let x = 1, last = width - 1; x < last; x++) {
    p += stride;
    const right = 10_000 * (data[p] as number);
    const h = left - 2 * centre + right;
    left = centre;
    centre = right;
    c[x] = h;
    const v = (a[x] as number) - 2 * (m[x] as number) + h;
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
