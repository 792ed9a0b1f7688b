/**
 * `overlay`: which text colour to draw on the image (or on one of its border bands), black or white, and how
 * readable it is by WCAG 2. The background of a caption is not one colour: the advice takes the region's 10th to
 * 90th percentile of relative luminance as what the text may land on, and each colour's worst case over it
 * (black text against the darkest, p10; white text against the brightest, p90). WCAG 2 contrast ratio:
 * (L_lighter + 0.05) / (L_darker + 0.05). Pure: typed arrays in, a plain object out.
 */
import type { z } from "zod";
import type { EdgeMode } from "../../../contract/analysis.ts";
import type { InsightsSchemas, OverlayAdviceSchema } from "../../../contract/schemas.ts";
import { bandSize } from "./edges.ts";
import type { Weights } from "./planes.ts";
import { type Rect, weightedPercentiles } from "./quantile.ts";
import { SCALES } from "./scales.ts";

export type Overlay = z.infer<typeof InsightsSchemas.overlay>;
export type OverlayAdvice = z.infer<typeof OverlayAdviceSchema>;
type Band = "left" | "right" | "top" | "bottom";

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
function bandRects(width: number, height: number, edgeMode: EdgeMode): Array<[Band, Rect]> {
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
 * The overlay advice for the whole image and, with `edgeMode`, for each of its bands (null where a band is
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
  const bands: Partial<Record<Band, OverlayAdvice | null>> = {};
  for (const [band, rect] of bandRects(width, height, edgeMode)) {
    bands[band] = regionAdvice(luminance, weights, width, height, rect);
  }
  return { ...whole, bands };
}
