/**
 * `sharpness`: the population variance of the 3×3 Laplacian of luma (neighbourhood.ts), and a 0–100 score and a
 * `blurry` flag calibrated on sharp photos blurred with known Gaussian σ (container/bench/calibrate-sharpness.ts;
 * its table is in docs/METRICS.md).
 */
import type { z } from "zod";
import type { InsightsSchemas } from "../../../contract/schemas.ts";
import { round2 } from "./contrast.ts";
import type { NeighbourhoodStats } from "./neighbourhood.ts";

export type Sharpness = z.infer<typeof InsightsSchemas.sharpness>;

/**
 * The score's half point: a Laplacian variance of SHARPNESS_HALF scores 50. score = 100 · v / (v + K) on
 * log-spaced data would crowd every sharp photo near 100, so the score is logarithmic: 0 at
 * SHARPNESS_ZERO, 100 at SHARPNESS_FULL, linear in log(v) between (see the calibration in docs/METRICS.md).
 */
export const SHARPNESS_ZERO = 10;
export const SHARPNESS_FULL = 2000;
/** Below this Laplacian variance the image is `blurry` (calibrated: separates σ ≥ 2 from σ ≤ 0.5). */
export const BLURRY_BELOW = 100;

/**
 * The 0–100 score of a Laplacian variance.
 *
 * @example
 * sharpnessScore(10); // 0
 * sharpnessScore(2000); // 100
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
