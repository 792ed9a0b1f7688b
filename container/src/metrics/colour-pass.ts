/**
 * The colour metrics in one pass over the RGB pixels: `colorfulness` (its moment sums), `colors` (the colour
 * histogram and the linear-light sums), `overlay` (the whole image's luminance histogram; its bands take one
 * more pass each over their 10 % strips) and `placeholder` (the small copy's cell sums) read each pixel once,
 * instead of once per metric. Each result is the very one its own function gives (colour-pass.test.ts);
 * a metric not asked for costs nothing but a predictable branch. Grey images (1–2 channels) take the metrics'
 * own functions, which read one byte per pixel. Pure: typed arrays in, plain objects out.
 */
import type { EdgeMode } from "../../../contract/analysis.ts";
import { type Colorfulness, colorfulness, colorfulnessOfSums } from "./colorfulness.ts";
import {
  BINS,
  type Colors,
  colors,
  colorsOfHistogram,
  DROP,
  DROP_G,
  HISTOGRAM_BITS,
  histogramOfBins,
  RED_SHIFT,
} from "./colors.ts";
import {
  adviceOfLuminanceHistogram,
  bandAdviceFromPixels,
  type Overlay,
  overlayFromPixels,
  Y14,
  Y14_MAX,
} from "./overlay.ts";
import {
  cellLayout,
  cellsToImage,
  DEFAULT_X_COMPONENTS,
  DEFAULT_Y_COMPONENTS,
  type Placeholder,
  placeholder,
  placeholderOfImage,
  placeholderSide,
} from "./placeholder.ts";
import type { PixelImage, Weights } from "./planes.ts";
import { SRGB8_TO_LINEAR } from "./scales.ts";

export interface ColourOptions {
  colorfulness?: boolean;
  /** How many dominant colours (1–10); absent: no `colors`. */
  colors?: number;
  /** `overlay`: `null` for the whole image, an edge mode for its bands too; absent: no `overlay`. */
  overlay?: EdgeMode | null;
  /** `placeholder`: true for 4 × 3 components, or [x, y]; absent or false: none. */
  placeholder?: boolean | readonly [number, number];
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
const MAX = Y14_MAX;

/**
 * The colour metrics asked for, from one pass over the pixels.
 *
 * @example
 * colourMetrics(pixels, weights, { colorfulness: true, colors: 5, overlay: "all", placeholder: true });
 * // { colorfulness: { value, label }, colors: { average, dominant }, overlay: { …, bands }, placeholder: { blurhash, … } }
 */
export function colourMetrics(pixels: PixelImage, weights: Weights, options: ColourOptions): ColourResults {
  const wantColorfulness = options.colorfulness === true;
  const wantColors = options.colors !== undefined;
  const wantOverlay = options.overlay !== undefined;
  const [xComponents, yComponents] = Array.isArray(options.placeholder)
    ? options.placeholder
    : [DEFAULT_X_COMPONENTS, DEFAULT_Y_COMPONENTS];
  const wantPlaceholder = options.placeholder !== undefined && options.placeholder !== false;
  const out: ColourResults = {};
  if (pixels.channels < 3) {
    if (wantColorfulness) out.colorfulness = colorfulness(pixels, weights);
    if (wantColors) out.colors = colors(pixels, weights, options.colors as number);
    if (wantOverlay) out.overlay = overlayFromPixels(pixels, weights, options.overlay ?? null);
    if (wantPlaceholder) out.placeholder = placeholder(pixels, weights, xComponents, yComponents);
    return out;
  }

  const { data, width, height, channels } = pixels;
  // Without a placeholder, each row is one run.
  const { tw, th, start } = wantPlaceholder
    ? cellLayout(width, height, placeholderSide(xComponents, yComponents))
    : { tw: 1, th: 1, start: Int32Array.of(0, width) };
  const cells = new Float64Array(tw * th * 4);
  const [yr, yg, yb] = Y14;
  let total = 0;
  let sumRg = 0;
  let sumRg2 = 0;
  let sumYb = 0;
  let sumYb2 = 0;
  let linR = 0;
  let linG = 0;
  let linB = 0;
  let seen = 0;
  for (let y = 0; y < height; y++) {
    const rowCell = Math.min(th - 1, Math.floor((y * th) / height)) * tw;
    for (let cx = 0; cx < tw; cx++) {
      let sr = 0;
      let sg = 0;
      let sb = 0;
      let sw = 0;
      for (let i = y * width + (start[cx] as number), end = y * width + (start[cx + 1] as number); i < end; i++) {
        const w = weights ? (weights[i] as number) : 1;
        if (w === 0) continue;
        const o = i * channels;
        const r = data[o] as number;
        const g = data[o + 1] as number;
        const b = data[o + 2] as number;
        total += w;
        if (wantColorfulness) {
          const rg = r - g;
          const yb2 = r + g - 2 * b;
          sumRg += w * rg;
          sumRg2 += w * rg * rg;
          sumYb += w * yb2;
          sumYb2 += w * yb2 * yb2;
        }
        const lr = w * (LIN[r] as number);
        const lg = w * (LIN[g] as number);
        const lb = w * (LIN[b] as number);
        if (wantColors) {
          const at = (((r >> DROP_RB) << SHIFT_RED) | ((g >> DROP_GREEN) << BITS) | (b >> DROP_RB)) << 2;
          const before = bins[at] as number;
          if (before === 0) touched[seen++] = at >> 2;
          bins[at] = before + w;
          bins[at + 1] = (bins[at + 1] as number) + w * r;
          bins[at + 2] = (bins[at + 2] as number) + w * g;
          bins[at + 3] = (bins[at + 3] as number) + w * b;
          linR += lr;
          linG += lg;
          linB += lb;
        }
        if (wantOverlay) {
          const v = Math.min(MAX, (yr[r] as number) + (yg[g] as number) + (yb[b] as number));
          luminance[v] = (luminance[v] as number) + w;
        }
        sr += lr;
        sg += lg;
        sb += lb;
        sw += w;
      }
      if (wantPlaceholder) {
        const s = (rowCell + cx) * 4;
        cells[s] = (cells[s] as number) + sr;
        cells[s + 1] = (cells[s + 1] as number) + sg;
        cells[s + 2] = (cells[s + 2] as number) + sb;
        cells[s + 3] = (cells[s + 3] as number) + sw;
      }
    }
  }

  if (wantColorfulness) out.colorfulness = colorfulnessOfSums(total, sumRg, sumRg2, sumYb, sumYb2);
  if (wantColors) {
    const histogram = histogramOfBins(bins, touched.subarray(0, seen), total, [linR, linG, linB]);
    out.colors = colorsOfHistogram(histogram, options.colors as number);
  }
  if (wantOverlay) {
    const whole = adviceOfLuminanceHistogram(luminance, total);
    luminance.fill(0);
    const edgeMode = options.overlay ?? null;
    out.overlay = whole && edgeMode ? { ...whole, bands: bandAdviceFromPixels(pixels, weights, edgeMode) } : whole;
  }
  if (wantPlaceholder) out.placeholder = placeholderOfImage(cellsToImage(cells, tw, th), xComponents, yComponents);
  return out;
}
