/**
 * The hot passes of the metrics, in AssemblyScript, compiled to container/src/metrics/passes.wasm by
 * `npm run build:wasm` (container/src/metrics/wasm.ts loads it and owns its memory; a test rebuilds it and
 * compares the bytes). Each computes the same sums as its JavaScript reference (container/test/reference/, which
 * the tests hold it to); WebAssembly runs it without bounds checks, type checks or deoptimisation, and each set of
 * metrics gets a loop of its own.
 *
 * - `colourPass`: one pass over the RGB pixels (colour-pass.ts): colourfulness' moment sums, the colour
 *   histogram with its linear-light sums (`colors`), the luminance histogram (`overlay`), and the luma plane with
 *   contrast's coarse counts and deviation sums.
 * - `neighbourhoodPass`: one pass over the luma plane (neighbourhood.ts): the Laplacian's sums, the Sobel edge
 *   count and contrast's fine counts.
 * - `fullResolutionPass`: one pass over the full-resolution pixels, a band of rows at a time (full-resolution.ts):
 *   each row's luma once, feeding Immerkær's sum (`noise`) and the block-boundary and interior steps
 *   (`compression.blockiness`).
 *
 * Every pointer is a byte offset into this module's memory; nothing here allocates.
 */

// What colourPass is asked for: the bits of `flags` (wasm.ts PASS_*).
const COLORFULNESS: u32 = 1;
const COLORS: u32 = 2;
const OVERLAY: u32 = 4;
const LUMA: u32 = 8;
const CONTRAST: u32 = 16;

// Rec. 709 luma ×10 000 (planes.ts).
const WR: i32 = 2126;
const WG: i32 = 7152;
const WB: i32 = 722;

// The colour histogram's bin of (r, g, b): 5 bits of red and blue, 6 of green (colors.ts).
const DROP_RB: i32 = 3;
const DROP_GREEN: i32 = 2;
const SHIFT_RED: i32 = 11;
const BITS: i32 = 5;

// The sums colourPass adds to, f64 at `totals` (colour-pass.ts reads them by these indices).
const TOTAL = 0;
const SUM_RG = 1;
const SUM_RG2 = 2;
const SUM_YB = 3;
const SUM_YB2 = 4;
const LIN_R = 5;
const LIN_G = 6;
const LIN_B = 7;
const SUM_D = 9;
const SUM_D2 = 10;

// The sums neighbourhoodPass adds to, f64 at `totals` (neighbourhood.ts reads them by these indices).
const LAP_SUM = 0;
const LAP_SUM2 = 1;
const EDGES = 2;
const WEIGHT = 3;

/** The Sobel magnitude² (luma ×10 000) at or above which a pixel is an edge: (64 × 10 000)² (neighbourhood.ts). */
const EDGE_SQUARED: f64 = 409_600_000_000;

/**
 * colourPass adds its sums to `totals` every this many pixels: each chunk's integer sums are exact doubles (an
 * opaque chunk's Σd² is below 1 024 × (255 × 10 000)² < 2^53).
 */
const CHUNK: i32 = 1024;

// The tables and the scratch, at the offsets wasm.ts gives `setLayout` once: `lin` (f64[256], sRGB 8-bit to
// linear), `y14` (3 × i32[256], each channel's share of 14-bit relative luminance), `luminance` (u32[16 384]),
// `bins` (f64[65 536 × 4]: Σw, Σw·R, Σw·G, Σw·B), `touched` (i32 bin numbers, in the order first seen),
// `coarse` (f64: contrast's Σw by luma >>> shift), `slotOf` (i8 per coarse bin: its fine block, or −1), `fine`
// (f64 blocks of 2^shift), `totals` (f64 sums).
let lin: usize = 0;
let y14: usize = 0;
let luminance: usize = 0;
let bins: usize = 0;
let touched: usize = 0;
let coarse: usize = 0;
let slotOf: usize = 0;
let fine: usize = 0;
let totals: usize = 0;

export function setLayout(
  linAt: usize,
  y14At: usize,
  luminanceAt: usize,
  binsAt: usize,
  touchedAt: usize,
  coarseAt: usize,
  slotOfAt: usize,
  fineAt: usize,
  totalsAt: usize,
): void {
  lin = linAt;
  y14 = y14At;
  luminance = luminanceAt;
  bins = binsAt;
  touched = touchedAt;
  coarse = coarseAt;
  slotOf = slotOfAt;
  fine = fineAt;
  totals = totalsAt;
}

@inline
function addTo(at: i32, value: f64): void {
  const p = totals + (<usize>at << 3);
  store<f64>(p, load<f64>(p) + value);
}

/**
 * One pass over `count` pixels of `channels` (3 or 4) bytes at `data`, weighted by the alpha plane at `weights`
 * (0: every pixel opaque, weight 1), making what `flags` asks for: OVERLAY the luminance histogram; COLORS the
 * colour histogram, the bins touched and the linear-light sums; LUMA the luma plane at `plane` (of every pixel,
 * transparent or not: the neighbourhood reads it); CONTRAST the coarse counts and Σw·d, Σw·d² of d = luma −
 * `pivot`; and COLORFULNESS its moment sums. Returns the count of bins touched.
 */
export function colourPass(
  data: usize,
  weights: usize,
  plane: usize,
  count: i32,
  channels: i32,
  flags: u32,
  shift: i32,
  pivot: i32,
): i32 {
  if (weights != 0) return colourPassOf(data, weights, plane, count, channels, flags, shift, pivot, true);
  // Opaque images (the common case) get one loop per set of flags, each flag a constant in it, so that an unasked
  // metric's code is not in the loop at all: twice as fast for colourfulness alone as one loop that tests the
  // flags, and 4 % for all of them (measured). Images with alpha take the loop that tests them.
  switch (flags) {
    case 0: return colourPassOf(data, 0, plane, count, channels, 0, shift, pivot, false);
    case 1: return colourPassOf(data, 0, plane, count, channels, 1, shift, pivot, false);
    case 2: return colourPassOf(data, 0, plane, count, channels, 2, shift, pivot, false);
    case 3: return colourPassOf(data, 0, plane, count, channels, 3, shift, pivot, false);
    case 4: return colourPassOf(data, 0, plane, count, channels, 4, shift, pivot, false);
    case 5: return colourPassOf(data, 0, plane, count, channels, 5, shift, pivot, false);
    case 6: return colourPassOf(data, 0, plane, count, channels, 6, shift, pivot, false);
    case 7: return colourPassOf(data, 0, plane, count, channels, 7, shift, pivot, false);
    case 8: return colourPassOf(data, 0, plane, count, channels, 8, shift, pivot, false);
    case 9: return colourPassOf(data, 0, plane, count, channels, 9, shift, pivot, false);
    case 10: return colourPassOf(data, 0, plane, count, channels, 10, shift, pivot, false);
    case 11: return colourPassOf(data, 0, plane, count, channels, 11, shift, pivot, false);
    case 12: return colourPassOf(data, 0, plane, count, channels, 12, shift, pivot, false);
    case 13: return colourPassOf(data, 0, plane, count, channels, 13, shift, pivot, false);
    case 14: return colourPassOf(data, 0, plane, count, channels, 14, shift, pivot, false);
    case 15: return colourPassOf(data, 0, plane, count, channels, 15, shift, pivot, false);
    case 16: return colourPassOf(data, 0, plane, count, channels, 16, shift, pivot, false);
    case 17: return colourPassOf(data, 0, plane, count, channels, 17, shift, pivot, false);
    case 18: return colourPassOf(data, 0, plane, count, channels, 18, shift, pivot, false);
    case 19: return colourPassOf(data, 0, plane, count, channels, 19, shift, pivot, false);
    case 20: return colourPassOf(data, 0, plane, count, channels, 20, shift, pivot, false);
    case 21: return colourPassOf(data, 0, plane, count, channels, 21, shift, pivot, false);
    case 22: return colourPassOf(data, 0, plane, count, channels, 22, shift, pivot, false);
    case 23: return colourPassOf(data, 0, plane, count, channels, 23, shift, pivot, false);
    case 24: return colourPassOf(data, 0, plane, count, channels, 24, shift, pivot, false);
    case 25: return colourPassOf(data, 0, plane, count, channels, 25, shift, pivot, false);
    case 26: return colourPassOf(data, 0, plane, count, channels, 26, shift, pivot, false);
    case 27: return colourPassOf(data, 0, plane, count, channels, 27, shift, pivot, false);
    case 28: return colourPassOf(data, 0, plane, count, channels, 28, shift, pivot, false);
    case 29: return colourPassOf(data, 0, plane, count, channels, 29, shift, pivot, false);
    case 30: return colourPassOf(data, 0, plane, count, channels, 30, shift, pivot, false);
    default: return colourPassOf(data, 0, plane, count, channels, 31, shift, pivot, false);
  }
}

/** colourPass with `flags` and `weighted` constants where the call makes them so (it is inlined at each call). */
@inline
function colourPassOf(
  data: usize,
  weights: usize,
  plane: usize,
  count: i32,
  channels: i32,
  flags: u32,
  shift: i32,
  pivot: i32,
  weighted: bool,
): i32 {
  const wantColorfulness = (flags & COLORFULNESS) != 0;
  const wantColors = (flags & COLORS) != 0;
  const wantOverlay = (flags & OVERLAY) != 0;
  const wantLuma = (flags & LUMA) != 0;
  const wantContrast = (flags & CONTRAST) != 0;
  const linTable = lin;
  const yr = y14;
  const yg = y14 + 1024;
  const yb = y14 + 2048;
  const luminanceAt = luminance;
  const binsAt = bins;
  const touchedAt = touched;
  const coarseAt = coarse;
  let seen: i32 = 0;
  for (let from: i32 = 0; from < count; from += CHUNK) {
    const to = min(count, from + CHUNK);
    // Doubles, as the JavaScript summed them: the integer sums of a chunk are exact (below 2^53), the linear
    // light's are rounded as they were.
    let total: f64 = 0;
    let sumRg: f64 = 0;
    let sumRg2: f64 = 0;
    let sumYb: f64 = 0;
    let sumYb2: f64 = 0;
    let linR: f64 = 0;
    let linG: f64 = 0;
    let linB: f64 = 0;
    let sumD: f64 = 0;
    let sumD2: f64 = 0;
    let o = data + <usize>(from * channels);
    for (let i = from; i < to; i++, o += <usize>channels) {
      const r = <i32>load<u8>(o);
      const g = <i32>load<u8>(o, 1);
      const b = <i32>load<u8>(o, 2);
      const l = WR * r + WG * g + WB * b;
      if (wantLuma) store<u32>(plane + (<usize>i << 2), l);
      const w: i32 = weighted ? <i32>load<u8>(weights + <usize>i) : 1;
      if (weighted && w == 0) continue;
      const wf = <f64>w;
      if (weighted) total += wf;
      if (wantColorfulness) {
        const rg = r - g;
        const yb2 = r + g - 2 * b; // 2·yb
        sumRg += <f64>(w * rg);
        sumRg2 += <f64>(w * rg * rg);
        sumYb += <f64>(w * yb2);
        sumYb2 += <f64>(w * yb2) * <f64>yb2;
      }
      if (wantOverlay) {
        const v = load<i32>(yr + (<usize>r << 2)) + load<i32>(yg + (<usize>g << 2)) + load<i32>(yb + (<usize>b << 2));
        const p = luminanceAt + (<usize>v << 2);
        store<u32>(p, load<u32>(p) + <u32>w);
      }
      if (wantColors) {
        linR += wf * load<f64>(linTable + (<usize>r << 3));
        linG += wf * load<f64>(linTable + (<usize>g << 3));
        linB += wf * load<f64>(linTable + (<usize>b << 3));
        const at = ((r >> DROP_RB) << SHIFT_RED) | ((g >> DROP_GREEN) << BITS) | (b >> DROP_RB);
        const p = binsAt + (<usize>at << 5);
        const before = load<f64>(p);
        if (before == 0) {
          store<i32>(touchedAt + (<usize>seen << 2), at);
          seen++;
        }
        store<f64>(p, before + wf);
        store<f64>(p, load<f64>(p, 8) + <f64>(w * r), 8);
        store<f64>(p, load<f64>(p, 16) + <f64>(w * g), 16);
        store<f64>(p, load<f64>(p, 24) + <f64>(w * b), 24);
      }
      if (wantContrast) {
        const p = coarseAt + (<usize>(<u32>l >>> shift) << 3);
        store<f64>(p, load<f64>(p) + wf);
        const d = <f64>(l - pivot);
        sumD += wf * d;
        sumD2 += wf * d * d;
      }
    }
    addTo(TOTAL, total);
    addTo(SUM_RG, sumRg);
    addTo(SUM_RG2, sumRg2);
    addTo(SUM_YB, sumYb);
    addTo(SUM_YB2, sumYb2);
    addTo(LIN_R, linR);
    addTo(LIN_G, linG);
    addTo(LIN_B, linB);
    addTo(SUM_D, sumD);
    addTo(SUM_D2, sumD2);
  }
  return seen;
}

/**
 * One pass over the luma plane at `luma` (i32 ×10 000, `width` × `height`), weighted by `weights` (0: opaque):
 * adds Σw·lap, Σw·lap², Σw of the edge pixels and Σw to `totals`; when `withContrast`, adds each pixel's weight
 * to its fine count (`slotOf`, `fine`, blocks of 2^`shift`).
 */
export function neighbourhoodPass(
  luma: usize,
  weights: usize,
  width: i32,
  height: i32,
  withContrast: bool,
  shift: i32,
): void {
  for (let y: i32 = 0; y < height; y++) {
    const up = (y > 0 ? y - 1 : 0) * width;
    const mid = y * width;
    const down = (y < height - 1 ? y + 1 : y) * width;
    if (weights != 0) neighbourhoodRow(luma, weights, up, mid, down, width, withContrast, shift, true);
    else if (withContrast) opaqueRow(luma, up, mid, down, width, true, shift);
    else opaqueRow(luma, up, mid, down, width, false, shift);
  }
}

/**
 * One row (`mid`, between rows `up` and `down`, replicated at the image's edges): the 3×3 window slides one
 * column at a time, and each kernel is made of column sums: the right column's t + 2m + b (Gx is right minus
 * left), its b − t (Gy weighs them 1, 2, 1) and its t + b (the Laplacian's vertical part).
 */
@inline
function neighbourhoodRow(
  luma: usize,
  weights: usize,
  up: i32,
  mid: i32,
  down: i32,
  width: i32,
  withContrast: bool,
  shift: i32,
  weighted: bool,
): void {
  const mask = (1 << shift) - 1;
  const last = width - 1;
  const slotAt = slotOf;
  const fineAt = fine;
  const upRow = luma + (<usize>up << 2);
  const midRow = luma + (<usize>mid << 2);
  const downRow = luma + (<usize>down << 2);
  let sum: f64 = 0;
  let sum2: f64 = 0;
  let edges: i32 = 0;
  let total: i32 = 0;
  let ml = load<i32>(midRow);
  let mc = ml;
  let t = load<i32>(upRow);
  let b = load<i32>(downRow);
  let smoothL = t + 2 * mc + b;
  let smoothC = smoothL;
  let diffL = b - t;
  let diffC = diffL;
  let verticalC = t + b;
  for (let x: i32 = 0; x < width; x++) {
    const r = <usize>(x < last ? x + 1 : last) << 2;
    t = load<i32>(upRow + r);
    const mr = load<i32>(midRow + r);
    b = load<i32>(downRow + r);
    const verticalR = t + b;
    const smoothR = verticalR + 2 * mr;
    const diffR = b - t;
    // The kernels' sums fit 32 bits (at most 4 × 2 550 000); their squares are exact doubles (below 2^53).
    const lap = <f64>(verticalC + ml + mr - 4 * mc);
    const gx = <f64>(smoothR - smoothL);
    const gy = <f64>(diffL + 2 * diffC + diffR);
    // The comparison as a number, not a branch: edges are scattered, and a mispredicted branch per edge pixel
    // cost more than the arithmetic (measured: 0.66 ms against 0.36 on the grey sample).
    const isEdge = <i32>(gx * gx + gy * gy >= EDGE_SQUARED);
    const w: i32 = weighted ? <i32>load<u8>(weights + <usize>(mid + x)) : 1;
    const wf = <f64>w;
    sum += wf * lap;
    sum2 += wf * lap * lap;
    edges += w * isEdge;
    if (weighted) total += w;
    if (withContrast) {
      const slot = <i32>load<i8>(slotAt + <usize>(<u32>mc >>> shift));
      if (slot >= 0) {
        const p = fineAt + (<usize>((slot << shift) + (mc & mask)) << 3);
        store<f64>(p, load<f64>(p) + wf);
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
  addTo(LAP_SUM, sum);
  addTo(LAP_SUM2, sum2);
  addTo(EDGES, <f64>edges);
  addTo(WEIGHT, <f64>total);
}

/**
 * One row of an opaque image, four pixels at a time (SIMD): the kernels of pixels x … x + 3 from the rows' values
 * at x − 1 … x + 4, the squares and sums as two pairs of doubles; the row's first and last pixels (whose
 * neighbours are replicated) and the pixels left over, one at a time.
 */
@inline
function opaqueRow(luma: usize, up: i32, mid: i32, down: i32, width: i32, withContrast: bool, shift: i32): void {
  const last = width - 1;
  const upRow = luma + (<usize>up << 2);
  const midRow = luma + (<usize>mid << 2);
  const downRow = luma + (<usize>down << 2);
  const threshold = f64x2.splat(EDGE_SQUARED);
  let sumLow = f64x2.splat(0);
  let sumHigh = f64x2.splat(0);
  let sum2Low = f64x2.splat(0);
  let sum2High = f64x2.splat(0);
  let edgeCount = i64x2.splat(0);
  let x: i32 = 1;
  // Four at a time while x + 4 (the right neighbour of x + 3) is in the row.
  for (; x + 4 <= last; x += 4) {
    const at = <usize>x << 2;
    const tl = v128.load(upRow + at - 4);
    const tc = v128.load(upRow + at);
    const tr = v128.load(upRow + at + 4);
    const ml = v128.load(midRow + at - 4);
    const mc = v128.load(midRow + at);
    const mr = v128.load(midRow + at + 4);
    const bl = v128.load(downRow + at - 4);
    const bc = v128.load(downRow + at);
    const br = v128.load(downRow + at + 4);
    const lap = i32x4.sub(i32x4.add(i32x4.add(tc, bc), i32x4.add(ml, mr)), i32x4.shl(mc, 2));
    const gx = i32x4.sub(
      i32x4.add(i32x4.add(tr, br), i32x4.shl(mr, 1)),
      i32x4.add(i32x4.add(tl, bl), i32x4.shl(ml, 1)),
    );
    const gy = i32x4.sub(
      i32x4.add(i32x4.add(bl, br), i32x4.shl(bc, 1)),
      i32x4.add(i32x4.add(tl, tr), i32x4.shl(tc, 1)),
    );
    const lapLow = f64x2.convert_low_i32x4_s(lap);
    const lapHigh = f64x2.convert_low_i32x4_s(i32x4.shuffle(lap, lap, 2, 3, 0, 1));
    sumLow = f64x2.add(sumLow, lapLow);
    sumHigh = f64x2.add(sumHigh, lapHigh);
    sum2Low = f64x2.add(sum2Low, f64x2.mul(lapLow, lapLow));
    sum2High = f64x2.add(sum2High, f64x2.mul(lapHigh, lapHigh));
    const gxLow = f64x2.convert_low_i32x4_s(gx);
    const gxHigh = f64x2.convert_low_i32x4_s(i32x4.shuffle(gx, gx, 2, 3, 0, 1));
    const gyLow = f64x2.convert_low_i32x4_s(gy);
    const gyHigh = f64x2.convert_low_i32x4_s(i32x4.shuffle(gy, gy, 2, 3, 0, 1));
    // A lane that is an edge is all ones (−1): subtracting it counts it.
    edgeCount = i64x2.sub(
      edgeCount,
      f64x2.ge(f64x2.add(f64x2.mul(gxLow, gxLow), f64x2.mul(gyLow, gyLow)), threshold),
    );
    edgeCount = i64x2.sub(
      edgeCount,
      f64x2.ge(f64x2.add(f64x2.mul(gxHigh, gxHigh), f64x2.mul(gyHigh, gyHigh)), threshold),
    );
    if (withContrast) {
      countFine(load<i32>(midRow + at), 1, shift);
      countFine(load<i32>(midRow + at, 4), 1, shift);
      countFine(load<i32>(midRow + at, 8), 1, shift);
      countFine(load<i32>(midRow + at, 12), 1, shift);
    }
  }
  let sum = f64x2.extract_lane(sumLow, 0) + f64x2.extract_lane(sumLow, 1);
  sum += f64x2.extract_lane(sumHigh, 0) + f64x2.extract_lane(sumHigh, 1);
  let sum2 = f64x2.extract_lane(sum2Low, 0) + f64x2.extract_lane(sum2Low, 1);
  sum2 += f64x2.extract_lane(sum2High, 0) + f64x2.extract_lane(sum2High, 1);
  let edges = <i32>(i64x2.extract_lane(edgeCount, 0) + i64x2.extract_lane(edgeCount, 1));
  // The first pixel, and those from x to the end, one at a time.
  for (let k: i32 = 0; k < width; k = k == 0 ? x : k + 1) {
    const l = <usize>max(k - 1, 0) << 2;
    const c = <usize>k << 2;
    const r = <usize>min(k + 1, last) << 2;
    const mc = load<i32>(midRow + c);
    const lap = <f64>(load<i32>(upRow + c) + load<i32>(downRow + c) + load<i32>(midRow + l) + load<i32>(midRow + r) - 4 * mc);
    const gx = <f64>(
      load<i32>(upRow + r) + 2 * load<i32>(midRow + r) + load<i32>(downRow + r) -
      (load<i32>(upRow + l) + 2 * load<i32>(midRow + l) + load<i32>(downRow + l))
    );
    const gy = <f64>(
      load<i32>(downRow + l) + 2 * load<i32>(downRow + c) + load<i32>(downRow + r) -
      (load<i32>(upRow + l) + 2 * load<i32>(upRow + c) + load<i32>(upRow + r))
    );
    sum += lap;
    sum2 += lap * lap;
    edges += <i32>(gx * gx + gy * gy >= EDGE_SQUARED);
    if (withContrast) countFine(mc, 1, shift);
  }
  addTo(LAP_SUM, sum);
  addTo(LAP_SUM2, sum2);
  addTo(EDGES, <f64>edges);
}

/** Adds `weight` to the fine count of luma `value` when its coarse bin has a fine block (contrast's plan). */
@inline
function countFine(value: i32, weight: f64, shift: i32): void {
  const slot = <i32>load<i8>(slotOf + <usize>(<u32>value >>> shift));
  if (slot >= 0) {
    const p = fine + (<usize>((slot << shift) + (value & ((1 << shift) - 1))) << 3);
    store<f64>(p, load<f64>(p) + weight);
  }
}

/**
 * The luminance histogram of the pixels in columns [x0, x1) of rows [y0, y1) (an overlay band), weighted by
 * `weights` (0: opaque), added to `luminance`; returns Σw. `channels` 1–4 (grey reads its one value thrice).
 */
export function bandLuminance(
  data: usize,
  weights: usize,
  width: i32,
  channels: i32,
  x0: i32,
  y0: i32,
  x1: i32,
  y1: i32,
): f64 {
  const yr = y14;
  const yg = y14 + 1024;
  const yb = y14 + 2048;
  const g: usize = channels >= 3 ? 1 : 0;
  const b: usize = channels >= 3 ? 2 : 0;
  let total: f64 = 0;
  for (let y = y0; y < y1; y++) {
    let o = data + <usize>((y * width + x0) * channels);
    for (let i = y * width + x0, end = y * width + x1; i < end; i++, o += <usize>channels) {
      const w: u32 = weights != 0 ? <u32>load<u8>(weights + <usize>i) : 1;
      const v =
        load<i32>(yr + (<usize>load<u8>(o) << 2)) +
        load<i32>(yg + (<usize>load<u8>(o + g) << 2)) +
        load<i32>(yb + (<usize>load<u8>(o + b) << 2));
      const p = luminance + (<usize>v << 2);
      store<u32>(p, load<u32>(p) + w);
      total += <f64>w;
    }
  }
  return total;
}

// The sums fullResolutionPass adds to, f64 at `totals` (wasm.ts reads them by these indices), apart from the
// other passes' so that no pass reads another's.
const IMMERKAER_SUM = 12;
const BOUNDARY_SUM = 13;
const INTERIOR_SUM = 14;

/** The luma ×10 000 of a grey level (planes.ts LUMA_UNIT). */
const GREY: i32 = 10_000;
/** The side of a JPEG block (compression.ts). */
const BLOCK: i32 = 8;
/**
 * The four-lane |·| sums are widened to 64 bits every this many vectors: a lane then holds at most 32 × 40 800 000
 * (Immerkær's |response| is at most 16 × 255 × 10 000) < 2^31.
 */
const WIDEN_EVERY: i32 = 32;

/**
 * Rows [y0, y1) of the full-resolution image (`width` pixels of `channels` bytes a row, 1–4; the rows from `pixels`,
 * with 16 bytes readable past the last), continuing from the rows before, whose state is in `ring`: two rows of
 * luma ×10 000 (this one and the one above, by y & 1) then three of its second difference across (by y % 3),
 * `width` i32 each. Each row's luma is made once and feeds both sums the full-resolution metrics need: Immerkær's
 * Σ |I ∗ N| over the interior (noise.ts: the second difference down of the second differences across), and the
 * absolute luma steps to the left and up, apart across the 8 × 8 block boundaries and inside blocks
 * (compression.ts blockiness). Adds them to `totals` (IMMERKAER_SUM, BOUNDARY_SUM, INTERIOR_SUM), exact integers
 * below 2^53.
 */
export function fullResolutionPass(pixels: usize, ring: usize, width: i32, channels: i32, y0: i32, y1: i32): void {
  const rowBytes = <usize>width << 2;
  for (let y = y0; y < y1; y++) {
    const luma = ring + (<usize>(y & 1)) * rowBytes;
    const above = ring + (<usize>((y + 1) & 1)) * rowBytes;
    const across = ring + (<usize>(2 + (y % 3))) * rowBytes;
    const middle = ring + (<usize>(2 + ((y + 2) % 3))) * rowBytes;
    const top = ring + (<usize>(2 + ((y + 1) % 3))) * rowBytes;
    lumaRow(pixels + <usize>((y - y0) * width * channels), luma, width, channels);
    if (y >= 2) stepsRow(luma, above, top, middle, across, width, y, true, true);
    else if (y == 1) stepsRow(luma, above, top, middle, across, width, y, true, false);
    else stepsRow(luma, above, top, middle, across, width, y, false, false);
  }
}

/**
 * One row's luma ×10 000 into `out`: Rec. 709 from R, G, B (3 or 4 channels), 10 000 × grey (1 or 2), four pixels
 * at a time: a 16-byte load, each channel's four bytes spread to 32-bit lanes by a swizzle (an index past 15 gives
 * 0); the pixels left over one at a time.
 */
@inline
function lumaRow(src: usize, out: usize, width: i32, channels: i32): void {
  // Lane k's byte 0 takes byte c·k (+ 1 for green, + 2 for blue); bytes 1–3 take 0 (index 255).
  const red = v128.or(i32x4.splat(-256), i32x4.mul(i32x4(0, 1, 2, 3), i32x4.splat(channels)));
  const green = i32x4.add(red, i32x4.splat(1));
  const blue = i32x4.add(red, i32x4.splat(2));
  const step = <usize>(channels << 2);
  let x: i32 = 0;
  let o = src;
  if (channels >= 3) {
    const wr = i32x4.splat(WR);
    const wg = i32x4.splat(WG);
    const wb = i32x4.splat(WB);
    for (; x + 4 <= width; x += 4, o += step) {
      const v = v128.load(o);
      const l = i32x4.add(
        i32x4.add(i32x4.mul(v128.swizzle(v, red), wr), i32x4.mul(v128.swizzle(v, green), wg)),
        i32x4.mul(v128.swizzle(v, blue), wb),
      );
      v128.store(out + (<usize>x << 2), l);
    }
    for (; x < width; x++, o += <usize>channels) {
      store<i32>(
        out + (<usize>x << 2),
        WR * <i32>load<u8>(o) + WG * <i32>load<u8>(o, 1) + WB * <i32>load<u8>(o, 2),
      );
    }
  } else {
    const grey = i32x4.splat(GREY);
    for (; x + 4 <= width; x += 4, o += step) {
      v128.store(out + (<usize>x << 2), i32x4.mul(v128.swizzle(v128.load(o), red), grey));
    }
    for (; x < width; x++, o += <usize>channels) store<i32>(out + (<usize>x << 2), GREY * <i32>load<u8>(o));
  }
}

/**
 * Row y's steps from its `luma` (and the row `above`): the second difference across into `across` (interior
 * columns), and, when `withNoise`, Σ |top − 2 · middle + across| over them; Σ |step left|, apart across the block
 * boundaries (columns 8k − 1 and 8k); when `withDown`, Σ |step up|, across a boundary when y is a multiple of 8.
 * Four columns at a time while the right neighbour is in the row, the rest one at a time.
 */
@inline
function stepsRow(
  luma: usize,
  above: usize,
  top: usize,
  middle: usize,
  across: usize,
  width: i32,
  y: i32,
  withDown: bool,
  withNoise: bool,
): void {
  const last = width - 1;
  let noise64 = i64x2.splat(0);
  let left64 = i64x2.splat(0);
  let down64 = i64x2.splat(0);
  let x: i32 = 1;
  while (x < last - 3) {
    const stop = min(last - 3, x + 4 * WIDEN_EVERY);
    let noise32 = i32x4.splat(0);
    let left32 = i32x4.splat(0);
    let down32 = i32x4.splat(0);
    for (; x < stop; x += 4) {
      const at = <usize>x << 2;
      const l = v128.load(luma + at - 4);
      const c = v128.load(luma + at);
      const r = v128.load(luma + at + 4);
      const h = i32x4.sub(i32x4.add(l, r), i32x4.shl(c, 1));
      v128.store(across + at, h);
      if (withNoise) {
        const v = i32x4.add(i32x4.sub(v128.load(top + at), i32x4.shl(v128.load(middle + at), 1)), h);
        noise32 = i32x4.add(noise32, i32x4.abs(v));
      }
      left32 = i32x4.add(left32, i32x4.abs(i32x4.sub(c, l)));
      if (withDown) down32 = i32x4.add(down32, i32x4.abs(i32x4.sub(c, v128.load(above + at))));
    }
    noise64 = i64x2.add(i64x2.add(noise64, i64x2.extend_low_i32x4_u(noise32)), i64x2.extend_high_i32x4_u(noise32));
    left64 = i64x2.add(i64x2.add(left64, i64x2.extend_low_i32x4_u(left32)), i64x2.extend_high_i32x4_u(left32));
    down64 = i64x2.add(i64x2.add(down64, i64x2.extend_low_i32x4_u(down32)), i64x2.extend_high_i32x4_u(down32));
  }
  let noise = i64x2.extract_lane(noise64, 0) + i64x2.extract_lane(noise64, 1);
  let left = i64x2.extract_lane(left64, 0) + i64x2.extract_lane(left64, 1);
  let down = i64x2.extract_lane(down64, 0) + i64x2.extract_lane(down64, 1);
  // The columns left over: the second difference to the last but one, the step left to the last, up from 0.
  for (; x < width; x++) {
    const at = <usize>x << 2;
    const c = load<i32>(luma + at);
    const l = load<i32>(luma + at - 4);
    if (x < last) {
      const h = l + load<i32>(luma + at + 4) - 2 * c;
      store<i32>(across + at, h);
      if (withNoise) noise += <i64>abs(load<i32>(top + at) - 2 * load<i32>(middle + at) + h);
    }
    left += <i64>abs(c - l);
    if (withDown) down += <i64>abs(c - load<i32>(above + at));
  }
  if (withDown) down += <i64>abs(load<i32>(luma) - load<i32>(above));
  let boundary: i64 = 0;
  for (let b: i32 = BLOCK; b < width; b += BLOCK) {
    const at = <usize>b << 2;
    boundary += <i64>abs(load<i32>(luma + at) - load<i32>(luma + at - 4));
  }
  let interior = left - boundary;
  if (withDown) {
    if (y % BLOCK == 0) boundary += down;
    else interior += down;
  }
  if (withNoise) addTo(IMMERKAER_SUM, <f64>noise);
  addTo(BOUNDARY_SUM, <f64>boundary);
  addTo(INTERIOR_SUM, <f64>interior);
}
