/**
 * `overlay`: which text colour to draw on the image (or on one of its border bands), black or white, and how
 * readable it is by WCAG 2. The background of a caption is not one colour: the advice takes the region's 10th to
 * 90th percentile of relative luminance as what the text may land on, and each colour's worst case over it
 * (black text against the darkest, p10; white text against the brightest, p90). WCAG 2 contrast ratio:
 * (L_lighter + 0.05) / (L_darker + 0.05). The colour pass (colour-pass.ts) counts each region's relative luminance
 * in 14-bit fixed point (Y14: the ratio within 0.002 of the exact one); here that histogram becomes the advice.
 * Pure: typed arrays in, a plain object out.
 */
import type { z } from "zod";
import type { EdgeMode } from "../../../contract/analysis.ts";
import type { InsightsSchemas, OverlayAdviceSchema } from "../../../contract/schemas.ts";
import { bandSize } from "./edges.ts";
import type { Rect } from "./quantile.ts";
import { SRGB8_TO_LINEAR } from "./scales.ts";

export type Overlay = z.infer<typeof InsightsSchemas.overlay>;
export type OverlayAdvice = z.infer<typeof OverlayAdviceSchema>;
type Band = "left" | "right" | "top" | "bottom";
/** The advice for each band an edge mode names (null where a band is wholly transparent). */
export type OverlayBands = Partial<Record<Band, OverlayAdvice | null>>;

/** The percentiles of the region's luminance that bound what text may land on. */
export const OVERLAY_LOW_PERCENTILE = 10;
export const OVERLAY_HIGH_PERCENTILE = 90;
/** WCAG 2 AA: normal text and large text. */
export const WCAG_AA = 4.5;
export const WCAG_AA_LARGE = 3;

/**
 * The advice for a region whose luminance spans `low`–`high` (relative luminance 0–1). The ratio is rounded
 * down to 2 decimals, so that a shown 4.50 always passes AA and a 4.49 never does. Equal worst cases advise
 * black.
 *
 * @example
 * adviceFor(0.8, 0.95); // { text_color: "#000000", contrast_ratio: 17, wcag_aa: true, wcag_aa_large: true }
 * adviceFor(0, 1); // { text_color: "#000000", contrast_ratio: 1, wcag_aa: false, wcag_aa_large: false }
 */
export function adviceFor(low: number, high: number): OverlayAdvice {
  const black = (low + 0.05) / 0.05;
  const white = 1.05 / (high + 0.05);
  const ratio = Math.max(black, white);
  // A hair above the float's error, so that 4.5 computed as 4.4999999999 stays 4.5.
  const shown = Math.floor(ratio * 100 + 1e-9) / 100;
  return {
    text_color: black >= white ? "#000000" : "#FFFFFF",
    contrast_ratio: shown,
    wcag_aa: shown >= WCAG_AA,
    wcag_aa_large: shown >= WCAG_AA_LARGE,
  };
}

/** The bands `edgeMode` names, as in edges.ts: full-length strips of max(1, floor(10 %)) of the side. */
export function bandRects(width: number, height: number, edgeMode: EdgeMode): Array<[Band, Rect]> {
  const bx = Math.min(width, bandSize(width));
  const by = Math.min(height, bandSize(height));
  const columns: Array<[Band, Rect]> = [
    ["left", { x0: 0, y0: 0, x1: bx, y1: height }],
    ["right", { x0: width - bx, y0: 0, x1: width, y1: height }],
  ];
  const rows: Array<[Band, Rect]> = [
    ["top", { x0: 0, y0: 0, x1: width, y1: by }],
    ["bottom", { x0: 0, y0: height - by, x1: width, y1: height }],
  ];
  return edgeMode === "left_right" ? columns : edgeMode === "top_bottom" ? rows : [...columns, ...rows];
}

/**
 * Relative luminance in 14-bit fixed point: each channel's share × 16 383, rounded (Y within 9.2·10⁻⁵, the ratio
 * within 0.002); the histogram of 16 384 counts stays in cache.
 */
const MAX = 16_383;
const TABLES = [0.2126, 0.7152, 0.0722].map((k) =>
  Int32Array.from({ length: 256 }, (_, v) => Math.round(k * (SRGB8_TO_LINEAR[v] as number) * MAX)),
) as [Int32Array, Int32Array, Int32Array];
// Exported aliases: inside this module the hot loops read the local constants (an exported binding is read from
// its module cell on every use, which cost this pass a third of its time, measured).
export const Y14_MAX = MAX;
export const Y14 = TABLES;

/** The p-th percentile (the median's method: position p·(W − 1)/100, linear between copies) of a histogram, 0–1. */
function histogramPercentile(histogram: Uint32Array, total: number, p: number): number {
  const position = (p * (total - 1)) / 100;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  let seen = 0;
  let lowValue = -1;
  for (let v = 0; v <= MAX; v++) {
    seen += histogram[v] as number;
    if (lowValue < 0 && seen > low) lowValue = v;
    if (seen > high) return (lowValue + (position - low) * (v - lowValue)) / MAX;
  }
  return lowValue / MAX;
}

/** The advice for a region from its histogram of 14-bit luminance (Y14); `null` when `total` is 0. */
export function adviceOfLuminanceHistogram(histogram: Uint32Array, total: number): OverlayAdvice | null {
  if (total === 0) return null;
  return adviceFor(
    histogramPercentile(histogram, total, OVERLAY_LOW_PERCENTILE),
    histogramPercentile(histogram, total, OVERLAY_HIGH_PERCENTILE),
  );
}
