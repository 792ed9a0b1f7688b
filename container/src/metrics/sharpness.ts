/**
 * `sharpness`: the population variance of the 3×3 Laplacian of luma (neighbourhood.ts; Pech-Pacheco et al.,
 * "Diatom autofocusing in brightfield microscopy: a comparative study", ICPR 2000), and a 0–100 score and a
 * `blurry` flag calibrated on sharp photos blurred with known Gaussian σ (container/bench/calibrate-sharpness.ts;
 * its table is in docs/METRICS.md). The variance measures detail as much as focus: a sharp photo of a clear sky
 * measures low, so `blurry` is advice, not proof.
 */
import type { z } from "zod";
import type { InsightsSchemas } from "../../../contract/schemas.ts";
import { round2 } from "./contrast.ts";
import type { NeighbourhoodStats } from "./neighbourhood.ts";

export type Sharpness = z.infer<typeof InsightsSchemas.sharpness>;

/**
 * Below this Laplacian variance the image is `blurry`. Calibrated (docs/METRICS.md): sharp photos blurred with a
 * Gaussian of σ ≥ 2 px (at the analysed size) all measure ≤ 7.1; the same photos at σ ≤ 0.5 all measure ≥ 18.1;
 * 11 is near the geometric middle (√(7.1 · 18.1) = 11.3), a factor 1.6 from either side.
 */
export const BLURRY_BELOW = 11;
/** A Laplacian variance of SHARPNESS_FULL or more scores 100: crisp photos measure 140–1 250 at the analysed size. */
export const SHARPNESS_FULL = 1000;
/** The score is 0 at or below this variance, chosen so that BLURRY_BELOW scores exactly 50: 11² / 1000. */
export const SHARPNESS_ZERO = (BLURRY_BELOW * BLURRY_BELOW) / SHARPNESS_FULL;

/**
 * The 0–100 score of a Laplacian variance: linear in log(variance) from SHARPNESS_ZERO (0) through BLURRY_BELOW
 * (50) to SHARPNESS_FULL (100), clamped. Blur divides the variance by about 10 per doubling of σ, so a log scale
 * spreads blurred and sharp images evenly; `blurry` is the variance below BLURRY_BELOW, i.e. a score under 50.
 *
 * @example
 * sharpnessScore(11); // 50
 * sharpnessScore(1000); // 100
 * sharpnessScore(1); // 23
 */
export function sharpnessScore(variance: number): number {
  if (variance <= SHARPNESS_ZERO) return 0;
  const t = Math.log(variance / SHARPNESS_ZERO) / Math.log(SHARPNESS_FULL / SHARPNESS_ZERO);
  return Math.min(100, Math.round(100 * t));
}

/**
 * The sharpness of the analysed image; `null` when nothing is visible.
 *
 * @example
 * sharpness({ laplacianVariance: 0, edgeWeight: 0, totalWeight: 4 }); // { laplacian_variance: 0, score: 0, blurry: true }
 */
export function sharpness(stats: NeighbourhoodStats): Sharpness | null {
  if (stats.totalWeight === 0) return null;
  const v = stats.laplacianVariance;
  return { laplacian_variance: round2(v), score: sharpnessScore(v), blurry: v < BLURRY_BELOW };
}
