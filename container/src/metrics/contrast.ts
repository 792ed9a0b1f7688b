/**
 * `contrast`: how spread the luma of the analysed image is: the weighted sums (for the RMS) and coarse counts
 * from one pass over the luma plane, then the fine counts of the few coarse bins that hold the percentiles and
 * the clipping thresholds from a second (quantile.ts: the median's exact method). Both ride on passes other
 * metrics make anyway when they are asked for too (the colour pass writes the plane, the neighbourhood pass reads
 * it: insights.ts). Pure: typed arrays in, a plain object out.
 */
import type { z } from "zod";
import type { InsightsSchemas } from "../../../contract/schemas.ts";
import { roundRatio } from "./exact.ts";
import { LUMA_UNIT, type Weights } from "./planes.ts";
import {
  coarseShift,
  countFine,
  type FinePlan,
  percentilesOfPlan,
  planPercentiles,
  weightAtOrBelow,
} from "./quantile.ts";

export type Contrast = z.infer<typeof InsightsSchemas.contrast>;

/** Luma at or below this is a clipped shadow (×10 000: luma ≤ 2). */
export const CLIPPED_SHADOW_LUMA = 2;
/** Luma at or above this is a clipped highlight (luma ≥ 253). */
export const CLIPPED_HIGHLIGHT_LUMA = 253;
/** The RMS of a half-black, half-white image: the score's 100. */
const RMS_FULL_SCALE = 127.5;

const MAX_LUMA = 255 * LUMA_UNIT;
const SHIFT = coarseShift(MAX_LUMA);
const SHADOW = CLIPPED_SHADOW_LUMA * LUMA_UNIT;
const HIGHLIGHT = CLIPPED_HIGHLIGHT_LUMA * LUMA_UNIT;

/** The percentiles contrast reports. */
const PERCENTILES = [5, 95];

/**
 * What contrast collects from the luma plane, in two passes that other metrics make anyway: the pass that writes
 * the plane (or `countContrast`) adds the coarse counts (`coarse[luma >>> shift] += w`) and Σ w·d and Σ w·d² of
 * the deviations d = luma − pivot; the next one (`neighbourhood`'s, or `countFine`) makes the fine counts of the
 * coarse bins that hold the percentiles and the clipping thresholds (`plan`, from the coarse counts).
 */
export interface ContrastSums {
  readonly coarse: Float64Array;
  readonly shift: number;
  /** The deviations' origin: a flat image sums exact zeros, and E[d²] − E[d]² cancels little near it. */
  pivot: number;
  sumD: number;
  sumD2: number;
  /** Σ weight, from the coarse counts (`planContrast`). */
  total: number;
  /** The fine counts to make (quantile.ts), once the coarse counts are made; null: nothing visible. */
  plan: FinePlan | null;
}

// The one set of sums, reused: every function here is synchronous.
const scratch: ContrastSums = {
  coarse: new Float64Array((MAX_LUMA >>> SHIFT) + 1),
  shift: SHIFT,
  pivot: 0,
  sumD: 0,
  sumD2: 0,
  total: 0,
  plan: null,
};

/**
 * Contrast's sums, zeroed, for the passes to fill, deviations taken from `pivot` (a typical luma: the first
 * pixel's). The one set: every function here is synchronous.
 *
 * @example
 * const sums = contrastSums(luma[0]);
 * countContrast(luma, weights, width * height, sums); // or the colour pass, while it writes the plane
 * neighbourhood(luma, width, height, weights, sums); // plans and makes the fine counts
 * contrastOfSums(sums); // { rms: …, score: …, p5: …, … }
 */
export function contrastSums(pivot: number): ContrastSums {
  const sums = scratch;
  sums.coarse.fill(0);
  sums.pivot = pivot;
  sums.sumD = 0;
  sums.sumD2 = 0;
  sums.total = 0;
  sums.plan = null;
  return sums;
}

/**
 * The first pass over a finished plane (the first `count` values): coarse counts and deviation sums.
 */
export function countContrast(luma: Uint32Array, weights: Weights, count: number, sums: ContrastSums): void {
  const { coarse, shift, pivot } = sums;
  let sumD = 0;
  let sumD2 = 0;
  if (weights) {
    for (let i = 0; i < count; i++) {
      const l = luma[i] as number;
      const w = weights[i] as number;
      const d = l - pivot;
      sumD += w * d;
      sumD2 += w * d * d;
      const bin = l >>> shift;
      coarse[bin] = (coarse[bin] as number) + w;
    }
  } else {
    for (let i = 0; i < count; i++) {
      const l = luma[i] as number;
      const d = l - pivot;
      sumD += d;
      sumD2 += d * d;
      const bin = l >>> shift;
      coarse[bin] = (coarse[bin] as number) + 1;
    }
  }
  sums.sumD += sumD;
  sums.sumD2 += sumD2;
}

/**
 * Once the coarse counts are made: Σ weight and the plan of the fine counts, for the pass that makes them.
 */
export function planContrast(sums: ContrastSums): void {
  let total = 0;
  for (let bin = 0; bin < sums.coarse.length; bin++) total += sums.coarse[bin] as number;
  sums.total = total;
  // The clipping thresholds' bins are counted finely too: the clipped weights come from the counts, exactly.
  const thresholds = [SHADOW >>> sums.shift, (HIGHLIGHT - 1) >>> sums.shift];
  sums.plan = total > 0 ? planPercentiles(sums.coarse, sums.shift, total, PERCENTILES, thresholds) : null;
}

/**
 * The contrast of the first `count` pixels of a luma plane (lumaPlane's units: luma ×10 000), each weighted by
 * its alpha (`null`: all opaque). `null` when no pixel is visible.
 *
 * - `rms`: the weighted population standard deviation of luma 0–255, 2 decimals;
 * - `score`: min(100, round(100 · rms / 127.5));
 * - `p5`, `p95`, `range` = p95 − p5: weighted percentiles, exact, 2 decimals;
 * - `clipped_shadows_percent` (luma ≤ 2) and `clipped_highlights_percent` (luma ≥ 253), 2 decimals.
 *
 * @example
 * contrast(Uint32Array.of(0, 2_550_000), null, 2);
 * // { rms: 127.5, score: 100, p5: 12.75, p95: 242.25, range: 229.5, clipped_shadows_percent: 50, clipped_highlights_percent: 50 }
 */
export function contrast(luma: Uint32Array, weights: Weights, count: number): Contrast | null {
  const sums = contrastSums(count > 0 ? (luma[0] as number) : 0);
  countContrast(luma, weights, count, sums);
  planContrast(sums);
  if (sums.plan) countFine(luma, weights, count, { x0: 0, y0: 0, x1: count, y1: 1 }, sums.plan);
  return contrastOfSums(sums);
}

/**
 * The contrast from sums whose every part is made (coarse counts and deviations, `planContrast`, fine counts);
 * `null` when no pixel is visible.
 */
export function contrastOfSums(sums: ContrastSums): Contrast | null {
  const plan = sums.plan;
  if (!plan) return null;
  const shadows = weightAtOrBelow(sums.coarse, plan, SHADOW);
  const highlights = sums.total - weightAtOrBelow(sums.coarse, plan, HIGHLIGHT - 1);
  return contrastOf(sums, percentilesOfPlan(plan), shadows, highlights);
}

function contrastOf(
  sums: ContrastSums,
  percentiles: Array<{ num: number; den: number }>,
  shadows: number,
  highlights: number,
): Contrast | null {
  const { total, sumD, sumD2 } = sums;
  if (total === 0) return null;
  const meanD = sumD / total;
  const variance = Math.max(0, sumD2 / total - meanD * meanD);
  const rms = Math.sqrt(variance) / LUMA_UNIT;
  const [p5, p95] = percentiles as [{ num: number; den: number }, { num: number; den: number }];
  return {
    rms: round2(Math.min(rms, RMS_FULL_SCALE)),
    score: Math.min(100, Math.round((100 * rms) / RMS_FULL_SCALE)),
    p5: roundRatio(p5.num, p5.den * LUMA_UNIT, 2),
    p95: roundRatio(p95.num, p95.den * LUMA_UNIT, 2),
    range: roundRatio(p95.num - p5.num, p5.den * LUMA_UNIT, 2),
    clipped_shadows_percent: roundRatio(shadows * 100, total, 2),
    clipped_highlights_percent: roundRatio(highlights * 100, total, 2),
  };
}

/** A float to 2 decimals, for values that have no exact ratio (square roots). */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
