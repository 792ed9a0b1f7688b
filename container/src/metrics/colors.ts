/**
 * `colors`: the average colour (the mean in linear light, re-encoded to sRGB) and up to N dominant colours,
 * clustered in CIELAB (kmeans.ts), each named. Pure: arrays in, a plain object out.
 *
 * k-means on 173 000 pixels would cost tens of milliseconds, so the colour pass (colour-pass.ts, in WebAssembly)
 * first counts the pixels into a weighted colour histogram (5 bits of red and blue, 6 of green: 65 536 bins, of
 * which a photo fills one to three thousand; a grey image has one bin per level), keeping each bin's sums and
 * the linear light of every pixel, for the average. Here the bins become the histogram the clustering runs on,
 * merged a bit coarser while more than 4 096, each bin weighing its pixels.
 */
import type { z } from "zod";
import type { InsightsSchemas } from "../../../contract/schemas.ts";
import { colourFamily } from "./colour-family.ts";
import { nearestCssColour } from "./css-colours.ts";
import { roundRatio } from "./exact.ts";
import { clusterColours } from "./kmeans.ts";
import { type Lab, labToLinear, srgbToLab } from "./lab.ts";
import { linearToSrgb8, SRGB8_TO_LINEAR } from "./scales.ts";

export type Colors = z.infer<typeof InsightsSchemas.colors>;

/** Bits kept per channel in the colour histogram. */
const BITS = 5;
/** Green keeps one bit more: it carries most of the lightness, the axis CIELAB stretches most. */
const GREEN_BITS = 6;
const BIN_COUNT = 1 << (2 * BITS + GREEN_BITS);
// The bin of (r, g, b) is ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3): the colour pass (container/wasm/passes.ts)
// lays its bins out so, and colour-pass.test.ts holds it to the JavaScript reference (container/test/reference/).

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

const LIN = SRGB8_TO_LINEAR;

/** Above this many occupied bins, bins are merged to one bit less per channel: the clustering's cost stays bounded. */
const MAX_BINS = 4096;
const marks = new Uint8Array(BIN_COUNT);
/** The bits a merge of `drop` levels clears: each channel's lowest `drop` kept bits. */
function mergeMask(drop: number): number {
  const low = (1 << drop) - 1;
  return (low << (BITS + GREEN_BITS)) | (low << BITS) | low;
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

/**
 * The average colour, in linear light, as 8-bit sRGB; `null` when nothing is visible.
 *
 * @example
 * // Black and white average to 50 % light: #BCBCBC, not #808080.
 * averageOf(greyHistogram(Float64Array.from({ length: 256 }, (_, v) => (v === 0 || v === 255 ? 1 : 0)), 2)); // [188, 188, 188]
 */
export function averageOf(h: ColourHistogram): [number, number, number] | null {
  if (h.total === 0) return null;
  return h.linear.map((sum) => linearToSrgb8(sum / h.total)) as [number, number, number];
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
 * The `colors` result from a colour histogram: the linear-light average and up to `n` dominant colours (1–10),
 * each with its share of the visible pixels (2 decimals), its nearest CSS named colour (CIEDE2000) and its
 * family; `null` when nothing is visible.
 *
 * @example
 * // Three pixels of red, one of blue (two bins).
 * colorsOfHistogram({ total: 4, weight: [3, 1], r: [255, 0], g: [0, 0], b: [0, 255], linear: [3, 0, 1] }, 5);
 * // { average: { hex: "#E10089"… }, dominant: [{ hex: "#FF0000", rgb: [255, 0, 0], percent: 75, name: "red", family: "red" },
 * //                                          { hex: "#0000FF", rgb: [0, 0, 255], percent: 25, name: "blue", family: "blue" }] }
 */
export function colorsOfHistogram(h: ColourHistogram, n: number): Colors | null {
  const average = averageOf(h);
  if (!average) return null;
  const dominant = clusterColours(h, n).map(({ lab, weight }) => {
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
