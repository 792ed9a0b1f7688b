/**
 * The WebAssembly build of the hot passes (passes.wasm, compiled from container/wasm/passes.ts by `npm run
 * build:wasm`; wasm.test.ts rebuilds it and compares the bytes) and the memory they work in. The passes compute
 * the sums the JavaScript passes did (colour-pass.test.ts and insights.test.ts hold their results to each metric's
 * JavaScript reference in container/test/reference/, neighbourhood.test.ts to a per-pixel oracle); WebAssembly runs them without bounds
 * checks, type checks or deoptimisation, with a loop for each set of metrics asked for and the 3 × 3 kernels four
 * pixels at a time (SIMD): on the 512 × 338 colour sample, the colour pass of every metric takes 0.70 ms against
 * 1.2 in JavaScript, the neighbourhood pass 0.15 against 0.5 (docs/METRICS.md, "Timing"). The full-resolution
 * pass (noise's and blockiness' sums, full-resolution.ts) copies its pixels in bands into scratch past the image
 * region: 0.28 ms on the 536 × 354 sample against 2.4 for the two JavaScript passes (container/test/reference/).
 *
 * The module's memory holds, at fixed offsets, the tables and the scratch both passes share (the colour and
 * luminance histograms, contrast's coarse and fine counts, the sums), then the pixels, the alpha plane and the luma
 * plane of the image at hand: `passMemory` grows it to the largest image seen and gives views of it. A view is good
 * until the next `passMemory` call for a larger image (growing memory detaches every view); each metric pass takes
 * its views at its start. Everything is synchronous, so no two images share the memory at once.
 */
import { readFileSync } from "node:fs";
import { Y14 as LUMINANCE_TABLES } from "./overlay.ts";
import { SRGB8_TO_LINEAR } from "./scales.ts";

interface Passes {
  memory: WebAssembly.Memory;
  setLayout(
    lin: number,
    y14: number,
    luminance: number,
    bins: number,
    touched: number,
    coarse: number,
    slotOf: number,
    fine: number,
    totals: number,
  ): void;
  colourPass(
    data: number,
    weights: number,
    plane: number,
    count: number,
    channels: number,
    flags: number,
    shift: number,
    pivot: number,
  ): number;
  bandLuminance(
    data: number,
    weights: number,
    width: number,
    channels: number,
    x0: number,
    y0: number,
    x1: number,
    y1: number,
  ): number;
  neighbourhoodPass(
    luma: number,
    weights: number,
    width: number,
    height: number,
    withContrast: boolean,
    shift: number,
  ): void;
  fullResolutionPass(pixels: number, ring: number, width: number, channels: number, y0: number, y1: number): void;
}

const passes = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL("./passes.wasm", import.meta.url))))
  .exports as unknown as Passes;

/** What `colourPass` is asked for: the bits of its `flags` (container/wasm/passes.ts). */
export const PASS_COLORFULNESS = 1;
export const PASS_COLORS = 2;
export const PASS_OVERLAY = 4;
export const PASS_LUMA = 8;
export const PASS_CONTRAST = 16;

/** Bins of the colour histogram (colors.ts: 5 + 6 + 5 bits) and of the 14-bit luminance histogram (overlay.ts). */
const COLOUR_BINS = 65_536;
const LUMINANCE_BINS = 16_384;
/** Contrast's coarse bins (at most 2 048: quantile.ts) and the fine blocks a plan may ask for, of 2^shift each. */
const COARSE_BINS = 2048;
const FINE_VALUES = 8 * 2048;

// The fixed region, in bytes: each part aligned to 64 (a cache line).
const LIN = 0; // f64[256]
const Y14 = LIN + 256 * 8; // i32[3 × 256]
const TOTALS = Y14 + 3 * 256 * 4; // f64[16]
const LUMINANCE = align(TOTALS + 16 * 8); // u32[LUMINANCE_BINS]
const COARSE = LUMINANCE + LUMINANCE_BINS * 4; // f64[COARSE_BINS]
const SLOT_OF = COARSE + COARSE_BINS * 8; // i8[COARSE_BINS]
const FINE = SLOT_OF + COARSE_BINS; // f64[FINE_VALUES]
const TOUCHED = FINE + FINE_VALUES * 8; // i32[COLOUR_BINS]
const BINS = TOUCHED + COLOUR_BINS * 4; // f64[COLOUR_BINS × 4]
const IMAGE = BINS + COLOUR_BINS * 4 * 8; // the image's planes (`passMemory`)
const PAGE_BYTES = 65_536;

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

/** Views of the module's memory; `data`, `weights` and `plane` have room for the image `passMemory` was given. */
export interface PassMemory {
  /** The pixels, interleaved, up to 4 channels. */
  data: Uint8Array;
  /** The alpha plane (weights). */
  weights: Uint8Array;
  /** The luma plane ×10 000 (planes.ts). */
  plane: Uint32Array;
  /** The colour histogram, Σw, Σw·R, Σw·G, Σw·B per bin; left zeroed after each use. */
  bins: Float64Array;
  /** The bins the colour pass touched, in the order first seen. */
  touched: Int32Array;
  /** The 14-bit luminance histogram; left zeroed after each use. */
  luminance: Uint32Array;
  /** The passes' sums (colour-pass.ts and neighbourhood.ts name them). */
  totals: Float64Array;
  /** Contrast's coarse counts, its plan's fine block of each coarse bin (−1: none), and its fine counts. */
  coarse: Float64Array;
  slotOf: Int8Array;
  fine: Float64Array;
}

let capacity = 0; // pixels the image region has room for
let views: PassMemory | null = null;
let offsets = { data: IMAGE, weights: IMAGE, plane: IMAGE };

/**
 * Views of the passes' memory, with room for an image of `count` pixels (memory grows to the largest seen,
 * 512 × 512 at least: the analysed image's largest).
 *
 * @example
 * const { plane } = passMemory(512 * 338); // a Uint32Array of 512 × 512 luma values, in the module's memory
 */
export function passMemory(count: number): PassMemory {
  // The views are made again when memory grew (which detached them) for the full-resolution pass's scratch.
  if (views && count <= capacity && views.data.buffer === passes.memory.buffer) return views;
  const room = Math.max(count, capacity, 512 * 512);
  offsets = { data: IMAGE, weights: IMAGE + align(room * 4), plane: IMAGE + align(room * 4) + align(room) };
  const { memory } = passes;
  const bytes = offsets.plane + room * 4;
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE_BYTES));
  const buffer = memory.buffer;
  capacity = room;
  views = {
    data: new Uint8Array(buffer, offsets.data, room * 4),
    weights: new Uint8Array(buffer, offsets.weights, room),
    plane: new Uint32Array(buffer, offsets.plane, room),
    bins: new Float64Array(buffer, BINS, COLOUR_BINS * 4),
    touched: new Int32Array(buffer, TOUCHED, COLOUR_BINS),
    luminance: new Uint32Array(buffer, LUMINANCE, LUMINANCE_BINS),
    totals: new Float64Array(buffer, TOTALS, 16),
    coarse: new Float64Array(buffer, COARSE, COARSE_BINS),
    slotOf: new Int8Array(buffer, SLOT_OF, COARSE_BINS),
    fine: new Float64Array(buffer, FINE, FINE_VALUES),
  };
  return views;
}

// The tables, once, and where everything is, for the passes.
{
  const { buffer } = passMemory(0).data;
  new Float64Array(buffer, LIN, 256).set(SRGB8_TO_LINEAR);
  for (const [k, table] of LUMINANCE_TABLES.entries()) new Int32Array(buffer, Y14 + k * 256 * 4, 256).set(table);
  passes.setLayout(LIN, Y14, LUMINANCE, BINS, TOUCHED, COARSE, SLOT_OF, FINE, TOTALS);
}

/** Whether `array` is the view `passMemory` gave (then a pass reads it in place). */
function isView(array: Uint8Array | Uint32Array, view: Uint8Array | Uint32Array): boolean {
  return array.buffer === view.buffer && array.byteOffset === view.byteOffset;
}

/** Interleaved pixels (planes.ts's PixelImage). */
interface Pixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/**
 * The pixels and their weights copied into the passes' memory (unless they are there already): what
 * `runColourPass` and `runBandLuminance` read. Good until the next `passMemory` call for a larger image.
 *
 * @example
 * const resident = residentPixels(pixels, weights); // { ...pixels, data: a view of the module's memory }
 */
export function residentPixels<P extends Pixels>(pixels: P, weights: Uint8Array | null): P {
  const { data, width, height, channels } = pixels;
  const count = width * height;
  const memory = passMemory(count);
  if (weights && !isView(weights, memory.weights)) memory.weights.set(weights.subarray(0, count));
  if (isView(data, memory.data)) return pixels;
  memory.data.set(data.subarray(0, count * channels));
  return { ...pixels, data: memory.data };
}

/**
 * Runs the colour pass (container/wasm/passes.ts `colourPass`) over `residentPixels` (3 or 4 channels), weighted
 * by `weights` (null: opaque), writing what `flags` asks for into `passMemory`'s views (the luma plane into its
 * `plane`). Zeroes `totals` first; returns the count of bins touched.
 */
export function runColourPass(
  resident: Pixels,
  weights: Uint8Array | null,
  flags: number,
  shift: number,
  pivot: number,
): number {
  const { width, height, channels } = resident;
  passMemory(width * height).totals.fill(0);
  return passes.colourPass(
    offsets.data,
    weights ? offsets.weights : 0,
    offsets.plane,
    width * height,
    channels,
    flags,
    shift,
    pivot,
  );
}

/**
 * Runs the neighbourhood pass (container/wasm/passes.ts `neighbourhoodPass`) over the luma plane (copied into
 * the module's memory unless it is `passMemory`'s `plane`), its sums into `totals` (zeroed first); with `plan`,
 * adds its fine counts to `plan.fine`.
 */
export function runNeighbourhoodPass(
  luma: Uint32Array,
  weights: Uint8Array | null,
  width: number,
  height: number,
  plan: { slotOf: Int8Array; fine: Float64Array; shift: number } | null,
): void {
  const count = width * height;
  const memory = passMemory(count);
  if (!isView(luma, memory.plane)) memory.plane.set(luma.subarray(0, count));
  if (weights && !isView(weights, memory.weights)) memory.weights.set(weights.subarray(0, count));
  memory.totals.fill(0);
  if (plan) {
    if (plan.fine.length > FINE_VALUES || plan.slotOf.length > COARSE_BINS) {
      throw new RangeError(`Expected a contrast plan of at most ${FINE_VALUES} fine counts`);
    }
    memory.slotOf.fill(-1);
    memory.slotOf.set(plan.slotOf);
    memory.fine.fill(0, 0, plan.fine.length);
  }
  passes.neighbourhoodPass(
    offsets.plane,
    weights ? offsets.weights : 0,
    width,
    height,
    plan !== null,
    plan?.shift ?? 0,
  );
  if (plan) {
    const { fine } = plan;
    for (let k = 0; k < fine.length; k++) fine[k] = (fine[k] as number) + (memory.fine[k] as number);
  }
}

/**
 * The 14-bit luminance histogram of the pixels of `residentPixels` in `rect` (container/wasm/passes.ts
 * `bandLuminance`), into `passMemory`'s `luminance` (which the caller zeroes after use, as always); returns
 * Σ weight.
 */
export function runBandLuminance(
  resident: Pixels,
  weights: Uint8Array | null,
  rect: { x0: number; y0: number; x1: number; y1: number },
): number {
  return passes.bandLuminance(
    offsets.data,
    weights ? offsets.weights : 0,
    resident.width,
    resident.channels,
    rect.x0,
    rect.y0,
    rect.x1,
    rect.y1,
  );
}

/** The full-resolution pass's pixels are copied into the module's memory this many bytes at a time (whole rows). */
const BAND_BYTES = 256 * 1024;
/** What a 16-byte load of a band's last pixels may read past them (the pass's luma row reads 16 bytes for 12). */
const LOAD_SLACK_BYTES = 16;
/** `totals`' indices of the full-resolution pass's sums (container/wasm/passes.ts). */
const IMMERKAER_SUM = 12;
const BOUNDARY_SUM = 13;
const INTERIOR_SUM = 14;

/** The full-resolution pass's sums, in luma ×10 000: exact integers below 2^53. */
export interface FullResolutionTotals {
  /** Immerkær's Σ |I ∗ N| over the interior pixels (noise.ts). */
  immerkaer: number;
  /** The absolute luma steps between neighbours across the 8 × 8 block boundaries, and inside blocks (compression.ts). */
  boundary: number;
  interior: number;
}

/**
 * Runs the full-resolution pass (container/wasm/passes.ts `fullResolutionPass`) over `pixels` (1–4 channels, at
 * least 1 × 1): each row's luma made once, for Immerkær's sum and blockiness' steps. The pixels are copied in
 * bands of whole rows of about 256 KB into scratch past the image region (memory grows by that and five rows of
 * luma, once), so a 12 MP photo costs no 48 MB copy; the scratch is free again when this returns.
 *
 * @example
 * runFullResolutionPass({ data: new Uint8Array(9).fill(7), width: 3, height: 3, channels: 1 });
 * // { immerkaer: 0, boundary: 0, interior: 0 }
 */
export function runFullResolutionPass(pixels: Pixels): FullResolutionTotals {
  const { data, width, height, channels } = pixels;
  const rowBytes = width * channels;
  const bandRows = Math.max(1, Math.floor(BAND_BYTES / rowBytes));
  passMemory(0);
  const bandAt = align(offsets.plane + capacity * 4);
  const ringAt = align(bandAt + bandRows * rowBytes + LOAD_SLACK_BYTES);
  const bytes = ringAt + 5 * width * 4;
  const { memory } = passes;
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE_BYTES));
  const { totals } = passMemory(0);
  totals[IMMERKAER_SUM] = 0;
  totals[BOUNDARY_SUM] = 0;
  totals[INTERIOR_SUM] = 0;
  const band = new Uint8Array(memory.buffer, bandAt, bandRows * rowBytes);
  for (let y0 = 0; y0 < height; y0 += bandRows) {
    const y1 = Math.min(height, y0 + bandRows);
    band.set(data.subarray(y0 * rowBytes, y1 * rowBytes));
    passes.fullResolutionPass(bandAt, ringAt, width, channels, y0, y1);
  }
  return {
    immerkaer: totals[IMMERKAER_SUM] as number,
    boundary: totals[BOUNDARY_SUM] as number,
    interior: totals[INTERIOR_SUM] as number,
  };
}
