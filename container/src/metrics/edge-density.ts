/**
 * `edge_density`: the share of the analysed image's pixels on an edge, from the neighbourhood pass
 * (neighbourhood.ts): Sobel gradient magnitude √(Gx² + Gy²) on luma 0–255, 3×3, edges replicated, at least 64
 * (a local step of about 16 levels).
 *
 * Not to be confused with `edge_mode`, which picks the border bands whose brightness is averaged: edge density is
 * about edges inside the picture (detail, texture, clutter), wherever they are.
 */
import type { z } from "zod";
import type { InsightsSchemas } from "../../../contract/schemas.ts";
import { roundRatio } from "./exact.ts";
import type { NeighbourhoodStats } from "./neighbourhood.ts";

export type EdgeDensity = z.infer<typeof InsightsSchemas.edge_density>;

/**
 * The edge density, percent of the (alpha-weighted) pixels, 2 decimals; `null` when nothing is visible.
 *
 * @example
 * edgeDensity({ laplacianVariance: 0, edgeWeight: 4, totalWeight: 8 }); // { percent: 50 }
 */
export function edgeDensity(stats: NeighbourhoodStats): EdgeDensity | null {
  if (stats.totalWeight === 0) return null;
  return { percent: roundRatio(stats.edgeWeight * 100, stats.totalWeight, 2) };
}
