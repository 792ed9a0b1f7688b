/**
 * Every number of an analysis in one pass over the pixels: the weighted sum for the average, the histogram,
 * the edge sums, and the luma array the median needs. Pure: pixel arrays in, a plain object out.
 *
 * Each pixel is weighted by its opacity (alpha 0–255; 255 for images without alpha), so fully transparent
 * pixels do not count and half-transparent ones count half. The caller flattens onto a background first
 * when the user asked for one.
 */
import type { EdgeMode } from "../../../contract/analysis.ts";
import { edgePredicate } from "./edges.ts";
import { bucketOf, HISTOGRAM_BUCKETS } from "./histogram.ts";
import { LUMA_SCALE, type Pixels, REC709_B, REC709_G, REC709_R } from "./luminance.ts";
import { weightedMedian } from "./median.ts";

export interface AnalyseOptions {
  median: boolean;
  histogram: boolean;
  edgeMode: EdgeMode | null;
}

export interface Analysis {
  /** Total weight: 0 means no pixel is visible at all. */
  totalWeight: number;
  /** Average luma, 0–255 (NaN when `totalWeight` is 0). */
  averageLuma: number;
  medianLuma?: number;
  /** Share of each bucket in percent, unrounded. */
  histogramPercent?: number[];
  edgeAverageLuma?: number;
}

const OPAQUE = 255;

/**
 * @example
 * const pixels = { data: Uint8Array.of(0, 0, 0, 255, 255, 255), width: 2, height: 1, channels: 3 };
 * analyse(pixels, { median: true, histogram: false, edgeMode: null });
 * // { totalWeight: 510, averageLuma: 127.5, medianLuma: 127.5 }
 */
export function analyse(pixels: Pixels, options: AnalyseOptions): Analysis {
  const { data, width, height, channels } = pixels;
  const count = width * height;
  const hasAlpha = channels === 2 || channels === 4;
  const grey = channels < 3;
  const inEdge = options.edgeMode ? edgePredicate(options.edgeMode, width, height) : null;
  const histogram = options.histogram ? new Float64Array(HISTOGRAM_BUCKETS) : null;
  const lumas = options.median ? new Uint32Array(count) : null;
  const weights = options.median && hasAlpha ? new Uint8Array(count) : null;

  let totalWeight = 0;
  let weightedSum = 0;
  let edgeWeight = 0;
  let edgeSum = 0;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const o = i * channels;
      const luma = grey
        ? (data[o] as number) * LUMA_SCALE
        : REC709_R * (data[o] as number) + REC709_G * (data[o + 1] as number) + REC709_B * (data[o + 2] as number);
      const w = hasAlpha ? (data[o + channels - 1] as number) : OPAQUE;
      totalWeight += w;
      weightedSum += luma * w;
      if (histogram) {
        const b = bucketOf(luma);
        histogram[b] = (histogram[b] as number) + w;
      }
      if (inEdge?.(x, y)) {
        edgeWeight += w;
        edgeSum += luma * w;
      }
      if (lumas) lumas[i] = luma;
      if (weights) weights[i] = w;
    }
  }

  const result: Analysis = { totalWeight, averageLuma: weightedSum / totalWeight / LUMA_SCALE };
  if (lumas) result.medianLuma = weightedMedian(lumas, weights ?? OPAQUE) / LUMA_SCALE;
  if (histogram) result.histogramPercent = Array.from(histogram, (h) => (h / totalWeight) * 100);
  if (inEdge) result.edgeAverageLuma = edgeSum / edgeWeight / LUMA_SCALE;
  return result;
}
