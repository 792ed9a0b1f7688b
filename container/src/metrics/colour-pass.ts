/**
 * The colour metrics in one pass over the RGB pixels: `colorfulness` (its moment sums), `colors` (the colour
 * histogram and the linear-light sums) and `overlay` (the whole image's luminance histogram; its bands take one
 * more pass each over their 10 % strips) read each pixel once, instead of once per metric; when the luma metrics
 * are asked for too, the same pass writes the luma plane with `contrast`'s coarse counts and deviation sums
 * (contrast.ts), so that the plane costs no pass of its own. `placeholder` reads a quarter of the pixels by itself
 * (placeholder.ts). A grey image (1–2 channels) needs even less: its 256 level weights give every histogram.
 * Each result is the very one its own function gives (colour-pass.test.ts); a metric not asked for costs
 * nothing but a predictable branch. Pure: typed arrays in, plain objects out.
 */
import type { EdgeMode } from "../../../contract/analysis.ts";
import { type Colorfulness, colorfulnessOfSums } from "./colorfulness.ts";
import {
  BINS,
  type Colors,
  colorsOfHistogram,
  DROP,
  DROP_G,
  greyHistogram,
  HISTOGRAM_BITS,
  histogramOfBins,
  RED_SHIFT,
} from "./colors.ts";
import type { ContrastSums } from "./contrast.ts";
import { adviceOfLuminanceHistogram, bandAdviceFromPixels, type Overlay, Y14, Y14_MAX } from "./overlay.ts";
import { DEFAULT_X_COMPONENTS, DEFAULT_Y_COMPONENTS, type Placeholder, placeholder } from "./placeholder.ts";
import { LUMA_B, LUMA_G, LUMA_R, LUMA_UNIT, type PixelImage, type Weights } from "./planes.ts";
import { SRGB8_TO_LINEAR } from "./scales.ts";

/** The luma plane for the pass to write (lumaPlane's values), and contrast's first sums to make from it. */
export interface LumaTarget {
  plane: Uint32Array;
  /** Contrast's coarse counts and deviation sums (contrast.ts: `countContrast`'s part), or null. */
  contrast: ContrastSums | null;
}

export interface ColourOptions {
  colorfulness?: boolean;
  /** How many dominant colours (1–10); absent: no `colors`. */
  colors?: number;
  /** `overlay`: `null` for the whole image, an edge mode for its bands too; absent: no `overlay`. */
  overlay?: EdgeMode | null;
  /** `placeholder`: true for 4 × 3 components, or [x, y]; absent or false: none. */
  placeholder?: boolean | readonly [number, number];
  /** Write the luma plane (and contrast's first sums) too. */
  luma?: LumaTarget;
}

/** Each metric asked for: its result, or `null` when no pixel is visible. */
export interface ColourResults {
  colorfulness?: Colorfulness | null;
  colors?: Colors | null;
  overlay?: Overlay | null;
  placeholder?: Placeholder | null;
}

// Scratch, reused (synchronous) and left zeroed: the colour bins (as colors.ts lays them out), the bins touched,
// and the luminance histogram.
const bins = new Float64Array(BINS * 4);
const touched = new Int32Array(BINS);
const luminance = new Uint32Array(Y14_MAX + 1);
const LIN = SRGB8_TO_LINEAR;
// Module-local copies of the imported constants: a hot loop reads an import's live binding on every use.
const DROP_RB = DROP;
const DROP_GREEN = DROP_G;
const SHIFT_RED = RED_SHIFT;
const BITS = HISTOGRAM_BITS;
const WR = LUMA_R;
const WG = LUMA_G;
const WB = LUMA_B;
// No clamp to Y14_MAX on the sum: the tables are non-decreasing and sum to Y14_MAX at white (overlay.test.ts).
const [YR, YG, YB] = Y14;

/**
 * What the pass adds up besides the histograms, by index: Σ weight, colourfulness' moments (of rg = R − G and
 * 2·yb = R + G − 2B, and their squares), Σ weight × linear light of R, G and B (`colors`' average), the count
 * of bins touched, and contrast's deviation sums.
 */
const totals = new Float64Array(11);
const TOTAL = 0;
const SUM_RG = 1;
const SUM_RG2 = 2;
const SUM_YB = 3;
const SUM_YB2 = 4;
const LIN_R = 5;
const LIN_G = 6;
const LIN_B = 7;
const TOUCHED = 8;
const SUM_D = 9;
const SUM_D2 = 10;

/**
 * The colour metrics asked for, from one pass over the pixels (and the placeholder's own pass over a quarter of
 * them: placeholder.ts).
 *
 * @example
 * colourMetrics(pixels, weights, { colorfulness: true, colors: 5, overlay: "all", placeholder: true });
 * // { colorfulness: { value, label }, colors: { average, dominant }, overlay: { …, bands }, placeholder: { blurhash, … } }
 */
export function colourMetrics(pixels: PixelImage, weights: Weights, options: ColourOptions): ColourResults {
  const wantColorfulness = options.colorfulness === true;
  const wantColors = options.colors !== undefined;
  const wantOverlay = options.overlay !== undefined;
  const wantPlaceholder = options.placeholder !== undefined && options.placeholder !== false;
  if (pixels.channels < 3) {
    return greyMetrics(pixels, weights, options, wantColorfulness, wantColors, wantOverlay, wantPlaceholder);
  }
  const flags = { wantColorfulness, wantColors, wantOverlay, luma: options.luma ?? null };
  if (weights) passWeighted(pixels, weights, flags);
  else passOpaque(pixels, flags);
  const total = totals[TOTAL] as number;
  const contrast = options.luma?.contrast;
  if (contrast) {
    contrast.sumD += totals[SUM_D] as number;
    contrast.sumD2 += totals[SUM_D2] as number;
  }

  const out: ColourResults = {};
  if (wantColorfulness) {
    const sum = (at: number) => totals[at] as number;
    out.colorfulness = colorfulnessOfSums(total, sum(SUM_RG), sum(SUM_RG2), sum(SUM_YB), sum(SUM_YB2));
  }
  if (wantColors) {
    const linear: [number, number, number] = [
      totals[LIN_R] as number,
      totals[LIN_G] as number,
      totals[LIN_B] as number,
    ];
    const histogram = histogramOfBins(bins, touched.subarray(0, totals[TOUCHED] as number), total, linear);
    out.colors = colorsOfHistogram(histogram, options.colors as number);
  }
  if (wantOverlay) {
    const whole = adviceOfLuminanceHistogram(luminance, total);
    luminance.fill(0);
    const edgeMode = options.overlay ?? null;
    out.overlay = whole && edgeMode ? { ...whole, bands: bandAdviceFromPixels(pixels, weights, edgeMode) } : whole;
  }
  if (wantPlaceholder) out.placeholder = placeholderOf(pixels, weights, options.placeholder);
  return out;
}

/** The placeholder asked for: true for 4 × 3 components, or [x, y]. */
function placeholderOf(pixels: PixelImage, weights: Weights, asked: ColourOptions["placeholder"]): Placeholder | null {
  const [x, y] = Array.isArray(asked) ? asked : [DEFAULT_X_COMPONENTS, DEFAULT_Y_COMPONENTS];
  return placeholder(pixels, weights, x, y);
}

interface Flags {
  wantColorfulness: boolean;
  wantColors: boolean;
  wantOverlay: boolean;
  luma: LumaTarget | null;
}

/** The pass when every pixel is opaque (weight 1): row by row (see `opaqueRow`). */
function passOpaque(pixels: PixelImage, { wantColorfulness, wantColors, wantOverlay, luma }: Flags): void {
  const { data, width, height, channels } = pixels;
  totals.fill(0);
  let seen = 0;
  for (let y = 0; y < height; y++) {
    seen = opaqueRow(
      data,
      channels,
      y * width,
      (y + 1) * width,
      wantColorfulness,
      wantColors,
      wantOverlay,
      luma ? luma.plane : null,
      luma?.contrast ? luma.contrast.coarse : null,
      luma?.contrast ? luma.contrast.shift : 0,
      luma?.contrast ? luma.contrast.pivot : 0,
      seen,
    );
  }
  totals[TOTAL] = width * height;
  totals[TOUCHED] = seen;
}

/**
 * One row of the opaque pass, pixels [from, to); returns the count of bins touched so far. A function per row
 * rather than one loop over the image: V8 compiles a long loop while it runs (on-stack replacement), before the
 * code after it has run, and the compiled loop then gave up at that code on every call (measured: 664
 * deoptimisations in 800 calls, the pass twice as slow); a row's function is compiled whole after a few rows.
 */
function opaqueRow(
  data: Uint8Array,
  channels: number,
  from: number,
  to: number,
  wantColorfulness: boolean,
  wantColors: boolean,
  wantOverlay: boolean,
  plane: Uint32Array | null,
  coarse: Float64Array | null,
  shift: number,
  pivot: number,
  touchedSoFar: number,
): number {
  let sumD = 0;
  let sumD2 = 0;
  let sumRg = 0;
  let sumRg2 = 0;
  let sumYb = 0;
  let sumYb2 = 0;
  let linR = 0;
  let linG = 0;
  let linB = 0;
  let seen = touchedSoFar;
  for (let i = from, o = from * channels; i < to; i++, o += channels) {
    const r = data[o] as number;
    const g = data[o + 1] as number;
    const b = data[o + 2] as number;
    if (wantColorfulness) {
      // Sums of integers below 2^53: exact.
      const rg = r - g;
      const yb = r + g - 2 * b;
      sumRg += rg;
      sumRg2 += rg * rg;
      sumYb += yb;
      sumYb2 += yb * yb;
    }
    if (wantOverlay) {
      const v = (YR[r] as number) + (YG[g] as number) + (YB[b] as number);
      luminance[v] = (luminance[v] as number) + 1;
    }
    if (wantColors) {
      linR += LIN[r] as number;
      linG += LIN[g] as number;
      linB += LIN[b] as number;
      const at = (((r >> DROP_RB) << SHIFT_RED) | ((g >> DROP_GREEN) << BITS) | (b >> DROP_RB)) << 2;
      const before = bins[at] as number;
      if (before === 0) touched[seen++] = at >> 2;
      bins[at] = before + 1;
      bins[at + 1] = (bins[at + 1] as number) + r;
      bins[at + 2] = (bins[at + 2] as number) + g;
      bins[at + 3] = (bins[at + 3] as number) + b;
    }
    if (plane) {
      const l = WR * r + WG * g + WB * b;
      plane[i] = l;
      if (coarse) {
        const bin = l >>> shift;
        coarse[bin] = (coarse[bin] as number) + 1;
        const d = l - pivot;
        sumD += d;
        sumD2 += d * d;
      }
    }
  }
  addTotals(0, sumRg, sumRg2, sumYb, sumYb2, linR, linG, linB, sumD, sumD2);
  return seen;
}

/** Adds a row's sums to `totals`. */
function addTotals(
  total: number,
  sumRg: number,
  sumRg2: number,
  sumYb: number,
  sumYb2: number,
  linR: number,
  linG: number,
  linB: number,
  sumD: number,
  sumD2: number,
): void {
  totals[TOTAL] = (totals[TOTAL] as number) + total;
  totals[SUM_RG] = (totals[SUM_RG] as number) + sumRg;
  totals[SUM_RG2] = (totals[SUM_RG2] as number) + sumRg2;
  totals[SUM_YB] = (totals[SUM_YB] as number) + sumYb;
  totals[SUM_YB2] = (totals[SUM_YB2] as number) + sumYb2;
  totals[LIN_R] = (totals[LIN_R] as number) + linR;
  totals[LIN_G] = (totals[LIN_G] as number) + linG;
  totals[LIN_B] = (totals[LIN_B] as number) + linB;
  totals[SUM_D] = (totals[SUM_D] as number) + sumD;
  totals[SUM_D2] = (totals[SUM_D2] as number) + sumD2;
}

/**
 * The pass with a weight (alpha) per pixel, row by row: a transparent pixel counts nowhere (but has its luma).
 * `opaqueRow` with w, kept apart for the same reason as neighbourhood.ts's rows: the opaque loop is the common one.
 */
function passWeighted(
  pixels: PixelImage,
  weights: Uint8Array,
  { wantColorfulness, wantColors, wantOverlay, luma }: Flags,
): void {
  const { data, width, height, channels } = pixels;
  totals.fill(0);
  let seen = 0;
  for (let y = 0; y < height; y++) {
    seen = weightedRow(
      data,
      weights,
      channels,
      y * width,
      (y + 1) * width,
      wantColorfulness,
      wantColors,
      wantOverlay,
      luma ? luma.plane : null,
      luma?.contrast ? luma.contrast.coarse : null,
      luma?.contrast ? luma.contrast.shift : 0,
      luma?.contrast ? luma.contrast.pivot : 0,
      seen,
    );
  }
  totals[TOUCHED] = seen;
}

function weightedRow(
  data: Uint8Array,
  weights: Uint8Array,
  channels: number,
  from: number,
  to: number,
  wantColorfulness: boolean,
  wantColors: boolean,
  wantOverlay: boolean,
  plane: Uint32Array | null,
  coarse: Float64Array | null,
  shift: number,
  pivot: number,
  touchedSoFar: number,
): number {
  let sumD = 0;
  let sumD2 = 0;
  let total = 0;
  let sumRg = 0;
  let sumRg2 = 0;
  let sumYb = 0;
  let sumYb2 = 0;
  let linR = 0;
  let linG = 0;
  let linB = 0;
  let seen = touchedSoFar;
  for (let i = from, o = from * channels; i < to; i++, o += channels) {
    const r = data[o] as number;
    const g = data[o + 1] as number;
    const b = data[o + 2] as number;
    // The plane holds every pixel's luma, transparent or not: the neighbourhood reads it (neighbourhood.ts).
    const l = WR * r + WG * g + WB * b;
    if (plane) plane[i] = l;
    const w = weights[i] as number;
    if (w === 0) continue;
    total += w;
    if (wantColorfulness) {
      const rg = r - g;
      const yb = r + g - 2 * b;
      sumRg += w * rg;
      sumRg2 += w * rg * rg;
      sumYb += w * yb;
      sumYb2 += w * yb * yb;
    }
    if (wantOverlay) {
      const v = (YR[r] as number) + (YG[g] as number) + (YB[b] as number);
      luminance[v] = (luminance[v] as number) + w;
    }
    if (wantColors) {
      linR += w * (LIN[r] as number);
      linG += w * (LIN[g] as number);
      linB += w * (LIN[b] as number);
      const at = (((r >> DROP_RB) << SHIFT_RED) | ((g >> DROP_GREEN) << BITS) | (b >> DROP_RB)) << 2;
      const before = bins[at] as number;
      if (before === 0) touched[seen++] = at >> 2;
      bins[at] = before + w;
      bins[at + 1] = (bins[at + 1] as number) + w * r;
      bins[at + 2] = (bins[at + 2] as number) + w * g;
      bins[at + 3] = (bins[at + 3] as number) + w * b;
    }
    if (coarse) {
      const bin = l >>> shift;
      coarse[bin] = (coarse[bin] as number) + w;
      const d = l - pivot;
      sumD += w * d;
      sumD2 += w * d * d;
    }
  }
  addTotals(total, sumRg, sumRg2, sumYb, sumYb2, linR, linG, linB, sumD, sumD2);
  return seen;
}

const levelScratch = new Float64Array(256);
const UNIT = LUMA_UNIT;

/**
 * The colour metrics of a grey image (1 channel, or grey + alpha): one pass counts the level weights (and writes
 * the luma plane when asked); every histogram the metrics need is then made from the 256 levels.
 */
function greyMetrics(
  pixels: PixelImage,
  weights: Weights,
  options: ColourOptions,
  wantColorfulness: boolean,
  wantColors: boolean,
  wantOverlay: boolean,
  wantPlaceholder: boolean,
): ColourResults {
  const { data, width, height, channels } = pixels;
  const levels = levelScratch;
  countLevels(data, channels, width * height, weights, options.luma ? options.luma.plane : null, levels);
  let total = 0;
  for (let v = 0; v < 256; v++) total += levels[v] as number;
  const contrast = options.luma?.contrast;
  if (contrast) {
    // Contrast's first sums, from the 256 levels rather than from every pixel of the plane.
    const { coarse, shift, pivot } = contrast;
    for (let v = 0; v < 256; v++) {
      const w = levels[v] as number;
      const bin = (v * UNIT) >>> shift;
      coarse[bin] = (coarse[bin] as number) + w;
      const d = v * UNIT - pivot;
      contrast.sumD += w * d;
      contrast.sumD2 += w * d * d;
    }
  }

  const out: ColourResults = {};
  // Grey: R = G = B, so rg = yb = 0 for every pixel.
  if (wantColorfulness) out.colorfulness = colorfulnessOfSums(total, 0, 0, 0, 0);
  if (wantColors) out.colors = colorsOfHistogram(greyHistogram(levels, total), options.colors as number);
  if (wantOverlay) {
    // A grey level's relative luminance is the same 14-bit value overlay.ts counts for it.
    for (let v = 0; v < 256; v++) {
      const y = (YR[v] as number) + (YG[v] as number) + (YB[v] as number);
      luminance[y] = (luminance[y] as number) + (levels[v] as number);
    }
    const whole = adviceOfLuminanceHistogram(luminance, total);
    luminance.fill(0);
    const edgeMode = options.overlay ?? null;
    out.overlay = whole && edgeMode ? { ...whole, bands: bandAdviceFromPixels(pixels, weights, edgeMode) } : whole;
  }
  if (wantPlaceholder) out.placeholder = placeholderOf(pixels, weights, options.placeholder);
  return out;
}

/**
 * The weight of each grey level (zeroing `levels` first), and the luma plane when given. A function that ends with
 * its loop: V8 compiles a long loop while it runs, before the code after it has run, and such code then gave up
 * there on later calls (measured).
 */
function countLevels(
  data: Uint8Array,
  channels: number,
  count: number,
  weights: Weights,
  plane: Uint32Array | null,
  levels: Float64Array,
): void {
  levels.fill(0);
  if (weights) {
    for (let i = 0, o = 0; i < count; i++, o += channels) {
      const v = data[o] as number;
      if (plane) plane[i] = v * UNIT;
      levels[v] = (levels[v] as number) + (weights[i] as number);
    }
  } else {
    for (let i = 0, o = 0; i < count; i++, o += channels) {
      const v = data[o] as number;
      if (plane) plane[i] = v * UNIT;
      levels[v] = (levels[v] as number) + 1;
    }
  }
}
