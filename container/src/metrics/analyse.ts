/**
 * Every number of the brightness family from one fused pass over the pixels, then small passes over the
 * plane it makes: pass 1 computes each pixel's integer value on the scale (rec709's luma, or the `algorithm`'s
 * plane from scales.ts), the weighted sum, and counts weights into coarse bins (which give both the histogram
 * and the median's neighbourhood); the edge bands are summed from the plane by row ranges; the median is
 * finished from the one or two coarse bins that hold it, by counting, never by sorting.
 * Pure: pixel arrays in, a plain object out.
 *
 * Each pixel is weighted by its opacity (alpha 0–255; 255 for images without alpha), so fully transparent
 * pixels do not count and half-transparent ones count half. The caller flattens onto a background first
 * when the user asked for one.
 *
 * Every result is also given as an exact ratio of integer sums (`Ratio`), which is what the API rounds
 * (exact.ts): the luma is an exact integer × LUMA_SCALE (luminance and L* are integers × 20 480, their
 * plane's unit), and every sum stays below 2^53 for the analysis sizes allowed (config.ts caps the side at
 * 2048 px: 2048² × 2 550 000 × 255 < 2^53).
 */
import type { Algorithm, EdgeMode } from "../../../contract/analysis.ts";
import { bandSize } from "./edges.ts";
import type { Ratio } from "./exact.ts";
import { BUCKET_WIDTH, HISTOGRAM_BUCKETS } from "./histogram.ts";
import { LUMA_SCALE, type Pixels, REC709_B, REC709_G, REC709_R } from "./luminance.ts";
import { SCALES, scalePlane } from "./scales.ts";

export interface AnalyseOptions {
  median: boolean;
  histogram: boolean;
  edgeMode: EdgeMode | null;
  /** The scale of every number (default rec709, v1's luma). */
  algorithm?: Algorithm;
}

export interface Analysis {
  /** Total weight (Σ alpha, 255 per opaque pixel): 0 means no pixel is visible at all. */
  totalWeight: number;
  /** The average on the scale (luma 0–255, or 0–100 for luminance and L*), exactly. */
  average: Ratio;
  /** The average on the scale (NaN when `totalWeight` is 0): a float for logs and tests. */
  averageLuma: number;
  median?: Ratio;
  medianLuma?: number;
  /** Each bucket's share in percent, exactly. */
  histogram?: Ratio[];
  /** Share of each bucket in percent, unrounded. */
  histogramPercent?: number[];
  /** The edge bands' average on the scale, exactly; `den` is 0 when the bands are wholly transparent. */
  edge?: Ratio;
  /** NaN when the bands are wholly transparent. */
  edgeAverageLuma?: number;
}

/**
 * The coarse bins: the plane's value shifted right by 11, i.e. 2048 scaled values per bin (1 246 bins for luma
 * 0–255, 1 001 for the 0–100 scales). 2048 divides the histogram's bucket width exactly on every scale (luma:
 * 25.6 × 10 000 = 125 × 2048; luminance and L*: 10 × 20 480 = 100 × 2048), so the ten buckets are sums of whole
 * bins and need no per-pixel work of their own.
 */
const BIN_SHIFT = 11;
const BIN_SIZE = 1 << BIN_SHIFT;
const BIN_COUNT = (Math.max(...Object.values(SCALES).map((s) => s.max * s.unit)) >> BIN_SHIFT) + 1;
/** Coarse bins per histogram bucket, per scale: luma's buckets are 25.6 wide (histogram.ts), the others' 10. */
const binsPerBucket = (algorithm: Algorithm): number =>
  algorithm === "rec709" ? (BUCKET_WIDTH * LUMA_SCALE) / BIN_SIZE : (10 * SCALES[algorithm].unit) / BIN_SIZE;

// Module-local copies of the imported weights: the hot loops read an import's live binding on every use, which
// cost a third of the pass (measured), while a local constant is folded into the code.
const WR = REC709_R;
const WG = REC709_G;
const WB = REC709_B;
const SCALE = LUMA_SCALE;

// Reused scratch buffers: analyse() is synchronous, so no two calls ever share them at once, and a request no
// longer allocates (and the collector no longer frees) a luma plane of its own.
let lumaPlane = new Uint32Array(0);
// Counts fit 32 bits: at most 255 × 2048² (config.ts caps the side) < 2^32.
const coarse = new Uint32Array(BIN_COUNT);
const fine = new Uint32Array(2 * BIN_SIZE);

/**
 * @example
 * const pixels = { data: Uint8Array.of(0, 0, 0, 255, 255, 255), width: 2, height: 1, channels: 3 };
 * analyse(pixels, { median: true, histogram: false, edgeMode: null });
 * // { totalWeight: 510, average: { num: 2550000, den: 20000 }, averageLuma: 127.5, median: …, medianLuma: 127.5 }
 */
export function analyse(pixels: Pixels, options: AnalyseOptions): Analysis {
  const { data, width, height, channels } = pixels;
  const algorithm = options.algorithm ?? "rec709";
  const unit = SCALES[algorithm].unit;
  const count = width * height;
  if (lumaPlane.length < count) lumaPlane = new Uint32Array(count);
  const luma = lumaPlane;
  coarse.fill(0);
  if (channels < 1 || channels > 4) throw new RangeError(`Expected 1 to 4 channels but received ${channels}`);

  // Pass 1: the plane, Σ value × weight and the coarse counts, in one small loop per channel layout (no branch
  // in the body). Opaque images count each pixel once (weight 1): every ratio is the same as with 255 per
  // pixel. The other scales' planes come from scales.ts (their per-pixel arithmetic is tables), then one pass.
  const hasAlpha = channels === 2 || channels === 4;
  let sum: number;
  if (algorithm !== "rec709") {
    scalePlane(pixels, algorithm, luma);
    sum = hasAlpha ? passPlaneWeighted(data, channels, count, luma, coarse) : passPlane(count, luma, coarse);
  } else if (channels === 3) sum = passRgb(data, count, luma, coarse);
  else if (channels === 1) sum = passGrey(data, count, luma, coarse);
  else if (channels === 4) sum = passRgba(data, count, luma, coarse);
  else sum = passGreyAlpha(data, count, luma, coarse);
  let weight = count;
  if (hasAlpha) {
    weight = 0;
    for (let bin = 0; bin < BIN_COUNT; bin++) weight += coarse[bin] as number;
  }

  const result: Analysis = {
    totalWeight: hasAlpha ? weight : weight * 255,
    average: { num: sum, den: weight * unit },
    averageLuma: sum / weight / unit,
  };
  if (options.histogram) {
    const weights = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
    const perBucket = binsPerBucket(algorithm);
    for (let bin = 0; bin < BIN_COUNT; bin++) {
      const bucket = Math.min(HISTOGRAM_BUCKETS - 1, Math.floor(bin / perBucket));
      weights[bucket] = (weights[bucket] as number) + (coarse[bin] as number);
    }
    result.histogram = weights.map((w) => ({ num: w * 100, den: weight }));
    result.histogramPercent = weights.map((w) => (w / weight) * 100);
  }
  if (options.median) {
    const twice = weight > 0 ? twiceMedian(luma, hasAlpha ? data : null, channels, count, weight) : Number.NaN;
    // median = (low + high) / 2 on the scaled plane.
    result.median = { num: twice, den: 2 * unit };
    result.medianLuma = twice / 2 / unit;
  }
  if (options.edgeMode) {
    const edgeSum = edgeSums(luma, hasAlpha ? data : null, channels, width, height, options.edgeMode);
    const edgeWeight = edgeWeightOut[0] as number;
    result.edge = { num: edgeSum, den: edgeWeight * unit };
    result.edgeAverageLuma = edgeSum / edgeWeight / unit;
  }
  return result;
}

/** Σ value and the coarse counts of a finished plane, every pixel opaque. */
function passPlane(count: number, plane: Uint32Array, counts: Uint32Array): number {
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = plane[i] as number;
    sum += v;
    const bin = v >> BIN_SHIFT;
    counts[bin] = (counts[bin] as number) + 1;
  }
  return sum;
}

/** Σ value × alpha and the alpha-weighted coarse counts of a finished plane (alpha is the last channel). */
function passPlaneWeighted(
  data: Uint8Array,
  channels: number,
  count: number,
  plane: Uint32Array,
  counts: Uint32Array,
): number {
  let sum = 0;
  for (let i = 0, o = channels - 1; i < count; i++, o += channels) {
    const v = plane[i] as number;
    const w = data[o] as number;
    sum += v * w;
    const bin = v >> BIN_SHIFT;
    counts[bin] = (counts[bin] as number) + w;
  }
  return sum;
}

function passRgb(data: Uint8Array, count: number, luma: Uint32Array, counts: Uint32Array): number {
  let sum = 0;
  for (let i = 0, o = 0; i < count; i++, o += 3) {
    const l = WR * (data[o] as number) + WG * (data[o + 1] as number) + WB * (data[o + 2] as number);
    luma[i] = l;
    sum += l;
    const bin = l >> BIN_SHIFT;
    counts[bin] = (counts[bin] as number) + 1;
  }
  return sum;
}

function passGrey(data: Uint8Array, count: number, luma: Uint32Array, counts: Uint32Array): number {
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const l = (data[i] as number) * SCALE;
    luma[i] = l;
    sum += l;
    const bin = l >> BIN_SHIFT;
    counts[bin] = (counts[bin] as number) + 1;
  }
  return sum;
}

function passRgba(data: Uint8Array, count: number, luma: Uint32Array, counts: Uint32Array): number {
  let sum = 0;
  for (let i = 0, o = 0; i < count; i++, o += 4) {
    const l = WR * (data[o] as number) + WG * (data[o + 1] as number) + WB * (data[o + 2] as number);
    const w = data[o + 3] as number;
    luma[i] = l;
    sum += l * w;
    const bin = l >> BIN_SHIFT;
    counts[bin] = (counts[bin] as number) + w;
  }
  return sum;
}

function passGreyAlpha(data: Uint8Array, count: number, luma: Uint32Array, counts: Uint32Array): number {
  let sum = 0;
  for (let i = 0, o = 0; i < count; i++, o += 2) {
    const l = (data[o] as number) * SCALE;
    const w = data[o + 1] as number;
    luma[i] = l;
    sum += l * w;
    const bin = l >> BIN_SHIFT;
    counts[bin] = (counts[bin] as number) + w;
  }
  return sum;
}

/** The edge bands' Σ weight, written by `edgeSums` beside the Σ luma × weight it returns. */
const edgeWeightOut = new Float64Array(1);

/**
 * Σ luma × weight over the edge bands of `mode` (and Σ weight into `edgeWeightOut`), by row ranges: a row in a
 * top or bottom band counts whole; any other row counts its left and right bands (for `left_right` and
 * `all`). When the bands meet (a side of 1 or 2 px), the ranges are clipped so that every pixel counts once.
 */
function edgeSums(
  luma: Uint32Array,
  alpha: Uint8Array | null,
  channels: number,
  width: number,
  height: number,
  mode: EdgeMode,
): number {
  const bx = Math.min(width, bandSize(width));
  const by = bandSize(height);
  const rowBands = mode !== "left_right";
  const columnBands = mode !== "top_bottom";
  const rightFrom = Math.max(bx, width - bx);
  let sum = 0;
  let weight = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    if (rowBands && (y < by || y >= height - by)) {
      sum += rangeSum(luma, alpha, channels, row, row + width);
      weight += alpha ? rangeWeight(alpha, channels, row, row + width) : width;
    } else if (columnBands) {
      sum +=
        rangeSum(luma, alpha, channels, row, row + bx) + rangeSum(luma, alpha, channels, row + rightFrom, row + width);
      weight += alpha
        ? rangeWeight(alpha, channels, row, row + bx) + rangeWeight(alpha, channels, row + rightFrom, row + width)
        : bx + width - rightFrom;
    }
  }
  edgeWeightOut[0] = weight;
  return sum;
}

/** Σ luma × weight of pixels [from, to). */
function rangeSum(luma: Uint32Array, alpha: Uint8Array | null, channels: number, from: number, to: number): number {
  let sum = 0;
  if (alpha) {
    for (let i = from, o = from * channels + channels - 1; i < to; i++, o += channels) {
      sum += (luma[i] as number) * (alpha[o] as number);
    }
  } else {
    for (let i = from; i < to; i++) sum += luma[i] as number;
  }
  return sum;
}

/** Σ weight of pixels [from, to). */
function rangeWeight(alpha: Uint8Array, channels: number, from: number, to: number): number {
  let weight = 0;
  for (let o = from * channels + channels - 1, end = to * channels; o < end; o += channels)
    weight += alpha[o] as number;
  return weight;
}

/**
 * Twice the weighted median of the scaled luma (the sum of the two middle values; both the same one for an
 * odd total), a pixel of weight w counting as w copies: the coarse counts say which bins hold the middle
 * copies; one pass counts those bins' values exactly into `fine`, and a walk finds them. With every weight
 * equal this is the ordinary median, "the mean of the two middle values" for an even count included.
 */
function twiceMedian(
  luma: Uint32Array,
  alpha: Uint8Array | null,
  channels: number,
  count: number,
  total: number,
): number {
  // 0-based ranks of the middle copy (odd total) or the two middle copies (even total).
  const lowRank = total % 2 === 1 ? (total - 1) / 2 : total / 2 - 1;
  const highRank = total % 2 === 1 ? lowRank : total / 2;
  let lowBin = -1;
  let highBin = -1;
  let lowBefore = 0;
  let highBefore = 0;
  for (let bin = 0, before = 0; bin < BIN_COUNT && highBin < 0; bin++) {
    const c = coarse[bin] as number;
    if (lowBin < 0 && before + c > lowRank) {
      lowBin = bin;
      lowBefore = before;
    }
    if (before + c > highRank) {
      highBin = bin;
      highBefore = before;
    }
    before += c;
  }

  // fine[0 … BIN_SIZE) counts the low bin's values, fine[BIN_SIZE …) the high bin's (when it is another one).
  fine.fill(0);
  const highOffset = highBin === lowBin ? 0 : BIN_SIZE;
  if (alpha) countMiddleWeighted(luma, alpha, channels, count, lowBin, highBin, highOffset);
  else countMiddle(luma, count, lowBin, highBin, highOffset);
  const valueAt = (rank: number, bin: number, before: number, offset: number): number => {
    let seen = before;
    for (let v = 0; v < BIN_SIZE; v++) {
      seen += fine[offset + v] as number;
      if (seen > rank) return bin * BIN_SIZE + v;
    }
    throw new RangeError(`Expected rank below ${total} but received ${rank}`);
  };
  return valueAt(lowRank, lowBin, lowBefore, 0) + valueAt(highRank, highBin, highBefore, highOffset);
}

/** Counts the values of the one or two middle bins into `fine` (opaque pixels: one copy each). */
function countMiddle(luma: Uint32Array, count: number, lowBin: number, highBin: number, highOffset: number): void {
  for (let i = 0; i < count; i++) {
    const l = luma[i] as number;
    const bin = l >> BIN_SHIFT;
    if (bin === lowBin) fine[l & (BIN_SIZE - 1)] = (fine[l & (BIN_SIZE - 1)] as number) + 1;
    else if (bin === highBin) {
      const slot = highOffset + (l & (BIN_SIZE - 1));
      fine[slot] = (fine[slot] as number) + 1;
    }
  }
}

/** Counts the values of the one or two middle bins into `fine`, each with its alpha as weight. */
function countMiddleWeighted(
  luma: Uint32Array,
  alpha: Uint8Array,
  channels: number,
  count: number,
  lowBin: number,
  highBin: number,
  highOffset: number,
): void {
  for (let i = 0, o = channels - 1; i < count; i++, o += channels) {
    const l = luma[i] as number;
    const bin = l >> BIN_SHIFT;
    if (bin === lowBin) fine[l & (BIN_SIZE - 1)] = (fine[l & (BIN_SIZE - 1)] as number) + (alpha[o] as number);
    else if (bin === highBin) {
      const slot = highOffset + (l & (BIN_SIZE - 1));
      fine[slot] = (fine[slot] as number) + (alpha[o] as number);
    }
  }
}
