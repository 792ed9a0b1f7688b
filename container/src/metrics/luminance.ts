/**
 * Rec. 709 luma on 8-bit sRGB pixels. Pure: pixel arrays in, plain numbers out; no sharp, no I/O.
 */

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
 * Rounds half away from zero to `decimals` places, the way a reader expects "146.285 → 146.29".
 * Adding `Number.EPSILON` first keeps 1.005 from becoming 1.00 through binary error.
 *
 * @example
 * round(146.2849, 2); // 146.28
 */
export function round(value: number, decimals = 0): number {
  const factor = 10 ** decimals;
  return Math.round((value + Number.EPSILON) * factor) / factor;
}

/**
 * The brightness score the API reports: the average luma as a percentage of full scale, rounded.
 *
 * @example
 * brightnessScore(255); // 100
 * brightnessScore(128); // 50
 */
export function brightnessScore(averageLuma: number): number {
  return Math.round((averageLuma / 255) * 100);
}
