/**
 * The JavaScript reference of the colour histogram's pass (the colour pass runs it in WebAssembly:
 * container/wasm/passes.ts, colour-pass.ts), and of `colors` and its parts on its result: what the tests hold
 * the production pass to, bit for bit (colour-pass.test.ts, wasm.test.ts), and the easy way for a test to get
 * one image's colours. One pass counts the pixels into the histogram (5 bits of red and blue, 6 of green),
 * keeping each bin's Σ weight × R, G, B, and sums the linear light of every pixel, for the average; the
 * production functions of colors.ts and kmeans.ts then do the rest.
 */
import {
  averageOf,
  type Colors,
  type ColourHistogram,
  colorsOfHistogram,
  greyHistogram,
  histogramOfBins,
} from "../../src/metrics/colors.ts";
import { type Cluster, clusterColours } from "../../src/metrics/kmeans.ts";
import type { PixelImage, Weights } from "../../src/metrics/planes.ts";
import { SRGB8_TO_LINEAR } from "../../src/metrics/scales.ts";

/** The colour histogram's layout (colors.ts): 5 bits of red and blue, 6 of green. */
const BITS = 5;
const GREEN_BITS = 6;
const DROP_RB = 8 - BITS;
const DROP_GREEN = 8 - GREEN_BITS;
const SHIFT_RED = BITS + GREEN_BITS;
const BIN_COUNT = 1 << (2 * BITS + GREEN_BITS);

// Scratch, reused (every function here is synchronous), and left zeroed after each use: per bin, interleaved
// (one cache line), Σ weight, Σ weight × R, G, B; and the list of bins touched, in the order first seen.
const bins = new Float64Array(BIN_COUNT * 4);
const touched = new Int32Array(BIN_COUNT);
/** The linear sums and the count of touched bins of the last pass. */
const linearOut = new Float64Array(3);
let touchedCount = 0;
const LIN = SRGB8_TO_LINEAR;

/** The colour histogram of the pixels, as the colour pass makes it. */
function colourHistogram(pixels: PixelImage, weights: Weights): ColourHistogram {
  const { data, width, height, channels } = pixels;
  const count = width * height;
  let total = 0;
  if (channels < 3) {
    // Grey: one bin per level (256), exact; R = G = B.
    const levels = new Float64Array(256);
    for (let i = 0, o = 0; i < count; i++, o += channels) {
      const w = weights ? (weights[i] as number) : 1;
      const v = data[o] as number;
      levels[v] = (levels[v] as number) + w;
      total += w;
    }
    return greyHistogram(levels, total);
  }
  touchedCount = 0;
  if (weights) {
    total = countWeighted(data, channels, count, weights);
  } else {
    countOpaque(data, channels, count);
    total = count;
  }
  return histogramOfBins(bins, touched.subarray(0, touchedCount), total, [
    linearOut[0] as number,
    linearOut[1] as number,
    linearOut[2] as number,
  ]);
}

/** The colour histogram's pass for opaque pixels: every pixel weighs 1. */
function countOpaque(data: Uint8Array, channels: number, count: number): void {
  let lr = 0;
  let lg = 0;
  let lb = 0;
  let seen = touchedCount;
  for (let o = 0, end = count * channels; o < end; o += channels) {
    const r = data[o] as number;
    const g = data[o + 1] as number;
    const b = data[o + 2] as number;
    const at = (((r >> DROP_RB) << SHIFT_RED) | ((g >> DROP_GREEN) << BITS) | (b >> DROP_RB)) << 2;
    const w = bins[at] as number;
    if (w === 0) touched[seen++] = at >> 2;
    bins[at] = w + 1;
    bins[at + 1] = (bins[at + 1] as number) + r;
    bins[at + 2] = (bins[at + 2] as number) + g;
    bins[at + 3] = (bins[at + 3] as number) + b;
    lr += LIN[r] as number;
    lg += LIN[g] as number;
    lb += LIN[b] as number;
  }
  touchedCount = seen;
  linearOut[0] = lr;
  linearOut[1] = lg;
  linearOut[2] = lb;
}

/** The colour histogram's pass with a weight per pixel; returns Σ weight. */
function countWeighted(data: Uint8Array, channels: number, count: number, weights: Uint8Array): number {
  let total = 0;
  let lr = 0;
  let lg = 0;
  let lb = 0;
  let seen = touchedCount;
  for (let i = 0, o = 0; i < count; i++, o += channels) {
    const w = weights[i] as number;
    if (w === 0) continue;
    const r = data[o] as number;
    const g = data[o + 1] as number;
    const b = data[o + 2] as number;
    const at = (((r >> DROP_RB) << SHIFT_RED) | ((g >> DROP_GREEN) << BITS) | (b >> DROP_RB)) << 2;
    const before = bins[at] as number;
    if (before === 0) touched[seen++] = at >> 2;
    bins[at] = before + w;
    bins[at + 1] = (bins[at + 1] as number) + w * r;
    bins[at + 2] = (bins[at + 2] as number) + w * g;
    bins[at + 3] = (bins[at + 3] as number) + w * b;
    lr += w * (LIN[r] as number);
    lg += w * (LIN[g] as number);
    lb += w * (LIN[b] as number);
    total += w;
  }
  touchedCount = seen;
  linearOut[0] = lr;
  linearOut[1] = lg;
  linearOut[2] = lb;
  return total;
}

/**
 * The average colour, in linear light, as 8-bit sRGB; `null` when nothing is visible.
 *
 * @example
 * // Black and white average to 50 % light: #BCBCBC, not #808080.
 * averageColour({ data: Uint8Array.of(0, 255), width: 2, height: 1, channels: 1 }, null); // [188, 188, 188]
 */
export function averageColour(pixels: PixelImage, weights: Weights): [number, number, number] | null {
  return averageOf(colourHistogram(pixels, weights));
}

/**
 * Up to `n` clusters of the visible pixels in CIELAB, heaviest first (fewer when the image has fewer distinct
 * colours than `n`). Deterministic.
 *
 * @example
 * const twoColours = { data: Uint8Array.of(255, 0, 0, 255, 0, 0, 0, 0, 255), width: 3, height: 1, channels: 3 };
 * dominantClusters(twoColours, null, 5); // [{ lab: red's, weight: 2 }, { lab: blue's, weight: 1 }]
 */
export function dominantClusters(pixels: PixelImage, weights: Weights, n: number): Cluster[] {
  return clusterColours(colourHistogram(pixels, weights), n);
}

/**
 * The `colors` result: the linear-light average and up to `n` dominant colours (1–10), each with its share of
 * the visible pixels (2 decimals), its nearest CSS named colour (CIEDE2000) and its family; `null` when nothing
 * is visible.
 *
 * @example
 * const px = { data: Uint8Array.of(255, 0, 0, 255, 0, 0, 255, 0, 0, 0, 0, 255), width: 4, height: 1, channels: 3 };
 * colors(px, null, 5);
 * // { average: { hex: "#E10089"… }, dominant: [{ hex: "#FF0000", rgb: [255, 0, 0], percent: 75, name: "red", family: "red" },
 * //                                          { hex: "#0000FF", rgb: [0, 0, 255], percent: 25, name: "blue", family: "blue" }] }
 */
export function colors(pixels: PixelImage, weights: Weights, n: number): Colors | null {
  return colorsOfHistogram(colourHistogram(pixels, weights), n);
}
