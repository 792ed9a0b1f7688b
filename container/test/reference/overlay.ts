/**
 * JavaScript references of `overlay`, for the tests: from the pixels as the colour pass counts them (WebAssembly:
 * container/wasm/passes.ts, colour-pass.ts), one pass per region over 14-bit relative luminance, which the
 * production pass is held to bit for bit; and from the exact luminance plane of `algorithm=luminance` by exact
 * weighted percentiles, which the 14-bit counts are held near (overlay.test.ts).
 */
import type { EdgeMode } from "../../../contract/analysis.ts";
import {
  adviceFor,
  adviceOfLuminanceHistogram,
  bandRects,
  OVERLAY_HIGH_PERCENTILE,
  OVERLAY_LOW_PERCENTILE,
  type Overlay,
  type OverlayAdvice,
  type OverlayBands,
  Y14,
  Y14_MAX,
} from "../../src/metrics/overlay.ts";
import type { PixelImage, Weights } from "../../src/metrics/planes.ts";
import type { Rect } from "../../src/metrics/quantile.ts";
import { SCALES } from "../../src/metrics/scales.ts";
import { weightedPercentiles } from "./quantile.ts";

/** The 14-bit luminance histogram of the region at hand. */
const histogramScratch = new Uint32Array(Y14_MAX + 1);

/**
 * `overlay` straight from the analysed pixels, without a luminance plane: one pass counts each region's relative
 * luminance in 14-bit fixed point (Y within 9.2·10⁻⁵, the ratio within 0.002 of the exact one). The faster
 * choice unless the plane exists anyway (algorithm=luminance).
 *
 * @example
 * overlayFromPixels({ data: new Uint8Array(12).fill(255), width: 2, height: 2, channels: 3 }, null, null);
 * // { text_color: "#000000", contrast_ratio: 21, wcag_aa: true, wcag_aa_large: true }
 */
export function overlayFromPixels(pixels: PixelImage, weights: Weights, edgeMode: EdgeMode | null): Overlay | null {
  const { width, height } = pixels;
  const whole = regionAdviceFromPixels(pixels, weights, { x0: 0, y0: 0, x1: width, y1: height });
  if (!whole) return null;
  if (!edgeMode) return whole;
  return { ...whole, bands: bandAdviceFromPixels(pixels, weights, edgeMode) };
}

/** The advice for each band of `edgeMode`, from the pixels (one pass over each band). */
function bandAdviceFromPixels(pixels: PixelImage, weights: Weights, edgeMode: EdgeMode): OverlayBands {
  const bands: OverlayBands = {};
  for (const [band, rect] of bandRects(pixels.width, pixels.height, edgeMode)) {
    bands[band] = regionAdviceFromPixels(pixels, weights, rect);
  }
  return bands;
}

/** The advice for one region, from its pixels. */
function regionAdviceFromPixels(pixels: PixelImage, weights: Weights, rect: Rect): OverlayAdvice | null {
  const total = countLuminance(pixels, weights, rect, histogramScratch);
  return adviceOfLuminanceHistogram(histogramScratch, total);
}

/** Σ weight of each 14-bit relative luminance over `rect`, into `histogram` (zeroed first); returns Σ weight. */
function countLuminance(pixels: PixelImage, weights: Weights, rect: Rect, histogram: Uint32Array): number {
  const { data, width, channels } = pixels;
  const [yr, yg, yb] = Y14;
  const g = channels >= 3 ? 1 : 0;
  const b = channels >= 3 ? 2 : 0;
  histogram.fill(0);
  let total = 0;
  for (let y = rect.y0; y < rect.y1; y++) {
    const from = y * width + rect.x0;
    const to = y * width + rect.x1;
    if (weights) {
      for (let i = from, o = from * channels; i < to; i++, o += channels) {
        const w = weights[i] as number;
        const v = Math.min(
          Y14_MAX,
          (yr[data[o] as number] as number) +
            (yg[data[o + g] as number] as number) +
            (yb[data[o + b] as number] as number),
        );
        histogram[v] = (histogram[v] as number) + w;
        total += w;
      }
    } else {
      for (let o = from * channels, end = to * channels; o < end; o += channels) {
        const v = Math.min(
          Y14_MAX,
          (yr[data[o] as number] as number) +
            (yg[data[o + g] as number] as number) +
            (yb[data[o + b] as number] as number),
        );
        histogram[v] = (histogram[v] as number) + 1;
      }
      total += to - from;
    }
  }
  return total;
}

/** The advice for one region of a luminance plane, or null when it is wholly transparent. */
function regionAdvice(
  luminance: Uint32Array,
  weights: Weights,
  width: number,
  height: number,
  rect?: Rect,
): OverlayAdvice | null {
  const { max, unit } = SCALES.luminance;
  const full = max * unit; // relative luminance 1
  const [low, high] = weightedPercentiles(
    luminance,
    weights,
    width,
    height,
    [OVERLAY_LOW_PERCENTILE, OVERLAY_HIGH_PERCENTILE],
    full,
    rect,
  );
  if (!low || !high) return null;
  return adviceFor(low.num / low.den / full, high.num / high.den / full);
}

/**
 * `overlay` from a luminance plane, by exact weighted percentiles (quantile.ts): the overlay advice for the whole image and, with `edgeMode`, for each of its bands (null where a band is
 * wholly transparent); `null` when nothing is visible. `luminance` is the plane of `scalePlane(pixels,
 * "luminance")` (relative luminance × 2 048 000), the one `algorithm=luminance` uses.
 *
 * @example
 * const white = scalePlane({ data: new Uint8Array(12).fill(255), width: 2, height: 2, channels: 3 }, "luminance");
 * overlay(white, null, 2, 2, null); // { text_color: "#000000", contrast_ratio: 21, wcag_aa: true, wcag_aa_large: true }
 */
export function overlay(
  luminance: Uint32Array,
  weights: Weights,
  width: number,
  height: number,
  edgeMode: EdgeMode | null,
): Overlay | null {
  const whole = regionAdvice(luminance, weights, width, height);
  if (!whole) return null;
  if (!edgeMode) return whole;
  const bands: OverlayBands = {};
  for (const [band, rect] of bandRects(width, height, edgeMode)) {
    bands[band] = regionAdvice(luminance, weights, width, height, rect);
  }
  return { ...whole, bands };
}
