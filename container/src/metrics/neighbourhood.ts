/**
 * The one pass over the luma plane for the neighbourhood metrics: for every pixel, its 3×3 neighbourhood (edges
 * replicated, as OpenCV's BORDER_REPLICATE) gives both
 *
 * - the Laplacian [0 1 0; 1 −4 1; 0 1 0] of luma, for `sharpness` (its population variance), and
 * - the Sobel gradient (Gx = [−1 0 1; −2 0 2; −1 0 1], Gy its transpose), for `edge_density` (the share of
 *   pixels whose magnitude √(Gx² + Gy²) on luma 0–255 is at least 64);
 *
 * and, when asked, the same pass makes `contrast`'s fine counts (contrast.ts), whose coarse counts the pass
 * that writes the plane made: contrast then costs no pass of its own.
 *
 * Everything is integer arithmetic on the exact luma ×10 000 (lumaPlane): the kernels' sums fit 32 bits (at most
 * 4 × 2 550 000), Gx² + Gy² < 2^53 and the threshold test is exact; only the variance's sums are floats. The
 * window slides along each row, so an interior pixel reads three new values. The pass runs in WebAssembly
 * (container/wasm/passes.ts `neighbourhoodPass`, whose threshold is EDGE_MAGNITUDE's (64 × 10 000)²; wasm.ts).
 * Pure: typed arrays in, a plain object out.
 */
import { type ContrastSums, planContrast } from "./contrast.ts";
import { LUMA_UNIT, type Weights } from "./planes.ts";
import { passMemory, runNeighbourhoodPass } from "./wasm.ts";

/** The Sobel magnitude on luma 0–255 at or above which a pixel is an edge: a local step of about 16 levels. */
export const EDGE_MAGNITUDE = 64;
const UNIT = LUMA_UNIT;

export interface NeighbourhoodStats {
  /** Population variance of the Laplacian of luma 0–255 (weighted by alpha when weights are given). */
  laplacianVariance: number;
  /** Σ weight of the pixels whose Sobel magnitude is ≥ EDGE_MAGNITUDE. */
  edgeWeight: number;
  /** Σ weight of all pixels (the count when opaque): 0 means nothing is visible. */
  totalWeight: number;
}

/**
 * The Laplacian variance and the Sobel edge count of a luma plane (lumaPlane's units), in one pass. With
 * `weights`, each pixel's Laplacian and edge count weigh its alpha (the neighbourhood itself is of the
 * analysed pixels, transparent or not); without, every pixel counts once: OpenCV's
 * `Laplacian(gray, CV_64F, ksize=1, borderType=BORDER_REPLICATE).var()` on luma 0–255. With `contrast` (its
 * coarse counts and deviations made), the same pass makes its fine counts, for `contrastOfSums`.
 *
 * @example
 * // A vertical step 0 | 255 on 4×2: the Laplacian is ±255 on the two middle columns.
 * neighbourhood(Uint32Array.of(0, 0, 2_550_000, 2_550_000, 0, 0, 2_550_000, 2_550_000), 4, 2, null);
 * // { laplacianVariance: 32512.5, edgeWeight: 4, totalWeight: 8 }
 */
export function neighbourhood(
  luma: Uint32Array,
  width: number,
  height: number,
  weights: Weights,
  contrast?: ContrastSums,
): NeighbourhoodStats {
  if (contrast) planContrast(contrast);
  runNeighbourhoodPass(luma, weights, width, height, contrast?.plan ?? null);
  const sums = passMemory(width * height).totals;
  const total = weights ? (sums[TOTAL] as number) : width * height;
  if (total === 0) return { laplacianVariance: 0, edgeWeight: 0, totalWeight: 0 };
  const mean = (sums[SUM] as number) / total;
  const variance = Math.max(0, (sums[SUM2] as number) / total - mean * mean) / (UNIT * UNIT);
  return { laplacianVariance: variance, edgeWeight: sums[EDGES] as number, totalWeight: total };
}

// The pass's sums, by index into `totals` (container/wasm/passes.ts adds them up row by row).
const SUM = 0;
const SUM2 = 1;
const EDGES = 2;
const TOTAL = 3;
