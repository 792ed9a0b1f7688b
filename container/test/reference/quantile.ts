/**
 * Exact weighted percentiles of a whole plane (or a rectangle of it) in two passes of their own, on the
 * production's planning and fine counts (quantile.ts): how the tests read a plane's percentiles (the golden
 * values, `overlay` from a plane), and how quantile.test.ts holds the planning to a sorting oracle. In production
 * the counts ride on passes other metrics make (contrast.ts, neighbourhood.ts).
 */
import type { Ratio } from "../../src/metrics/exact.ts";
import type { Weights } from "../../src/metrics/planes.ts";
import { coarseShift, countFine, percentilesOfPlan, planPercentiles, type Rect } from "../../src/metrics/quantile.ts";

/** Scratch space, reused: every function here is synchronous. */
let coarseScratch = new Float64Array(0);

/**
 * The percentiles `ps` (integers 0–100) of `plane` over `rect` (the whole plane by default), as
 * exact ratios in the plane's units; an empty list when Σ weight is 0. `maxValue` bounds the plane's values.
 *
 * @example
 * const plane = Uint32Array.of(0, 10, 20, 30, 40);
 * weightedPercentiles(plane, null, 5, 1, [50, 95], 40); // [{ num: 2000, den: 100 }, { num: 3800, den: 100 }]
 */
export function weightedPercentiles(
  plane: Uint32Array,
  weights: Weights,
  width: number,
  height: number,
  ps: readonly number[],
  maxValue: number,
  rect: Rect = { x0: 0, y0: 0, x1: width, y1: height },
): Ratio[] {
  const shift = coarseShift(maxValue);
  const bins = (maxValue >>> shift) + 1;
  if (coarseScratch.length < bins) coarseScratch = new Float64Array(bins);
  const coarse = coarseScratch.subarray(0, bins);
  coarse.fill(0);
  const total = countCoarse(plane, weights, width, rect, shift, coarse);
  if (total === 0) return [];
  return finishPercentiles(plane, weights, width, rect, shift, coarse, total, ps);
}

/**
 * The coarse counts of `plane` over `rect`: `coarse[v >> shift] += weight`; returns Σ weight. `coarse` must have
 * (max value >> shift) + 1 entries, zeroed.
 */
function countCoarse(
  plane: Uint32Array,
  weights: Weights,
  width: number,
  rect: Rect,
  shift: number,
  coarse: Float64Array,
): number {
  let total = 0;
  for (let y = rect.y0; y < rect.y1; y++) {
    const row = y * width;
    if (weights) {
      for (let i = row + rect.x0, end = row + rect.x1; i < end; i++) {
        const w = weights[i] as number;
        const bin = (plane[i] as number) >>> shift;
        coarse[bin] = (coarse[bin] as number) + w;
        total += w;
      }
    } else {
      for (let i = row + rect.x0, end = row + rect.x1; i < end; i++) {
        const bin = (plane[i] as number) >>> shift;
        coarse[bin] = (coarse[bin] as number) + 1;
      }
      total += rect.x1 - rect.x0;
    }
  }
  return total;
}

/**
 * The percentiles `ps` (0–100, integers) of `plane` over `rect`, each as an exact ratio in the plane's units
 * (num / den, den = 100), from coarse counts made by `countCoarse` with the same `shift`. `total` is Σ weight
 * (> 0).
 */
function finishPercentiles(
  plane: Uint32Array,
  weights: Weights,
  width: number,
  rect: Rect,
  shift: number,
  coarse: Float64Array,
  total: number,
  ps: readonly number[],
): Ratio[] {
  const plan = planPercentiles(coarse, shift, total, ps);
  countFine(plane, weights, width, rect, plan);
  return percentilesOfPlan(plan);
}
