/**
 * `colors`: the average colour (the mean in linear light, re-encoded to sRGB) and up to N dominant colours,
 * clustered in CIELAB. Pure: typed arrays in, a plain object out.
 *
 * k-means on 173 000 pixels would cost tens of milliseconds, so one pass first counts the pixels into a weighted
 * colour histogram (5 bits of red and blue, 6 of green: 65 536 bins, of which a photo fills one to three
 * thousand, merged a bit coarser while more than 4 096; a grey image has one bin per level), keeping each bin's
 * mean colour; the clustering then runs on the bins, each weighing its pixels. It is deterministic (same bytes,
 * same answer): RESTARTS seedings (one greedy: the heaviest bin, then each time the bin with the largest weight ×
 * squared distance to its nearest seed; the others greedy k-means++ from a fixed-seed generator) run a few
 * Lloyd iterations (on coarser bins when there are many), and the best of them converges on every bin. The same
 * pass sums the linear light of every pixel, for the average. Measured against OpenCV's k-means (best of 20
 * k-means++ attempts, on every pixel): within 0.8 % of its squared CIELAB error on the reference samples for 3 to
 * 10 clusters (golden-v2.test.ts asserts 5 %); on 24 more photos, median 0.5 %, worst 12 % (docs/METRICS.md).
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
// The bin of (r, g, b) is ((r >> DROP_RB) << SHIFT_RED) | ((g >> DROP_GREEN) << BITS) | (b >> DROP_RB); the
// colour pass (container/wasm/passes.ts) lays its bins out the same way, and colour-pass.test.ts holds the two to
// the same results.

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
const marks = new Uint8Array(BIN_COUNT);
/** The bits a merge of `drop` levels clears: each channel's lowest `drop` kept bits. */
function mergeMask(drop: number): number {
  const low = (1 << drop) - 1;
  return (low << (BITS + GREEN_BITS)) | (low << BITS) | low;
}

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
  store: Float64Array | Uint32Array,
  touchedBins: Int32Array,
  total: number,
  linear: [number, number, number],
): ColourHistogram {
  // The bins in colour order (a function of the colours, not of where they are in the picture).
  let list = touchedBins.sort();
  let occupied = list.length;
  // Busy images fill many bins: merge each 2×2×2 block of bins into one (the sums add up), as often as needed.
  let drop = 0;
  while (occupied > MAX_BINS) {
    drop++;
    const mask = mergeMask(drop);
    occupied = 0;
    for (const bin of list) {
      const to = bin & ~mask;
      if (marks[to] === 0) {
        marks[to] = 1;
        occupied++;
      }
    }
    for (const bin of list) marks[bin & ~mask] = 0;
  }
  if (drop > 0) {
    const mask = mergeMask(drop);
    const targets: number[] = [];
    for (const bin of list) {
      const to = bin & ~mask;
      if (marks[to] === 0) {
        marks[to] = 1;
        targets.push(to);
      }
      if (to === bin) continue;
      for (let c = 0; c < 4; c++) {
        store[to * 4 + c] = (store[to * 4 + c] as number) + (store[bin * 4 + c] as number);
        store[bin * 4 + c] = 0;
      }
    }
    for (const to of targets) marks[to] = 0;
    targets.sort((x, y) => x - y);
    list = Int32Array.from(targets);
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
  for (const bin of list) collect(bin);
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

/**
 * How many seedings k-means runs from: 1 greedy, the rest greedy k-means++ (SEED_CANDIDATES drawn per seed, the
 * one that lowers the error most kept); each runs RESTART_ITERATIONS, and the one with the lowest error then runs
 * to convergence on every bin. A photo's k-means has local optima that a single seeding falls into (sample 3 at
 * N = 5: 22 % above the best). Measured against OpenCV's best of 20 attempts on 24 photos at 3, 5, 8 and 10
 * clusters (docs/METRICS.md), these eight seedings of four iterations leave 16 of the 96 cases more than 2 %
 * above it, where four k-means++ seedings of four iterations on the 1 024 heaviest bins left 31.
 */
export const RESTARTS = 8;
const RESTART_ITERATIONS = 4;
/** Candidates drawn for each k-means++ seed (scikit-learn draws 2 + ln k). */
const SEED_CANDIDATES = 3;
/**
 * With more bins than this, the seedings run on coarser bins (one more bit dropped per channel, each the weighted
 * CIELAB centroid of the bins it merges: a third as many points); the winner then converges on every bin.
 */
const COARSE_SEEDING_FROM = 1024;
/** Lloyd's iterations stop here if the assignment still moves (it converges in 3–15 on photos). */
const MAX_ITERATIONS = 100;

// The bins as points, reused (synchronous): per bin, interleaved, L*, a*, b* and its weight; each one's cluster
// and its squared distance to the nearest seed so far; the centres and their sums.
let points = new Float64Array(0);
let labels = new Int32Array(0);
let nearest = new Float64Array(0);
let upper = new Float64Array(0);
let lower = new Float64Array(0);
const MAX_K = 10;

function clusterBins(h: ColourHistogram, n: number): Cluster[] {
  const count = h.weight.length;
  if (count === 0) return [];
  if (points.length < count * 4) {
    points = new Float64Array(count * 4);
    labels = new Int32Array(count);
    nearest = new Float64Array(count);
  }
  // The bins in CIELAB, from their mean colour.
  for (let i = 0; i < count; i++) {
    const lab = linearToLab(linearOf(h.r[i] as number), linearOf(h.g[i] as number), linearOf(h.b[i] as number));
    points[4 * i] = lab[0];
    points[4 * i + 1] = lab[1];
    points[4 * i + 2] = lab[2];
    points[4 * i + 3] = h.weight[i] as number;
  }
  const k = Math.min(n, count, MAX_K);
  // The seedings run a few iterations each, on coarser bins when there are many; the best then converges on every
  // bin.
  const coarse = count > COARSE_SEEDING_FROM && coarsen(h, count) >= 4 * k;
  const runOn = coarse ? coarsePoints : points;
  const runCount = coarse ? coarseCount : count;
  let best: Float64Array | null = null;
  let bestSse = Number.POSITIVE_INFINITY;
  for (let restart = 0; restart < (k > 1 ? RESTARTS : 1); restart++) {
    const centres = seeds(runOn, runCount, k, restart);
    const sse = lloyd(runOn, runCount, centres, RESTART_ITERATIONS);
    if (sse < bestSse) {
      bestSse = sse;
      best = centres;
    }
  }
  const centres = best as Float64Array;
  lloyd(points, count, centres, MAX_ITERATIONS);
  // Each cluster's weight, from the final assignment.
  const found = centres.length / 3;
  const weight = new Float64Array(found);
  for (let i = 0; i < count; i++) {
    const c = labels[i] as number;
    weight[c] = (weight[c] as number) + (points[4 * i + 3] as number);
  }
  const clusters: Cluster[] = [];
  for (let c = 0; c < found; c++) {
    if ((weight[c] as number) > 0) {
      clusters.push({
        lab: [centres[3 * c] as number, centres[3 * c + 1] as number, centres[3 * c + 2] as number],
        weight: weight[c] as number,
      });
    }
  }
  // Heaviest first; equal weights by lightness, then a, then b, so that the order is a function of the colours.
  return clusters.sort(
    (x, y) => y.weight - x.weight || x.lab[0] - y.lab[0] || x.lab[1] - y.lab[1] || x.lab[2] - y.lab[2],
  );
}

let coarsePoints = new Float64Array(0);
let coarseCount = 0;
const coarseIndex = new Int32Array(1 << (3 * BITS)).fill(-1);

/**
 * The bins merged one more bit per channel (by their mean colour), each at the weighted CIELAB centroid of the
 * bins it merges, into `coarsePoints`; returns how many.
 */
function coarsen(h: ColourHistogram, count: number): number {
  if (coarsePoints.length < count * 4) coarsePoints = new Float64Array(count * 4);
  coarsePoints.fill(0, 0, count * 4);
  const keys: number[] = [];
  for (let i = 0; i < count; i++) {
    const key =
      ((Math.floor(h.r[i] as number) >> (DROP_RB + 1)) << (2 * BITS - 1)) |
      ((Math.floor(h.g[i] as number) >> (DROP_GREEN + 1)) << (BITS - 1)) |
      (Math.floor(h.b[i] as number) >> (DROP_RB + 1));
    let j = coarseIndex[key] as number;
    if (j < 0) {
      j = keys.length;
      coarseIndex[key] = j;
      keys.push(key);
    }
    const w = points[4 * i + 3] as number;
    for (let c = 0; c < 3; c++) {
      coarsePoints[4 * j + c] = (coarsePoints[4 * j + c] as number) + w * (points[4 * i + c] as number);
    }
    coarsePoints[4 * j + 3] = (coarsePoints[4 * j + 3] as number) + w;
  }
  for (const key of keys) coarseIndex[key] = -1;
  for (let j = 0; j < keys.length; j++) {
    const w = coarsePoints[4 * j + 3] as number;
    for (let c = 0; c < 3; c++) coarsePoints[4 * j + c] = (coarsePoints[4 * j + c] as number) / w;
  }
  coarseCount = keys.length;
  return coarseCount;
}

/** Linear light of a fractional 8-bit value, interpolated in the table (the curve is straight to 10⁻⁵ there). */
function linearOf(v: number): number {
  const k = Math.min(254, Math.floor(v));
  const low = LIN[k] as number;
  return low + (v - k) * ((LIN[k + 1] as number) - low);
}

/**
 * Up to k seed centres (L*, a*, b* each; fewer when the bins hold fewer distinct colours). Restart 0: the
 * heaviest bin, then each time the bin with the largest weight × squared distance to its nearest seed. Others:
 * k-means++ (the next seed drawn with probability ∝ weight × squared distance), drawn from a xorshift generator
 * seeded with the restart's number: the same every time.
 */
function seeds(p: Float64Array, count: number, k: number, restart: number): Float64Array {
  let state = (0x9e3779b9 ^ (restart * 0x85ebca6b)) >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
  nearest.fill(Number.POSITIVE_INFINITY, 0, count);
  let seed = 0;
  if (restart === 0) {
    for (let i = 1; i < count; i++) if ((p[4 * i + 3] as number) > (p[4 * seed + 3] as number)) seed = i;
  } else {
    let total = 0;
    for (let i = 0; i < count; i++) total += p[4 * i + 3] as number;
    let target = random() * total;
    for (seed = 0; seed < count - 1 && target >= (p[4 * seed + 3] as number); seed++) {
      target -= p[4 * seed + 3] as number;
    }
  }
  const centres = new Float64Array(3 * k);
  let chosen = 0;
  while (chosen < k) {
    const l = p[4 * seed] as number;
    const a = p[4 * seed + 1] as number;
    const b = p[4 * seed + 2] as number;
    centres[3 * chosen] = l;
    centres[3 * chosen + 1] = a;
    centres[3 * chosen + 2] = b;
    chosen++;
    if (chosen === k) break;
    let best = -1;
    let bestScore = -1;
    let sum = 0;
    for (let i = 0, q = 0; i < count; i++, q += 4) {
      const dl = (p[q] as number) - l;
      const da = (p[q + 1] as number) - a;
      const db = (p[q + 2] as number) - b;
      const d = Math.min(nearest[i] as number, dl * dl + da * da + db * db);
      nearest[i] = d;
      const score = (p[q + 3] as number) * d;
      sum += score;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    if (bestScore <= 0) break; // fewer distinct colours than k
    if (restart > 0) {
      // Greedy k-means++: of SEED_CANDIDATES drawn with probability ∝ weight × squared distance, the one that leaves
      // the lowest Σ weight × squared distance to the nearest seed.
      let lowest = Number.POSITIVE_INFINITY;
      for (let t = 0; t < SEED_CANDIDATES; t++) {
        let target = random() * sum;
        let candidate = 0;
        for (; candidate < count - 1; candidate++) {
          target -= (p[4 * candidate + 3] as number) * (nearest[candidate] as number);
          if (target < 0) break;
        }
        const cl = p[4 * candidate] as number;
        const ca = p[4 * candidate + 1] as number;
        const cb = p[4 * candidate + 2] as number;
        let potential = 0;
        for (let i = 0, q = 0; i < count; i++, q += 4) {
          const dl = (p[q] as number) - cl;
          const da = (p[q + 1] as number) - ca;
          const db = (p[q + 2] as number) - cb;
          potential += (p[q + 3] as number) * Math.min(nearest[i] as number, dl * dl + da * da + db * db);
        }
        if (potential < lowest) {
          lowest = potential;
          best = candidate;
        }
      }
    }
    seed = best;
  }
  return chosen < k ? centres.slice(0, 3 * chosen) : centres;
}

/**
 * Lloyd's iterations on the weighted bins from `centres` (updated in place: after each assignment, every centre
 * moves to the weighted mean of its bins), until no bin changes cluster or after `iterations` assignments;
 * `labels` holds the last assignment. Returns its error about the final centres, Σ weight × squared distance.
 *
 * The assignments are exactly Lloyd's, found faster by Hamerly's bounds (G. Hamerly, "Making k-means even
 * faster", SDM 2010): each bin keeps an upper bound on the distance to its centre and a lower bound on the
 * distance to any other; centres that move by δ loosen them by δ, and a bin whose upper bound stays below both
 * its lower bound and half its centre's distance to the nearest other centre cannot change cluster, so it is
 * not measured. After the first iterations nearly every bin is skipped.
 */
function lloyd(p: Float64Array, count: number, centres: Float64Array, iterations: number): number {
  const k = centres.length / 3;
  const sums = new Float64Array(4 * k);
  const shift = new Float64Array(k);
  const half = new Float64Array(k);
  if (upper.length < count) {
    upper = new Float64Array(points.length / 4);
    lower = new Float64Array(points.length / 4);
  }
  // The first assignment measures every bin against every centre.
  let squares = 0;
  for (let i = 0, q = 0; i < count; i++, q += 4) {
    const l = p[q] as number;
    const a = p[q + 1] as number;
    const b = p[q + 2] as number;
    const w = p[q + 3] as number;
    let bestC = 0;
    let bestD = Number.POSITIVE_INFINITY;
    let secondD = Number.POSITIVE_INFINITY;
    for (let c = 0, r = 0; c < k; c++, r += 3) {
      const dl = l - (centres[r] as number);
      const da = a - (centres[r + 1] as number);
      const db = b - (centres[r + 2] as number);
      const d = dl * dl + da * da + db * db;
      if (d < bestD) {
        secondD = bestD;
        bestD = d;
        bestC = c;
      } else if (d < secondD) secondD = d;
    }
    labels[i] = bestC;
    upper[i] = Math.sqrt(bestD);
    lower[i] = Math.sqrt(secondD);
    squares += w * (l * l + a * a + b * b);
    const s = 4 * bestC;
    sums[s] = (sums[s] as number) + w;
    sums[s + 1] = (sums[s + 1] as number) + w * l;
    sums[s + 2] = (sums[s + 2] as number) + w * a;
    sums[s + 3] = (sums[s + 3] as number) + w * b;
  }
  for (let iteration = 1; ; iteration++) {
    // The centres move to their means; how far each moved loosens the bounds.
    let farthest = 0;
    for (let c = 0; c < k; c++) {
      const w = sums[4 * c] as number;
      shift[c] = 0;
      if (w === 0) continue; // an emptied cluster keeps its centre
      const l = (sums[4 * c + 1] as number) / w;
      const a = (sums[4 * c + 2] as number) / w;
      const b = (sums[4 * c + 3] as number) / w;
      const dl = l - (centres[3 * c] as number);
      const da = a - (centres[3 * c + 1] as number);
      const db = b - (centres[3 * c + 2] as number);
      shift[c] = Math.sqrt(dl * dl + da * da + db * db);
      farthest = Math.max(farthest, shift[c] as number);
      centres[3 * c] = l;
      centres[3 * c + 1] = a;
      centres[3 * c + 2] = b;
    }
    if (iteration >= iterations || farthest === 0) break;
    for (let c = 0; c < k; c++) {
      let nearestOther = Number.POSITIVE_INFINITY;
      for (let o = 0; o < k; o++) {
        if (o === c) continue;
        const dl = (centres[3 * c] as number) - (centres[3 * o] as number);
        const da = (centres[3 * c + 1] as number) - (centres[3 * o + 1] as number);
        const db = (centres[3 * c + 2] as number) - (centres[3 * o + 2] as number);
        nearestOther = Math.min(nearestOther, dl * dl + da * da + db * db);
      }
      half[c] = Math.sqrt(nearestOther) / 2;
    }
    let changed = 0;
    for (let i = 0, q = 0; i < count; i++, q += 4) {
      const own = labels[i] as number;
      let u = (upper[i] as number) + (shift[own] as number);
      const lo = (lower[i] as number) - farthest;
      const bound = Math.max(half[own] as number, lo);
      upper[i] = u;
      lower[i] = lo;
      if (u <= bound) continue;
      const l = p[q] as number;
      const a = p[q + 1] as number;
      const b = p[q + 2] as number;
      {
        const dl = l - (centres[3 * own] as number);
        const da = a - (centres[3 * own + 1] as number);
        const db = b - (centres[3 * own + 2] as number);
        u = Math.sqrt(dl * dl + da * da + db * db);
        upper[i] = u;
        if (u <= bound) continue;
      }
      let bestC = 0;
      let bestD = Number.POSITIVE_INFINITY;
      let secondD = Number.POSITIVE_INFINITY;
      for (let c = 0, r = 0; c < k; c++, r += 3) {
        const dl = l - (centres[r] as number);
        const da = a - (centres[r + 1] as number);
        const db = b - (centres[r + 2] as number);
        const d = dl * dl + da * da + db * db;
        if (d < bestD) {
          secondD = bestD;
          bestD = d;
          bestC = c;
        } else if (d < secondD) secondD = d;
      }
      upper[i] = Math.sqrt(bestD);
      lower[i] = Math.sqrt(secondD);
      if (bestC === own) continue;
      labels[i] = bestC;
      changed++;
      const w = p[q + 3] as number;
      const from = 4 * own;
      const to = 4 * bestC;
      sums[from] = (sums[from] as number) - w;
      sums[from + 1] = (sums[from + 1] as number) - w * l;
      sums[from + 2] = (sums[from + 2] as number) - w * a;
      sums[from + 3] = (sums[from + 3] as number) - w * b;
      sums[to] = (sums[to] as number) + w;
      sums[to + 1] = (sums[to + 1] as number) + w * l;
      sums[to + 2] = (sums[to + 2] as number) + w * a;
      sums[to + 3] = (sums[to + 3] as number) + w * b;
    }
    if (changed === 0) break; // the centres are the means of this very assignment already
  }
  // Σ w·|p − μ|² over each cluster = Σ w·|p|² − |Σ w·p|² / Σ w.
  let error = squares;
  for (let c = 0; c < k; c++) {
    const w = sums[4 * c] as number;
    if (w <= 0) continue;
    const l = sums[4 * c + 1] as number;
    const a = sums[4 * c + 2] as number;
    const b = sums[4 * c + 3] as number;
    error -= (l * l + a * a + b * b) / w;
  }
  return Math.max(0, error);
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
