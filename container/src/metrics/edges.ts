/**
 * Which pixels are "edge": bands along the borders of the analysed (already oriented) image, each
 * max(1, floor(10%)) of the image's width or height.
 *
 * - `left_right`: the left and right bands;
 * - `top_bottom`: the top and bottom bands;
 * - `all`: the left and right bands plus the top and bottom bands without the corners already counted:
 *   the union, every pixel once.
 */

/** The share of a side that a band takes. */
export const EDGE_BAND_FRACTION = 0.1;

/**
 * A band's thickness for a side of `length` pixels.
 *
 * @example
 * bandSize(512); // 51
 * bandSize(5); // 1
 */
export function bandSize(length: number): number {
  return Math.max(1, Math.floor(length * EDGE_BAND_FRACTION));
}
