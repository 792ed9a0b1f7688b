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
 * window slides along each row, so an interior pixel reads three new values. Pure: typed arrays in, a plain
 * object out.
 */
import { type ContrastSums, planContrast } from "./contrast.ts";
import { LUMA_UNIT, type Weights } from "./planes.ts";

/** The Sobel magnitude on luma 0–255 at or above which a pixel is an edge: a local step of about 16 levels. */
export const EDGE_MAGNITUDE = 64;
const EDGE_SQUARED = (EDGE_MAGNITUDE * LUMA_UNIT) ** 2;
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
  // One element type in the loops (V8 compiles a loop for the array types it has seen: keep it one). Luma
  // ×10 000 is below 2^31, so the signed view reads the same values.
  const plane = new Int32Array(luma.buffer, luma.byteOffset, width * height);
  if (contrast) planContrast(contrast);
  const plan = contrast?.plan ?? null;
  const noSlots = emptySlots;
  const slotOf = plan ? plan.slotOf : noSlots;
  const fine = plan ? plan.fine : noFine;
  const shift = plan ? plan.shift : 0;
  sums.fill(0);
  // A function per row, not one loop over the image: V8 compiles a long loop while it runs, before the code
  // after it has run, and such code then gave up there on later calls (measured in the colour pass).
  for (let y = 0; y < height; y++) {
    const up = (y > 0 ? y - 1 : 0) * width;
    const mid = y * width;
    const down = (y < height - 1 ? y + 1 : y) * width;
    if (weights) weightedRow(plane, weights, up, mid, down, width, plan !== null, slotOf, fine, shift);
    else opaqueRow(plane, up, mid, down, width, plan !== null, slotOf, fine, shift);
  }
  const total = weights ? (sums[TOTAL] as number) : width * height;
  if (total === 0) return { laplacianVariance: 0, edgeWeight: 0, totalWeight: 0 };
  const mean = (sums[SUM] as number) / total;
  const variance = Math.max(0, (sums[SUM2] as number) / total - mean * mean) / (UNIT * UNIT);
  return { laplacianVariance: variance, edgeWeight: sums[EDGES] as number, totalWeight: total };
}

// The pass's sums, by index, added to row by row.
const sums = new Float64Array(4);
const SUM = 0;
const SUM2 = 1;
const EDGES = 2;
const TOTAL = 3;
const emptySlots = new Int8Array(0);
const noFine = new Float64Array(0);

/**
 * One row (`mid`, between rows `up` and `down`, replicated at the image's edges) of the opaque pass. The 3×3
 * window slides one column at a time, and each kernel is made of column sums: the right column's t + 2m + b
 * (Gx is right minus left), its b − t (Gy weighs them 1, 2, 1) and its t + b (the Laplacian's vertical part).
 */
function opaqueRow(
  luma: Int32Array,
  up: number,
  mid: number,
  down: number,
  width: number,
  withContrast: boolean,
  slotOf: Int8Array,
  fine: Float64Array,
  shift: number,
): void {
  const mask = (1 << shift) - 1;
  const last = width - 1;
  let sum = 0;
  let sum2 = 0;
  let edges = 0;
  // The left and centre columns; x = 0 replicates column 0 to its left.
  let ml = luma[mid] as number;
  let mc = ml;
  let t = luma[up] as number;
  let b = luma[down] as number;
  let smoothL = t + 2 * mc + b;
  let smoothC = smoothL;
  let diffL = b - t;
  let diffC = diffL;
  let verticalC = t + b;
  for (let x = 0; x < width; x++) {
    const r = x < last ? x + 1 : last;
    t = luma[up + r] as number;
    const mr = luma[mid + r] as number;
    b = luma[down + r] as number;
    const verticalR = t + b;
    const smoothR = verticalR + 2 * mr;
    const diffR = b - t;
    const lap = (verticalC + ml + mr - 4 * mc) | 0;
    const gx = (smoothR - smoothL) | 0;
    const gy = (diffL + 2 * diffC + diffR) | 0;
    sum += lap;
    sum2 += lap * lap;
    // A comparison turned into a number, not a branch: edges are scattered, and a mispredicted branch per
    // edge pixel cost more than the arithmetic (measured: 0.88 ms against 0.55 on the grey sample).
    edges += +(gx * gx + gy * gy >= EDGE_SQUARED);
    if (withContrast) {
      const slot = slotOf[mc >>> shift] as number;
      if (slot >= 0) {
        const at = (slot << shift) + (mc & mask);
        fine[at] = (fine[at] as number) + 1;
      }
    }
    ml = mc;
    mc = mr;
    smoothL = smoothC;
    smoothC = smoothR;
    diffL = diffC;
    diffC = diffR;
    verticalC = verticalR;
  }
  addSums(sum, sum2, edges, 0);
}

/**
 * One row of the pass with a weight (alpha) per pixel: `opaqueRow` with w. Kept apart because the opaque loop
 * without a weight to read and multiply is the common one and 15 % faster (0.74 ms against 0.85, measured).
 */
function weightedRow(
  luma: Int32Array,
  weights: Uint8Array,
  up: number,
  mid: number,
  down: number,
  width: number,
  withContrast: boolean,
  slotOf: Int8Array,
  fine: Float64Array,
  shift: number,
): void {
  const mask = (1 << shift) - 1;
  const last = width - 1;
  let sum = 0;
  let sum2 = 0;
  let edges = 0;
  let total = 0;
  let ml = luma[mid] as number;
  let mc = ml;
  let t = luma[up] as number;
  let b = luma[down] as number;
  let smoothL = t + 2 * mc + b;
  let smoothC = smoothL;
  let diffL = b - t;
  let diffC = diffL;
  let verticalC = t + b;
  for (let x = 0; x < width; x++) {
    const r = x < last ? x + 1 : last;
    t = luma[up + r] as number;
    const mr = luma[mid + r] as number;
    b = luma[down + r] as number;
    const verticalR = t + b;
    const smoothR = verticalR + 2 * mr;
    const diffR = b - t;
    const w = weights[mid + x] as number;
    const lap = (verticalC + ml + mr - 4 * mc) | 0;
    const gx = (smoothR - smoothL) | 0;
    const gy = (diffL + 2 * diffC + diffR) | 0;
    sum += w * lap;
    sum2 += w * lap * lap;
    total += w;
    edges += w * +(gx * gx + gy * gy >= EDGE_SQUARED);
    if (withContrast) {
      const slot = slotOf[mc >>> shift] as number;
      if (slot >= 0) {
        const at = (slot << shift) + (mc & mask);
        fine[at] = (fine[at] as number) + w;
      }
    }
    ml = mc;
    mc = mr;
    smoothL = smoothC;
    smoothC = smoothR;
    diffL = diffC;
    diffC = diffR;
    verticalC = verticalR;
  }
  addSums(sum, sum2, edges, total);
}

/** Adds a row's sums to `sums`. */
function addSums(sum: number, sum2: number, edges: number, total: number): void {
  sums[SUM] = (sums[SUM] as number) + sum;
  sums[SUM2] = (sums[SUM2] as number) + sum2;
  sums[EDGES] = (sums[EDGES] as number) + edges;
  sums[TOTAL] = (sums[TOTAL] as number) + total;
}
