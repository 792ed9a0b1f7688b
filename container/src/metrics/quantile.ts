/**
 * Exact weighted percentiles of an integer plane (luma ×10 000, luminance ×2^20, …), by counting, never by
 * sorting: a coarse count of `value >> shift` says which bins hold the wanted ranks; one more pass counts those
 * bins' values exactly, and a walk finds them.
 *
 * The method is the median's (analyse.ts) generalised: a pixel of weight w counts as w copies (1 copy each when
 * the image is opaque); the p-th percentile sits at the 0-based copy position p·(W − 1)/100 and is interpolated
 * linearly between the copies below and above it. For p = 50 that is "the middle copy, or the mean of the two
 * middle ones"; for equal weights it is numpy's default `percentile(…, method="linear")`.
 */
import type { Ratio } from "./exact.ts";
import type { Weights } from "./planes.ts";

/** A rectangle of the plane: columns [x0, x1), rows [y0, y1). */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Scratch space, reused: every function here is synchronous. */
let fineScratch = new Float64Array(0);
let slotScratch = new Int8Array(0);

/**
 * Which values a set of percentiles still needs counted exactly: the coarse bin and the weight before it of each
 * rank they read, each distinct bin's slot in `fine` (`slotOf[bin]`, −1 for the others) and `fine` itself,
 * zeroed: `1 << shift` counts per slot, value `v` of a slotted bin at `(slot << shift) + (v & mask)`. A pass that
 * reads the plane anyway can count them (neighbourhood.ts does, for contrast); `countFine` is that pass alone.
 */
export interface FinePlan {
  readonly shift: number;
  readonly slotOf: Int8Array;
  readonly fine: Float64Array;
  readonly ranks: readonly number[];
  readonly fractions: readonly number[];
  readonly bins: readonly number[];
  readonly before: readonly number[];
  readonly distinct: readonly number[];
  readonly total: number;
}

/**
 * The plan for the percentiles `ps` (0–100, integers), from coarse counts made with `shift`
 * (`coarse[value >>> shift] += weight`; `coarseShift` picks the shift); `total` is Σ weight (> 0). `alsoBins` get fine counts too (for `weightAtOrBelow`).
 */
export function planPercentiles(
  coarse: Float64Array,
  shift: number,
  total: number,
  ps: readonly number[],
  alsoBins: readonly number[] = [],
): FinePlan {
  // Each percentile needs the copies at ranks floor(pos) and ceil(pos), pos = p·(W − 1)/100.
  const ranks: number[] = [];
  const fractions: number[] = [];
  for (const p of ps) {
    const scaled = p * (total - 1);
    const low = Math.floor(scaled / 100);
    const fraction = scaled - low * 100; // 0–99: pos = low + fraction / 100
    ranks.push(low, fraction === 0 ? low : low + 1);
    fractions.push(fraction);
  }
  // The bin and the weight before it of each rank.
  const bins = ranks.map(() => -1);
  const before = ranks.map(() => 0);
  let seen = 0;
  let found = 0;
  for (let bin = 0; bin < coarse.length && found < ranks.length; bin++) {
    const c = coarse[bin] as number;
    if (c === 0) continue;
    for (let r = 0; r < ranks.length; r++) {
      if (bins[r] === -1 && seen + c > (ranks[r] as number)) {
        bins[r] = bin;
        before[r] = seen;
        found++;
      }
    }
    seen += c;
  }
  const distinct = [...new Set([...bins, ...alsoBins])];
  const size = 1 << shift;
  if (fineScratch.length < distinct.length * size) fineScratch = new Float64Array(distinct.length * size);
  fineScratch.fill(0, 0, distinct.length * size);
  if (slotScratch.length < coarse.length) slotScratch = new Int8Array(coarse.length);
  slotScratch.fill(-1, 0, coarse.length);
  for (const [slot, bin] of distinct.entries()) slotScratch[bin] = slot;
  return { shift, slotOf: slotScratch, fine: fineScratch, ranks, fractions, bins, before, distinct, total };
}

/** The percentiles of a plan whose fine counts are made, each as an exact ratio (num / den, den = 100). */
export function percentilesOfPlan(plan: FinePlan): Ratio[] {
  const { shift, fine, ranks, fractions, bins, before, distinct, total } = plan;
  const size = 1 << shift;
  const valueAt = (r: number): number => {
    const bin = bins[r] as number;
    const offset = distinct.indexOf(bin) * size;
    let count = before[r] as number;
    for (let v = 0; v < size; v++) {
      count += fine[offset + v] as number;
      if (count > (ranks[r] as number)) return bin * size + v;
    }
    throw new RangeError(`Expected rank below ${total} but received ${ranks[r]}`);
  };
  return fractions.map((fraction, k) => {
    const low = valueAt(2 * k);
    const high = valueAt(2 * k + 1);
    return { num: low * (100 - fraction) + high * fraction, den: 100 };
  });
}

/**
 * Σ weight of the values at or below `value`, exactly, from the coarse counts and the plan's fine counts (its
 * bin must be one of the plan's).
 *
 * @example
 * weightAtOrBelow(coarse, plan, 20_000); // Σ weight of luma ≤ 2 (×10 000)
 */
export function weightAtOrBelow(coarse: Float64Array, plan: FinePlan, value: number): number {
  const { shift, slotOf, fine } = plan;
  const bin = value >>> shift;
  let weight = 0;
  for (let b = 0; b < bin && b < coarse.length; b++) weight += coarse[b] as number;
  if (bin >= coarse.length) return weight;
  const slot = slotOf[bin] as number;
  if (slot < 0) throw new RangeError(`Expected bin ${bin} in the plan`);
  for (let v = slot << shift, end = v + (value & ((1 << shift) - 1)); v <= end; v++) weight += fine[v] as number;
  return weight;
}

/** Counts the values of the plan's bins (those with a slot) over `rect` into its `fine` counts. */
export function countFine(plane: Uint32Array, weights: Weights, width: number, rect: Rect, plan: FinePlan): void {
  const { shift, slotOf, fine } = plan;
  const mask = (1 << shift) - 1;
  for (let y = rect.y0; y < rect.y1; y++) {
    const row = y * width;
    if (weights) {
      for (let i = row + rect.x0, end = row + rect.x1; i < end; i++) {
        const v = plane[i] as number;
        const slot = slotOf[v >>> shift] as number;
        if (slot < 0) continue;
        const at = (slot << shift) + (v & mask);
        fine[at] = (fine[at] as number) + (weights[i] as number);
      }
    } else {
      for (let i = row + rect.x0, end = row + rect.x1; i < end; i++) {
        const v = plane[i] as number;
        const slot = slotOf[v >>> shift] as number;
        if (slot < 0) continue;
        const at = (slot << shift) + (v & mask);
        fine[at] = (fine[at] as number) + 1;
      }
    }
  }
}

/** About 1 000–2 000 coarse bins, whatever the plane's range: a shift that keeps both walks short. */
export function coarseShift(maxValue: number): number {
  let shift = 0;
  while (maxValue >>> shift >= 2048) shift++;
  return shift;
}
