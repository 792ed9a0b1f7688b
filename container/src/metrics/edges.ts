/**
 * Which pixels are "edge": bands along the borders of the analysed (already oriented) image, each
 * max(1, floor(10%)) of the image's width or height.
 *
 * - `left_right`: the left and right bands;
 * - `top_bottom`: the top and bottom bands;
 * - `all`: the left and right bands plus the top and bottom bands without the corners already counted:
 *   the union, every pixel once.
 */
import type { EdgeMode } from "../../../contract/analysis.ts";

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

/**
 * A predicate telling whether pixel (x, y) lies in the edge bands of `mode`.
 *
 * @example
 * const inEdge = edgePredicate("left_right", 100, 50);
 * inEdge(0, 25); // true
 * inEdge(50, 0); // false
 */
export function edgePredicate(mode: EdgeMode, width: number, height: number): (x: number, y: number) => boolean {
  const bx = bandSize(width);
  const by = bandSize(height);
  const inColumns = (x: number) => x < bx || x >= width - bx;
  const inRows = (y: number) => y < by || y >= height - by;
  if (mode === "left_right") return (x) => inColumns(x);
  if (mode === "top_bottom") return (_x, y) => inRows(y);
  return (x, y) => inColumns(x) || inRows(y);
}
