/**
 * The one pass over the luma plane for the neighbourhood metrics: for every pixel, its 3×3 neighbourhood (edges
 * replicated, as OpenCV's BORDER_REPLICATE) gives both
 *
 * - the Laplacian [0 1 0; 1 −4 1; 0 1 0] of luma, for `sharpness` (its population variance), and
 * - the Sobel gradient (Gx = [−1 0 1; −2 0 2; −1 0 1], Gy its transpose), for `edge_density` (the share of
 *   pixels whose magnitude √(Gx² + Gy²) on luma 0–255 is at least 64).
 *
 * Everything is integer arithmetic on the exact luma ×10 000 (lumaPlane): Gx² + Gy² < 2^53 and the threshold
 * test is exact; only the variance's sums are floats. The window slides along each row, so an interior pixel
 * reads three new values. Pure: typed arrays in, a plain object out.
 */
import { LUMA_UNIT, type Weights } from "./planes.ts";

/** The Sobel magnitude on luma 0–255 at or above which a pixel is an edge: a local step of about 16 levels. */
export const EDGE_MAGNITUDE = 64;
const EDGE_SQUARED = (EDGE_MAGNITUDE * LUMA_UNIT) ** 2;

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
 * `Laplacian(gray, CV_64F, ksize=1, borderType=BORDER_REPLICATE).var()` on luma 0–255.
 *
 * @example
 * // A vertical step 0 | 255 on 4×2: the Laplacian is ±255 on the two middle columns.
 * neighbourhood(Uint32Array.of(0, 0, 2_550_000, 2_550_000, 0, 0, 2_550_000, 2_550_000), 4, 2, null);
 * // { laplacianVariance: 32512.5, edgeWeight: 4, totalWeight: 8 }
 */
export function neighbourhood(luma: Uint32Array, width: number, height: number, weights: Weights): NeighbourhoodStats {
  let sum = 0;
  let sum2 = 0;
  let edges = 0;
  let total = 0;
  const last = width - 1;
  for (let y = 0; y < height; y++) {
    const up = (y > 0 ? y - 1 : 0) * width;
    const mid = y * width;
    const down = (y < height - 1 ? y + 1 : y) * width;
    // The window's left and centre columns; x = 0 replicates column 0 to its left.
    let tl = luma[up] as number;
    let ml = luma[mid] as number;
    let bl = luma[down] as number;
    let tc = tl;
    let mc = ml;
    let bc = bl;
    if (weights) {
      for (let x = 0; x < width; x++) {
        const r = x < last ? x + 1 : last;
        const tr = luma[up + r] as number;
        const mr = luma[mid + r] as number;
        const br = luma[down + r] as number;
        const w = weights[mid + x] as number;
        const lap = tc + ml + mr + bc - 4 * mc;
        const gx = tr + 2 * mr + br - tl - 2 * ml - bl;
        const gy = bl + 2 * bc + br - tl - 2 * tc - tr;
        sum += w * lap;
        sum2 += w * lap * lap;
        total += w;
        if (gx * gx + gy * gy >= EDGE_SQUARED) edges += w;
        tl = tc;
        ml = mc;
        bl = bc;
        tc = tr;
        mc = mr;
        bc = br;
      }
    } else {
      for (let x = 0; x < width; x++) {
        const r = x < last ? x + 1 : last;
        const tr = luma[up + r] as number;
        const mr = luma[mid + r] as number;
        const br = luma[down + r] as number;
        const lap = tc + ml + mr + bc - 4 * mc;
        const gx = tr + 2 * mr + br - tl - 2 * ml - bl;
        const gy = bl + 2 * bc + br - tl - 2 * tc - tr;
        sum += lap;
        sum2 += lap * lap;
        if (gx * gx + gy * gy >= EDGE_SQUARED) edges++;
        tl = tc;
        ml = mc;
        bl = bc;
        tc = tr;
        mc = mr;
        bc = br;
      }
      total += width;
    }
  }
  if (total === 0) return { laplacianVariance: 0, edgeWeight: 0, totalWeight: 0 };
  const mean = sum / total;
  const variance = Math.max(0, sum2 / total - mean * mean) / (LUMA_UNIT * LUMA_UNIT);
  return { laplacianVariance: variance, edgeWeight: edges, totalWeight: total };
}
