/**
 * `colors`: the average colour (the mean in linear light, re-encoded to sRGB) and up to N dominant colours,
 * clustered in CIELAB. Pure: typed arrays in, a plain object out.
 *
 * k-means on 173 000 pixels would cost tens of milliseconds, so one pass first counts the pixels into a weighted
 * colour histogram (5 bits of red and blue, 6 of green: 65 536 bins, of which a photo fills one to three
 * thousand; a grey image has one bin per level), keeping each bin's mean colour; the clustering then runs on the
 * bins, each weighing its pixels. It is deterministic (same bytes, same answer): RESTARTS seedings (one greedy:
 * the heaviest bin, then each time the bin with the largest weight × squared distance to its nearest seed; the
 * others k-means++ drawn from a fixed-seed generator) run a few Lloyd iterations on the heaviest bins, and the
 * best of them converges on all of them. The same pass sums the linear light of every pixel, for the average.
 * Measured against OpenCV's k-means (best of 20 k-means++ attempts, on every pixel): within 1.3 % of its squared
 * CIELAB error on the reference samples for 3 to 10 clusters (golden-v2.test.ts asserts 5 %).
 */
import type { z } from "zod";
import type { InsightsSchemas } from "../../../contract/schemas.ts";
import { colourFamily } from "./colour-family.ts";
import { nearestCssColour } from "./css-colours.ts";
import { roundRatio } from "./exact.ts";
import { type Lab, labToLinear, linearToLab, srgbToLab } from "./lab.ts";
import type { PixelImage, Weights } from "./planes.ts";
import { linearToSrgb8, SRGB8_TO_LINEAR } from "./scales.ts";

export type Colors = z.infer<typeof InsightsSchemas.colors>;

/** Bits kept per channel in the colour histogram. */
const BITS = 5;
/** Green keeps one bit more: it carries most of the lightness, the axis CIELAB stretches most. */
const GREEN_BITS = 6;
const DROP_RB = 8 - BITS;
const DROP_GREEN = 8 - GREEN_BITS;
const SHIFT_RED = BITS + GREEN_BITS;
const BIN_COUNT = 1 << (2 * BITS + GREEN_BITS);
// Exported aliases: this module's hot loops read the local constants (an exported binding is read from its module
// cell on every use: measured, a third of a pass). A colour's bin is
// ((r >> DROP) << RED_SHIFT) | ((g >> DROP_G) << HISTOGRAM_BITS) | (b >> DROP).
export const HISTOGRAM_BITS = BITS;
export const HISTOGRAM_GREEN_BITS = GREEN_BITS;
export const DROP = DROP_RB;
export const DROP_G = DROP_GREEN;
export const RED_SHIFT = SHIFT_RED;
export const BINS = BIN_COUNT;
/** Lloyd's iterations stop here if the assignment still moves (it converges in 10–30 on photos). */
const MAX_ITERATIONS = 100;

/** A dominant colour before it is named: its CIELAB centre and Σ weight of its pixels. */
export interface Cluster {
  lab: Lab;
  weight: number;
}

/** The colour histogram of one image: every non-empty bin's weight and mean colour, and the linear sums. */
export interface ColourHistogram {
  /** Σ weight (1 per pixel when opaque); 0: nothing visible. */
  total: number;
  /** Per non-empty bin: weight, and mean R, G, B 0–255. */
  weight: number[];
  r: number[];
  g: number[];
  b: number[];
  /** Σ weight × linear light of R, G, B: the linear-light average. */
  linear: [number, number, number];
}

// Scratch, reused (every function here is synchronous), and left zeroed after each use: per bin, interleaved
// (one cache line), Σ weight, Σ weight × R, G, B; and the list of bins touched, in the order first seen.
const bins = new Float64Array(BIN_COUNT * 4);
const touched = new Int32Array(BIN_COUNT);
/** The linear sums and the count of touched bins of the last pass. */
const linearOut = new Float64Array(3);
let touchedCount = 0;
const LIN = SRGB8_TO_LINEAR;

/** Above this many occupied bins, bins are merged to one bit less per channel: the clustering's cost stays bounded. */
const MAX_BINS = 4096;
const MERGE_MASK = (1 << (BITS + GREEN_BITS)) | (1 << BITS) | 1;

function histogram(pixels: PixelImage, weights: Weights): ColourHistogram {
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

/**
 * The histogram of a grey image from its 256 level weights: one bin per level.
 */
export function greyHistogram(levels: Float64Array, total: number): ColourHistogram {
  let linear = 0;
  const out: ColourHistogram = { total, weight: [], r: [], g: [], b: [], linear: [0, 0, 0] };
  for (let v = 0; v < 256; v++) {
    const w = levels[v] as number;
    if (w === 0) continue;
    linear += w * (LIN[v] as number);
    out.weight.push(w);
    out.r.push(v);
    out.g.push(v);
    out.b.push(v);
  }
  out.linear = [linear, linear, linear];
  return out;
}

/**
 * The histogram from interleaved bin sums (`store`: Σ weight, Σ weight × R, G, B per bin) and the list of bins
 * touched; leaves `store` zeroed for the next image.
 */
export function histogramOfBins(
  store: Float64Array,
  touchedBins: Int32Array,
  total: number,
  linear: [number, number, number],
): ColourHistogram {
  // The bins in colour order (a function of the colours, not of where they are in the picture).
  const list = touchedBins.sort();
  let occupied = list.length;
  // Noise-like images fill up to all 65 536 bins: merge each 2×2×2 block of bins into one (the sums add up).
  if (occupied > MAX_BINS) {
    for (const bin of list) {
      const to = bin & ~MERGE_MASK; // each channel's lowest kept bit cleared
      if (to === bin) continue;
      for (let c = 0; c < 4; c++) {
        store[to * 4 + c] = (store[to * 4 + c] as number) + (store[bin * 4 + c] as number);
        store[bin * 4 + c] = 0;
      }
    }
    occupied = 0;
  }
  const out: ColourHistogram = { total, weight: [], r: [], g: [], b: [], linear };
  // Collect the non-empty bins (after a merge, the targets: each is touched or the target of one that was),
  // and leave the scratch zeroed for the next image.
  const collect = (bin: number) => {
    const w = store[bin * 4] as number;
    if (w === 0) return;
    out.weight.push(w);
    out.r.push((store[bin * 4 + 1] as number) / w);
    out.g.push((store[bin * 4 + 2] as number) / w);
    out.b.push((store[bin * 4 + 3] as number) / w);
    store.fill(0, bin * 4, bin * 4 + 4);
  };
  if (occupied > 0) for (const bin of list) collect(bin);
  else for (const bin of new Set(Array.from(list, (bin) => bin & ~MERGE_MASK))) collect(bin);
  return out;
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
  return averageOf(histogram(pixels, weights));
}

function averageOf(h: ColourHistogram): [number, number, number] | null {
  if (h.total === 0) return null;
  return h.linear.map((sum) => linearToSrgb8(sum / h.total)) as [number, number, number];
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
  return clusterBins(histogram(pixels, weights), n);
}

function clusterBins(h: ColourHistogram, n: number): Cluster[] {
  const count = h.weight.length;
  if (count === 0) return [];
  // The bins in CIELAB, from their mean colour.
  const L = new Float64Array(count);
  const A = new Float64Array(count);
  const B = new Float64Array(count);
  const W = Float64Array.from(h.weight);
  for (let i = 0; i < count; i++) {
    const lab = linearToLab(linearOf(h.r[i] as number), linearOf(h.g[i] as number), linearOf(h.b[i] as number));
    L[i] = lab[0];
    A[i] = lab[1];
    B[i] = lab[2];
  }
  const k = Math.min(n, count);
  const points = { L, A, B, W, count };
  // The restarts run on the heaviest bins only (a photo's long tail of near-empty bins changes which seeding wins
  // very little); the winner's centres then converge on every bin.
  const heavy = k > 1 ? heaviest(points, RESTART_BINS) : points;
  // Restart 0 seeds greedily; the others by k-means++ with a fixed-seed generator: the best of them is kept.
  let best: Run | null = null;
  for (let restart = 0; restart < (k > 1 ? RESTARTS : 1); restart++) {
    const run = lloyd(heavy, seeds(heavy, k, restart), RESTART_ITERATIONS);
    // Judged on every bin: the tail the restarts did not see can favour another seeding.
    run.sse = heavy === points ? run.sse : sseOf(points, run);
    if (!best || run.sse < best.sse) best = run;
  }
  const { cl, ca, cb, sw } = lloyd(points, best as Run, MAX_ITERATIONS);
  const clusters: Cluster[] = [];
  for (let c = 0; c < k; c++) {
    if ((sw[c] as number) > 0) {
      clusters.push({ lab: [cl[c] as number, ca[c] as number, cb[c] as number], weight: sw[c] as number });
    }
  }
  // Heaviest first; equal weights by lightness, then a, then b, so that the order is a function of the colours.
  return clusters.sort(
    (x, y) => y.weight - x.weight || x.lab[0] - y.lab[0] || x.lab[1] - y.lab[1] || x.lab[2] - y.lab[2],
  );
}

/**
 * How many seedings k-means runs from: 1 greedy, the rest k-means++; each runs RESTART_ITERATIONS, and the one
 * with the lowest error then runs to convergence.
 */
export const RESTARTS = 4;
const RESTART_ITERATIONS = 4;

/** Linear light of a fractional 8-bit value, interpolated in the table (the curve is straight to 10⁻⁵ there). */
function linearOf(v: number): number {
  const k = Math.min(254, Math.floor(v));
  const low = LIN[k] as number;
  return low + (v - k) * ((LIN[k + 1] as number) - low);
}

/** How many of the heaviest bins the restarts run on. */
const RESTART_BINS = 1024;

/** The `limit` heaviest points (ties by index: deterministic), or all of them when there are no more. */
function heaviest(points: Points, limit: number): Points {
  const { L, A, B, W, count } = points;
  if (count <= limit) return points;
  // One numeric sort of weight × 2^21 + (2^21 − 1 − index): heaviest last, ties by the lower index (weights are
  // integers below 2^32 and indices below 2^16, so the keys are exact).
  const keys = new Float64Array(count);
  for (let i = 0; i < count; i++) keys[i] = (W[i] as number) * 2_097_152 + (2_097_151 - i);
  keys.sort();
  const out = {
    L: new Float64Array(limit),
    A: new Float64Array(limit),
    B: new Float64Array(limit),
    W: new Float64Array(limit),
    count: limit,
  };
  for (let j = 0; j < limit; j++) {
    const i = 2_097_151 - ((keys[count - 1 - j] as number) % 2_097_152);
    out.L[j] = L[i] as number;
    out.A[j] = A[i] as number;
    out.B[j] = B[i] as number;
    out.W[j] = W[i] as number;
  }
  return out;
}

interface Points {
  L: Float64Array;
  A: Float64Array;
  B: Float64Array;
  W: Float64Array;
  count: number;
}

interface Run {
  cl: Float64Array;
  ca: Float64Array;
  cb: Float64Array;
  sw: Float64Array;
  /** Σ weight × squared distance of the bins to their centres. */
  sse: number;
}

/**
 * k seeds (bin indices). Restart 0: the heaviest bin, then each time the bin with the largest weight × squared
 * distance to its nearest seed. Others: k-means++ (the next seed drawn with probability ∝ weight × squared
 * distance), drawn from a xorshift generator seeded with the restart's number: the same every time.
 */
function seeds({ L, A, B, W, count }: Points, k: number, restart: number): number[] {
  let state = (0x9e3779b9 ^ (restart * 0x85ebca6b)) >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
  const nearest = new Float64Array(count).fill(Number.POSITIVE_INFINITY);
  let seed = 0;
  if (restart === 0) {
    for (let i = 1; i < count; i++) if ((W[i] as number) > (W[seed] as number)) seed = i;
  } else {
    let total = 0;
    for (let i = 0; i < count; i++) total += W[i] as number;
    let target = random() * total;
    for (seed = 0; seed < count - 1 && target >= (W[seed] as number); seed++) target -= W[seed] as number;
  }
  const chosen: number[] = [];
  while (chosen.length < k) {
    chosen.push(seed);
    let best = -1;
    let bestScore = -1;
    let sum = 0;
    for (let i = 0; i < count; i++) {
      const dl = (L[i] as number) - (L[seed] as number);
      const da = (A[i] as number) - (A[seed] as number);
      const db = (B[i] as number) - (B[seed] as number);
      const d = dl * dl + da * da + db * db;
      if (d < (nearest[i] as number)) nearest[i] = d;
      const score = (W[i] as number) * (nearest[i] as number);
      sum += score;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    if (bestScore <= 0) break; // fewer distinct colours than k
    if (restart > 0) {
      let target = random() * sum;
      for (best = 0; best < count - 1; best++) {
        target -= (W[best] as number) * (nearest[best] as number);
        if (target < 0) break;
      }
    }
    seed = best;
  }
  return chosen;
}

/** Σ weight × squared distance of every point to its nearest centre. */
function sseOf({ L, A, B, W, count }: Points, { cl, ca, cb }: Run): number {
  let sse = 0;
  for (let i = 0; i < count; i++) {
    let best = Number.POSITIVE_INFINITY;
    for (let c = 0; c < cl.length; c++) {
      const dl = (L[i] as number) - (cl[c] as number);
      const da = (A[i] as number) - (ca[c] as number);
      const db = (B[i] as number) - (cb[c] as number);
      const d = dl * dl + da * da + db * db;
      if (d < best) best = d;
    }
    sse += (W[i] as number) * best;
  }
  return sse;
}

/** Lloyd's iterations from seed bins or from centres, on the weighted bins, to convergence or `iterations`. */
function lloyd({ L, A, B, W, count }: Points, from: number[] | Run, iterations: number): Run {
  const fromBins = Array.isArray(from);
  const k = fromBins ? from.length : from.cl.length;
  const cl = fromBins ? Float64Array.from(from, (i) => L[i] as number) : from.cl;
  const ca = fromBins ? Float64Array.from(from, (i) => A[i] as number) : from.ca;
  const cb = fromBins ? Float64Array.from(from, (i) => B[i] as number) : from.cb;
  const label = new Int32Array(count).fill(-1);
  const sw = new Float64Array(k);
  const sl = new Float64Array(k);
  const sa = new Float64Array(k);
  const sb = new Float64Array(k);
  let sse = 0;
  for (let iteration = 0; iteration < iterations; iteration++) {
    let moved = 0;
    sse = 0;
    sw.fill(0);
    sl.fill(0);
    sa.fill(0);
    sb.fill(0);
    for (let i = 0; i < count; i++) {
      const l = L[i] as number;
      const a = A[i] as number;
      const b = B[i] as number;
      let bestC = 0;
      let bestD = Number.POSITIVE_INFINITY;
      for (let c = 0; c < k; c++) {
        const dl = l - (cl[c] as number);
        const da = a - (ca[c] as number);
        const db = b - (cb[c] as number);
        const d = dl * dl + da * da + db * db;
        if (d < bestD) {
          bestD = d;
          bestC = c;
        }
      }
      if (label[i] !== bestC) {
        label[i] = bestC;
        moved++;
      }
      const w = W[i] as number;
      sse += w * bestD;
      sw[bestC] = (sw[bestC] as number) + w;
      sl[bestC] = (sl[bestC] as number) + w * l;
      sa[bestC] = (sa[bestC] as number) + w * a;
      sb[bestC] = (sb[bestC] as number) + w * b;
    }
    if (moved === 0) break; // the centres are the means of this very assignment already
    for (let c = 0; c < k; c++) {
      const w = sw[c] as number;
      if (w === 0) continue; // an emptied cluster keeps its centre
      cl[c] = (sl[c] as number) / w;
      ca[c] = (sa[c] as number) / w;
      cb[c] = (sb[c] as number) / w;
    }
  }
  return { cl, ca, cb, sw, sse };
}

/** The 8-bit sRGB of a CIELAB colour, clamped to the gamut. */
export function labToSrgb8(lab: Lab): [number, number, number] {
  const [r, g, b] = labToLinear(lab);
  return [linearToSrgb8(r), linearToSrgb8(g), linearToSrgb8(b)];
}

/** `#RRGGBB`, upper case, of 8-bit values. */
export function hexOf([r, g, b]: readonly number[]): string {
  return `#${(((r as number) << 16) | ((g as number) << 8) | (b as number)).toString(16).padStart(6, "0").toUpperCase()}`;
}

/**
 * The `colors` result: the linear-light average and up to `n` dominant colours (1–10), each with its share of
 * the visible pixels (2 decimals), its nearest CSS named colour (CIEDE2000) and its family; `null` when nothing
 * is visible.
 *
 * @example
 * const px = { data: Uint8Array.of(255, 0, 0, 255, 0, 0, 255, 0, 0, 0, 0, 255), width: 4, height: 1, channels: 3 };
 * colors(px, null, 5);
 * // { average: { hex: "#E100BA"… }, dominant: [{ hex: "#FF0000", rgb: [255, 0, 0], percent: 75, name: "red", family: "red" },
 * //                                          { hex: "#0000FF", rgb: [0, 0, 255], percent: 25, name: "blue", family: "blue" }] }
 */
export function colors(pixels: PixelImage, weights: Weights, n: number): Colors | null {
  return colorsOfHistogram(histogram(pixels, weights), n);
}

/** The `colors` result from a colour histogram (see `colors`). */
export function colorsOfHistogram(h: ColourHistogram, n: number): Colors | null {
  const average = averageOf(h);
  if (!average) return null;
  const dominant = clusterBins(h, n).map(({ lab, weight }) => {
    const rgb = labToSrgb8(lab);
    const seen = srgbToLab(rgb[0], rgb[1], rgb[2]);
    return {
      hex: hexOf(rgb),
      rgb,
      percent: roundRatio(weight * 100, h.total, 2),
      name: nearestCssColour(seen),
      family: colourFamily(seen),
    };
  });
  return { average: { hex: hexOf(average), rgb: average }, dominant };
}
