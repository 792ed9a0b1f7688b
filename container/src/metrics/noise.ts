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
 * The sum is made by full-resolution.ts's one pass (WebAssembly), which makes each row's Rec. 709 luma once for this
 * and blockiness both: N is separable, [1, −2, 1]ᵀ · [1, −2, 1], so each row's second difference across is kept in
 * a ring of three rows and the second difference down taken from them. All in integers (luma ×10 000): the sum is
 * exact up to 2^53, i.e. any image up to ~220 MP. The JavaScript reference it is held to is
 * container/test/reference/noise.ts. Pure: typed arrays in, a plain object out.
 */
import type { z } from "zod";
import type { InsightsV3Schemas } from "../../../contract/schemas.ts";
import { round2 } from "./contrast.ts";
import {
  checkPixels,
  type FullResolutionSums,
  fullResolutionSums,
  type ImmerkaerSum,
  NOISE_MIN_SIDE_PX,
} from "./full-resolution.ts";
import { LUMA_UNIT, type PixelImage } from "./planes.ts";

export type Noise = z.infer<typeof InsightsV3Schemas.noise>;
export { NOISE_MIN_SIDE_PX };

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
export function immerkaerSum(pixels: PixelImage): ImmerkaerSum | null {
  checkPixels(pixels, "noise");
  return fullResolutionSums(pixels).immerkaer;
}

/**
 * The noise σ of the full-resolution `pixels` (8-bit sRGB, 1–4 channels, alpha ignored), in 8-bit luma levels,
 * 2 decimals; `measured_width` × `measured_height` is the region measured (the pixels' size). `null` below 3×3.
 * Takes the pixels, or their `fullResolutionSums` when blockiness is measured too (one pass for both).
 *
 * @example
 * noise({ data: new Uint8Array(64 * 64).fill(128), width: 64, height: 64, channels: 1 });
 * // { sigma: 0, measured_width: 64, measured_height: 64 }
 */
export function noise(pixels: PixelImage | FullResolutionSums): Noise | null {
  const total = "data" in pixels ? immerkaerSum(pixels) : pixels.immerkaer;
  if (!total) return null;
  const sigma = (IMMERKAER_FACTOR * total.sum) / (total.count * LUMA_UNIT);
  return { sigma: round2(sigma), measured_width: pixels.width, measured_height: pixels.height };
}
