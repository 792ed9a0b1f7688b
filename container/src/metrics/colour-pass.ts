/**
 * The colour metrics in one pass over the RGB pixels: `colorfulness` (its moment sums), `colors` (the colour
 * histogram and the linear-light sums) and `overlay` (the whole image's luminance histogram; its bands take one
 * more pass each over their 10 % strips) read each pixel once, instead of once per metric; when the luma metrics
 * are asked for too, the same pass writes the luma plane with `contrast`'s coarse counts and deviation sums
 * (contrast.ts), so that the plane costs no pass of its own. `placeholder` reads a quarter of the pixels by itself
 * (placeholder.ts). A grey image (1–2 channels) needs even less: its 256 level weights give every histogram.
 * The pass over RGB pixels, and each overlay band's, run in WebAssembly (wasm.ts), with a loop for each set of
 * metrics asked for. Each result is the very one its JavaScript reference gives (container/test/reference/,
 * colour-pass.test.ts); a metric not asked for costs nothing. Pure: typed arrays in, plain objects out.
 */
import type { EdgeMode } from "../../../contract/analysis.ts";
import { type Colorfulness, colorfulnessOfSums } from "./colorfulness.ts";
import { type Colors, colorsOfHistogram, greyHistogram, histogramOfBins } from "./colors.ts";
import type { ContrastSums } from "./contrast.ts";
import { adviceOfLuminanceHistogram, bandRects, type Overlay, type OverlayBands, Y14 } from "./overlay.ts";
import { DEFAULT_X_COMPONENTS, DEFAULT_Y_COMPONENTS, type Placeholder, placeholder } from "./placeholder.ts";
import { LUMA_UNIT, type PixelImage, type Weights } from "./planes.ts";
import {
  PASS_COLORFULNESS,
  PASS_COLORS,
  PASS_CONTRAST,
  PASS_LUMA,
  PASS_OVERLAY,
  passMemory,
  residentPixels,
  runBandLuminance,
  runColourPass,
} from "./wasm.ts";

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

/** The sums of the pass, by index into `totals` (container/wasm/passes.ts adds them up). */
const TOTAL = 0;
const SUM_RG = 1;
const SUM_RG2 = 2;
const SUM_YB = 3;
const SUM_YB2 = 4;
const LIN_R = 5;
const LIN_G = 6;
const LIN_B = 7;
const SUM_D = 9;
const SUM_D2 = 10;
const [YR, YG, YB] = Y14;

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
  const { width, height } = pixels;
  const luma = options.luma;
  const contrast = luma?.contrast ?? null;
  const flags =
    (wantColorfulness ? PASS_COLORFULNESS : 0) |
    (wantColors ? PASS_COLORS : 0) |
    (wantOverlay ? PASS_OVERLAY : 0) |
    (luma ? PASS_LUMA : 0) |
    (contrast ? PASS_CONTRAST : 0);
  const resident = residentPixels(pixels, weights);
  // Only the placeholder asked for: it makes its own pass.
  const seen =
    flags === 0
      ? 0
      : runColourPass(resident, weights, flags, contrast ? contrast.shift : 0, contrast ? contrast.pivot : 0);
  const memory = passMemory(width * height);
  const { totals } = memory;
  const total = weights ? (totals[TOTAL] as number) : width * height;
  if (luma && luma.plane !== memory.plane) luma.plane.set(memory.plane.subarray(0, width * height));
  if (contrast) {
    contrast.sumD += totals[SUM_D] as number;
    contrast.sumD2 += totals[SUM_D2] as number;
    const { coarse } = memory;
    for (let bin = 0; bin < contrast.coarse.length; bin++) {
      contrast.coarse[bin] = (contrast.coarse[bin] as number) + (coarse[bin] as number);
    }
    coarse.fill(0, 0, contrast.coarse.length);
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
    const histogram = histogramOfBins(memory.bins, memory.touched.subarray(0, seen), total, linear);
    out.colors = colorsOfHistogram(histogram, options.colors as number);
  }
  if (wantOverlay) {
    const whole = adviceOfLuminanceHistogram(memory.luminance, total);
    memory.luminance.fill(0);
    const edgeMode = options.overlay ?? null;
    out.overlay = whole && edgeMode ? { ...whole, bands: bandAdvice(resident, weights, edgeMode) } : whole;
  }
  if (wantPlaceholder) out.placeholder = placeholderOf(pixels, weights, options.placeholder);
  return out;
}

/** The overlay advice of each band of `edgeMode`, from the luminance histogram of each (one pass each). */
function bandAdvice(resident: PixelImage, weights: Weights, edgeMode: EdgeMode): OverlayBands {
  const { luminance } = passMemory(0);
  const bands: OverlayBands = {};
  for (const [band, rect] of bandRects(resident.width, resident.height, edgeMode)) {
    bands[band] = adviceOfLuminanceHistogram(luminance, runBandLuminance(resident, weights, rect));
    luminance.fill(0);
  }
  return bands;
}

/** The placeholder asked for: true for 4 × 3 components, or [x, y]. */
function placeholderOf(pixels: PixelImage, weights: Weights, asked: ColourOptions["placeholder"]): Placeholder | null {
  const [x, y] = Array.isArray(asked) ? asked : [DEFAULT_X_COMPONENTS, DEFAULT_Y_COMPONENTS];
  return placeholder(pixels, weights, x, y);
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
    const { luminance } = passMemory(0);
    for (let v = 0; v < 256; v++) {
      const y = (YR[v] as number) + (YG[v] as number) + (YB[v] as number);
      luminance[y] = (luminance[y] as number) + (levels[v] as number);
    }
    const whole = adviceOfLuminanceHistogram(luminance, total);
    luminance.fill(0);
    const edgeMode = options.overlay ?? null;
    const bands = edgeMode ? bandAdvice(residentPixels(pixels, weights), weights, edgeMode) : null;
    out.overlay = whole && bands ? { ...whole, bands } : whole;
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
