/**
 * Rec. 709 luma on 8-bit sRGB pixels. Pure: pixel arrays in, plain numbers out; no sharp, no I/O.
 */
import { type Ratio, roundRatio } from "./exact.ts";

/** ITU-R BT.709 luma weights, scaled by 10 000 so that per-pixel luma is an exact integer. */
export const REC709_R = 2126;
export const REC709_G = 7152;
export const REC709_B = 722;
/** The scale of the integer luma above: luma = (2126·R + 7152·G + 722·B) / 10 000. */
export const LUMA_SCALE = 10_000;

/** Interleaved 8-bit pixels as sharp's `raw()` output gives them. */
export interface Pixels {
  data: Uint8Array;
  width: number;
  height: number;
  /** 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA). */
  channels: number;
}

/**
 * Rounds a measured duration to `decimals` places, for timings and logs only. Analysis results are exact
 * ratios and are rounded with `roundRatio` (exact.ts); a duration has no exact value to honour.
 *
 * @example
 * roundDuration(12.3456, 1); // 12.3
 */
export function roundDuration(value: number, decimals = 0): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/**
 * The brightness score the API reports: the average as a percentage of full scale (`max`: 255 for luma, whose
 * score is luma / 255 × 100; 100 for the 0–100 scales, whose score is the average itself), rounded half away
 * from zero from the exact ratio, so 13.5 exactly is 14.
 *
 * @example
 * brightnessScore({ num: 255, den: 1 }); // 100
 * brightnessScore({ num: 344_250, den: 10_000 }); // 14 (rgb(148,0,41): 34.425 / 255 × 100 = 13.5)
 * brightnessScore({ num: 215, den: 10 }, 100); // 22 (relative luminance 21.5 %)
 */
export function brightnessScore(average: Ratio, max = 255): number {
  return roundRatio(BigInt(average.num) * 100n, BigInt(average.den) * BigInt(max));
}
