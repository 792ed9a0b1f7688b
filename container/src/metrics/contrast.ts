/**
 * `contrast`: how spread the luma of the analysed image is. One fused pass over the luma plane gives the weighted
 * sums (for the RMS), the clipped counts and the coarse counts; the percentiles are finished from those
 * (quantile.ts, the median's exact method). Pure: typed arrays in, a plain object out.
 */
import type { z } from "zod";
import type { InsightsSchemas } from "../../../contract/schemas.ts";
import { roundRatio } from "./exact.ts";
import { LUMA_UNIT, type Weights } from "./planes.ts";
import { coarseShift, finishPercentiles } from "./quantile.ts";

export type Contrast = z.infer<typeof InsightsSchemas.contrast>;

/** Luma at or below this is a clipped shadow (×10 000: luma ≤ 2). */
export const CLIPPED_SHADOW_LUMA = 2;
/** Luma at or above this is a clipped highlight (luma ≥ 253). */
export const CLIPPED_HIGHLIGHT_LUMA = 253;
/** The RMS of a half-black, half-white image: the score's 100. */
const RMS_FULL_SCALE = 127.5;

const MAX_LUMA = 255 * LUMA_UNIT;
const SHIFT = coarseShift(MAX_LUMA);
const coarse = new Float64Array((MAX_LUMA >>> SHIFT) + 1);

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
  coarse.fill(0);
  const shadow = CLIPPED_SHADOW_LUMA * LUMA_UNIT;
  const highlight = CLIPPED_HIGHLIGHT_LUMA * LUMA_UNIT;
  // Deviations from the first pixel: a flat image sums exact zeros, and the cancellation in E[d²] − E[d]² is
  // small when the pivot is a typical value.
  const pivot = count > 0 ? (luma[0] as number) : 0;
  let total = 0;
  let sumD = 0;
  let sumD2 = 0;
  let shadows = 0;
  let highlights = 0;
  if (weights) {
    for (let i = 0; i < count; i++) {
      const l = luma[i] as number;
      const w = weights[i] as number;
      const d = l - pivot;
      total += w;
      sumD += w * d;
      sumD2 += w * d * d;
      if (l <= shadow) shadows += w;
      else if (l >= highlight) highlights += w;
      const bin = l >>> SHIFT;
      coarse[bin] = (coarse[bin] as number) + w;
    }
  } else {
    // Two independent chains of sums (even and odd pixels): the adds no longer wait on each other.
    let sumD1 = 0;
    let sumD21 = 0;
    let i = 0;
    for (; i + 1 < count; i += 2) {
      const l0 = luma[i] as number;
      const l1 = luma[i + 1] as number;
      const d0 = l0 - pivot;
      const d1 = l1 - pivot;
      sumD += d0;
      sumD2 += d0 * d0;
      sumD1 += d1;
      sumD21 += d1 * d1;
      if (l0 <= shadow) shadows++;
      else if (l0 >= highlight) highlights++;
      if (l1 <= shadow) shadows++;
      else if (l1 >= highlight) highlights++;
      coarse[l0 >>> SHIFT] = (coarse[l0 >>> SHIFT] as number) + 1;
      coarse[l1 >>> SHIFT] = (coarse[l1 >>> SHIFT] as number) + 1;
    }
    for (; i < count; i++) {
      const l = luma[i] as number;
      const d = l - pivot;
      sumD += d;
      sumD2 += d * d;
      if (l <= shadow) shadows++;
      else if (l >= highlight) highlights++;
      coarse[l >>> SHIFT] = (coarse[l >>> SHIFT] as number) + 1;
    }
    sumD += sumD1;
    sumD2 += sumD21;
    total = count;
  }
  if (total === 0) return null;
  const meanD = sumD / total;
  const variance = Math.max(0, sumD2 / total - meanD * meanD);
  const rms = Math.sqrt(variance) / LUMA_UNIT;
  const whole = { x0: 0, y0: 0, x1: count, y1: 1 };
  const [p5, p95] = finishPercentiles(luma, weights, count, whole, SHIFT, coarse, total, [5, 95]) as [
    { num: number; den: number },
    { num: number; den: number },
  ];
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
