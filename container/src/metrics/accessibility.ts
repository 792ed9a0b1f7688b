/**
 * `accessibility`: the image as people with a dichromacy see it. Each of protanopia, deuteranopia and tritanopia
 * is simulated by G. M. Machado, M. M. Oliveira and L. A. F. Fernandes, "A Physiologically-based Model for
 * Simulation of Color Vision Deficiency", IEEE TVCG 15(6), 2009: a 3 × 3 matrix applied to LINEAR sRGB (decode
 * with the sRGB EOTF, multiply, clip to [0, 1], re-encode). The matrices are the paper's severity-1.0 ones, from its
 * supplementary table (http://www.inf.ufrgs.br/~oliveira/pubs_files/CVD_Simulation/CVD_Simulation.html), the same
 * numbers as colorspacious's `MACHADO_ET_AL_MATRICES[…][100]` (cvd.py), whose `cvd_space` ("sRGB1+CVD",
 * severity 100) this reproduces.
 *
 * For each deficiency:
 * - `dominant`: the dominant colours (colors.ts) simulated and rounded to 8-bit, in the same order and shares;
 * - `least_distinguishable`: the pair of simulated dominant colours with the smallest CIEDE2000 ΔE;
 * - `text_color`, `contrast_ratio`, `wcag_aa`: the overlay advice for normal vision (overlay.ts), and its WCAG 2
 *   contrast over the SIMULATED image's 10th–90th percentile of relative luminance, worst case, as overlay
 *   defines it, over a quarter of the analysed pixels (x and y even, as `placeholder` samples; every pixel when
 *   none of those is visible): within 0.025 of every pixel's ratio on the golden images, for a quarter of the
 *   cost. Black and white are fixed points of the three matrices (each row sums to 1 within 10⁻⁶), so the
 *   advised text itself looks the same to these viewers: only the picture behind it changes.
 *
 * The simulated luminance of a pixel is a weighted sum of its clipped simulated linear channels, so it is
 * counted per pixel: one pass for the three deficiencies, each channel a sum of three 256-entry tables, each
 * luminance into a 14-bit histogram (overlay.ts's Y14 resolution; nine rounded entries: within 4.5/16 383 of the
 * float luminance, the ratio within 0.006), most pixels in three pairs of table loads whatever clips, as the
 * clipping is known for their colour cell (see `SimulationTables`). Pure: typed arrays in, a plain object out.
 */
import type { z } from "zod";
import type { DeficiencySchema, DeficiencyViewSchema, InsightsV3Schemas } from "../../../contract/schemas.ts";
import { hexOf } from "./colors.ts";
import { round2 } from "./contrast.ts";
import { ciede2000, type Lab, srgbToLab } from "./lab.ts";
import { OVERLAY_HIGH_PERCENTILE, OVERLAY_LOW_PERCENTILE, WCAG_AA, Y14_MAX } from "./overlay.ts";
import type { PixelImage } from "./planes.ts";
import { linearToSrgb8, SRGB8_TO_LINEAR } from "./scales.ts";

export type Accessibility = z.infer<typeof InsightsV3Schemas.accessibility>;
export type DeficiencyView = z.infer<typeof DeficiencyViewSchema>;
export type Deficiency = z.infer<typeof DeficiencySchema>;
type Matrix = readonly [
  readonly [number, number, number],
  readonly [number, number, number],
  readonly [number, number, number],
];
/** A dominant colour as colors.ts gives it (only these fields are read). */
export interface DominantColour {
  hex: string;
  rgb: readonly number[];
  percent: number;
}
export type TextColour = "#000000" | "#FFFFFF";

/** Machado, Oliveira & Fernandes (2009), severity 1.0: simulated linear RGB = M · linear RGB. */
export const MACHADO_2009: Readonly<Record<Deficiency, Matrix>> = {
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};
export const DEFICIENCIES: readonly Deficiency[] = ["protanopia", "deuteranopia", "tritanopia"];

/**
 * A colour as a dichromat sees it: `rgb` (8-bit sRGB) decoded to linear light, multiplied by the deficiency's
 * matrix, clipped to [0, 1], re-encoded and rounded to 8-bit.
 *
 * @example
 * simulateColour("deuteranopia", [255, 0, 0]); // [163, 145, 0]
 * simulateColour("tritanopia", [255, 255, 255]); // [255, 255, 255]
 */
export function simulateColour(deficiency: Deficiency, rgb: readonly number[]): [number, number, number] {
  const [r, g, b] = rgb.map((v) => SRGB8_TO_LINEAR[v] as number) as [number, number, number];
  return MACHADO_2009[deficiency].map(([mr, mg, mb]) =>
    linearToSrgb8(Math.min(1, Math.max(0, mr * r + mg * g + mb * b))),
  ) as [number, number, number];
}

/** Two colours' indices (first < second) and their CIEDE2000 difference. */
export interface ColourPair {
  first: number;
  second: number;
  deltaE: number;
}

/**
 * The pair of colours with the smallest CIEDE2000 ΔE, the first such pair in order (first, then second) on a tie;
 * `null` with fewer than two colours.
 *
 * @example
 * leastDistinguishable([[255, 0, 0], [0, 0, 255], [250, 0, 0]]); // { first: 0, second: 2, deltaE: 1.1… }
 */
export function leastDistinguishable(colours: ReadonlyArray<readonly number[]>): ColourPair | null {
  const labs: Lab[] = colours.map(([r, g, b]) => srgbToLab(r as number, g as number, b as number));
  let best: ColourPair | null = null;
  for (let i = 0; i < labs.length; i++) {
    for (let j = i + 1; j < labs.length; j++) {
      const deltaE = ciede2000(labs[i] as Lab, labs[j] as Lab);
      if (best === null || deltaE < best.deltaE) best = { first: i, second: j, deltaE };
    }
  }
  return best;
}

/**
 * The WCAG 2 contrast of `textColor` at its worst over relative luminances `low`–`high` (0–1): black against
 * `low`, white against `high`; rounded down to 2 decimals as overlay.ts's `adviceFor` does, so that a shown 4.50
 * always passes AA.
 *
 * @example
 * worstContrast("#000000", 0.2, 0.9); // 5
 * worstContrast("#FFFFFF", 0.2, 0.9); // 1.1
 */
export function worstContrast(textColor: TextColour, low: number, high: number): number {
  const ratio = textColor === "#000000" ? (low + 0.05) / 0.05 : 1.05 / (high + 0.05);
  // A hair above the float's error, so that 4.5 computed as 4.4999999999 stays 4.5.
  return Math.floor(ratio * 100 + 1e-9) / 100;
}

/** WCAG 2 relative luminance weights of linear R, G, B (as overlay.ts's Y14 tables). */
const LUMINANCE_WEIGHTS = [0.2126, 0.7152, 0.0722] as const;
/** The colour grid of the clip states: 2⁵ cells per channel (8 levels each). */
const GRID_BITS = 5;
const GRID_SHIFT = 8 - GRID_BITS;
const GRID_CELLS = 1 << GRID_BITS;
/** Two deficiencies' luminances share an int32 of a table: the second one's unit. */
const PACK_UNIT = 65_536;
/** A cell's `cells` entry: its clip-state table's index above these bits, the channels to clip per pixel in them. */
const CHANNEL_BITS = 9;
const CHANNEL_MASK = (1 << CHANNEL_BITS) - 1;
/** One clip state's table: for each input channel and level, the packed pair and the third deficiency. */
const STATE_TABLE = 3 * 256 * 2;
/** A simulated channel's clip state over a cell: within [0, clip] throughout, ≤ 0 throughout, ≥ clip throughout. */
const FREE = 0;
const LOW = 1;
const HIGH = 2;
/** The Y14 histograms of the three deficiencies, one after the other in one array (one base for the loop). */
const HISTOGRAM = Y14_MAX + 1;

/**
 * The pass's tables for three matrices (one per deficiency). In Y14 units (overlay.ts: 1/16 383 of relative
 * luminance), `channel[j][v · 9 + 3d + c]` is output channel c's share of the luminance from input channel j at
 * level v, for deficiency d: round(w_c · M_d[c][j] · linear(v) · 16 383); `clip[c]`, round(w_c · 16 383), is where
 * channel c saturates. With the identity matrix they are overlay.ts's Y14 tables, and the pass is its histogram.
 *
 * A pixel's simulated luminance is the sum over c of its channel c (a sum of three entries) clipped to
 * [0, clip[c]]. Each entry is monotonic in its level, so over an 8 × 8 × 8 cell of colours a channel's extremes are
 * at the cell's corners: they say whether it stays within [0, clip], at or below 0, or at or above clip throughout
 * the cell (its clip state), or crosses a bound somewhere in it. Where the nine channels' states are known, a
 * pixel's three luminances are sums of three entries again: of the table for those states, which drops the channels
 * at or below 0 and counts those at or above clip as clip (added to input 0's entries). `states` holds one such
 * table per combination of states that some cell has (31 for Machado's matrices), each entry the first two
 * deficiencies packed in one int32 (the second in units of 65 536) beside the third: `states[i · 1536 + (j · 256 +
 * v) · 2 + {0, 1}]`. A channel that crosses a bound in its cell is taken as within bounds in the table and clipped
 * per pixel: `cells[cell]` is the cell's table index × 2⁹ + those channels (bit 3d + c). Most pixels cost three
 * pairs of loads for the three deficiencies. The result is exactly that of clipping every channel of every pixel
 * (accessibility.test.ts).
 */
export interface SimulationTables {
  channel: readonly [Int32Array, Int32Array, Int32Array];
  clip: Int32Array;
  states: Int32Array;
  cells: Uint32Array;
}

/**
 * The tables of the pass for `matrices` (see `SimulationTables`).
 *
 * @example
 * const tables = simulationTables([MACHADO_2009.protanopia, MACHADO_2009.deuteranopia, MACHADO_2009.tritanopia]);
 */
export function simulationTables(matrices: readonly [Matrix, Matrix, Matrix]): SimulationTables {
  const channel = [0, 1, 2].map((j) => {
    const table = new Int32Array(256 * 9);
    for (let v = 0; v < 256; v++) {
      for (let d = 0; d < 3; d++) {
        for (let c = 0; c < 3; c++) {
          const m = (matrices[d] as Matrix)[c] as readonly number[];
          table[v * 9 + d * 3 + c] = Math.round(
            (LUMINANCE_WEIGHTS[c] as number) * (m[j] as number) * (SRGB8_TO_LINEAR[v] as number) * Y14_MAX,
          );
        }
      }
    }
    return table;
  }) as [Int32Array, Int32Array, Int32Array];
  const clip = Int32Array.from({ length: 9 }, (_, k) => Math.round((LUMINANCE_WEIGHTS[k % 3] as number) * Y14_MAX));
  // Each cell's nine clip states (2 bits each, FREE for a channel that crosses a bound) and crossing channels.
  const cells = new Uint32Array(GRID_CELLS ** 3);
  const combinations = new Map<number, number>();
  const span = (1 << GRID_SHIFT) - 1;
  for (let cell = 0; cell < cells.length; cell++) {
    const first = [cell >> (2 * GRID_BITS), (cell >> GRID_BITS) & (GRID_CELLS - 1), cell & (GRID_CELLS - 1)].map(
      (level) => level << GRID_SHIFT,
    );
    let states = 0;
    let crossing = 0;
    for (let k = 0; k < 9; k++) {
      let low = 0;
      let high = 0;
      for (let j = 0; j < 3; j++) {
        const a = (channel[j] as Int32Array)[(first[j] as number) * 9 + k] as number;
        const b = (channel[j] as Int32Array)[((first[j] as number) + span) * 9 + k] as number;
        low += Math.min(a, b);
        high += Math.max(a, b);
      }
      const top = clip[k] as number;
      if (high <= 0) states |= LOW << (2 * k);
      else if (low >= top) states |= HIGH << (2 * k);
      else if (low < 0 || high > top) crossing |= 1 << k;
    }
    let index = combinations.get(states);
    if (index === undefined) {
      index = combinations.size;
      combinations.set(states, index);
    }
    cells[cell] = (index << CHANNEL_BITS) | crossing;
  }
  const states = new Int32Array(combinations.size * STATE_TABLE);
  for (const [combination, index] of combinations) {
    for (let j = 0; j < 3; j++) {
      for (let v = 0; v < 256; v++) {
        const y = [0, 0, 0];
        for (let k = 0; k < 9; k++) {
          const state = (combination >> (2 * k)) & 3;
          const d = Math.floor(k / 3);
          if (state === FREE) y[d] = (y[d] as number) + ((channel[j] as Int32Array)[v * 9 + k] as number);
          else if (state === HIGH && j === 0) y[d] = (y[d] as number) + (clip[k] as number);
        }
        const at = index * STATE_TABLE + (j * 256 + v) * 2;
        states[at] = (y[0] as number) + (y[1] as number) * PACK_UNIT;
        states[at + 1] = y[2] as number;
      }
    }
  }
  return { channel, clip, states, cells };
}

/** Made once when the module loads: 11–17 ms on the development machine, 314 KB (31 state tables and the cells). */
const MACHADO_TABLES = simulationTables([MACHADO_2009.protanopia, MACHADO_2009.deuteranopia, MACHADO_2009.tritanopia]);

/** The simulated Y14 of one colour (0–255 each) under deficiency `d`: every channel clipped. */
function simulatedY14(tables: SimulationTables, d: number, r: number, g: number, b: number): number {
  const [tr, tg, tb] = tables.channel;
  let sum = 0;
  for (let c = 0; c < 3; c++) {
    const k = d * 3 + c;
    const x = (tr[r * 9 + k] as number) + (tg[g * 9 + k] as number) + (tb[b * 9 + k] as number);
    const clip = tables.clip[k] as number;
    sum += x < 0 ? 0 : x > clip ? clip : x;
  }
  return sum;
}

/** The simulated luminance histograms of an image (Y14, 0–16 383), weighted by alpha. */
export interface SimulatedLuminance {
  /** Protanopia, deuteranopia, tritanopia: the weight of each Y14 value. */
  histograms: [Uint32Array, Uint32Array, Uint32Array];
  /** The total weight, in units of `unit`. */
  total: number;
  /** 255 when every pixel counted is opaque (then the percentiles are of unweighted pixels, as overlay's), else 1. */
  unit: number;
  /** The step between the pixels counted, in each direction: 2 for the quarter, 1 for every pixel. */
  step: number;
}

/**
 * The contrast's sample: every other pixel of every other row, from the first (x and y even), a quarter of the
 * analysed pixels, as `placeholder` samples its cells.
 */
export const SAMPLE_STEP_PX = 2;

/**
 * The three simulated images' histograms of 14-bit relative luminance (Y14, as overlay.ts counts it) of the pixels
 * at x and y multiples of `step` (SAMPLE_STEP_PX: a quarter; 1: every pixel), each weighted by its alpha (a pixel of
 * alpha w counts as w copies). When none of those is visible, every pixel is counted instead (`step` 1 in the
 * answer), so that an image with something to see always has an answer.
 *
 * @example
 * simulatedLuminance({ data: new Uint8Array([255, 0, 0]), width: 1, height: 1, channels: 3 });
 * // { histograms: [protanopia, deuteranopia, tritanopia], total: 1, unit: 1, step: 2 }
 */
export function simulatedLuminance(
  pixels: PixelImage,
  tables: SimulationTables = MACHADO_TABLES,
  step: number = SAMPLE_STEP_PX,
): SimulatedLuminance {
  const { data, width, height, channels } = pixels;
  const count = width * height;
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) {
    throw new RangeError(`Expected 1–4 channels for accessibility but received ${channels}`);
  }
  if (data.length < count * channels) {
    throw new RangeError(
      `Expected ${count * channels} bytes for accessibility's ${width}×${height}×${channels} pixels but received ${data.length}`,
    );
  }
  if (!Number.isInteger(step) || step < 1) {
    throw new RangeError(`Expected a whole number of pixels ≥ 1 for accessibility's step but received ${step}`);
  }
  const all = new Uint32Array(3 * HISTOGRAM);
  const histograms: [Uint32Array, Uint32Array, Uint32Array] = [
    all.subarray(0, HISTOGRAM),
    all.subarray(HISTOGRAM, 2 * HISTOGRAM),
    all.subarray(2 * HISTOGRAM),
  ];
  const hasAlpha = channels === 2 || channels === 4;
  const counted = Math.ceil(width / step) * Math.ceil(height / step);
  let weight = 0;
  if (channels < 3) {
    // Grey: the weight of each level, then one simulation per level.
    const levels = new Float64Array(256);
    for (let y = 0; y < height; y += step) {
      for (let o = y * width * channels, end = o + width * channels; o < end; o += step * channels) {
        const v = data[o] as number;
        levels[v] = (levels[v] as number) + (hasAlpha ? (data[o + 1] as number) : 1);
      }
    }
    for (let v = 0; v < 256; v++) {
      const w = levels[v] as number;
      if (w === 0) continue;
      weight += w;
      for (let d = 0; d < 3; d++) {
        const histogram = histograms[d] as Uint32Array;
        const y = simulatedY14(tables, d, v, v, v);
        histogram[y] = (histogram[y] as number) + w;
      }
    }
  } else {
    weight = countRgb(data, width, height, channels, step, tables, all);
  }
  // Nothing visible in the sample: every pixel (nothing visible at all: an empty answer, as with step 1).
  if (weight === 0 && step > 1) return simulatedLuminance(pixels, tables, 1);
  // An opaque RGBA image counts 255 per pixel: the same percentiles as counting 1 (as overlay does) once divided.
  const unit = hasAlpha && weight === 255 * counted ? 255 : 1;
  return { histograms, total: weight / unit, unit, step };
}

/**
 * The pass over the RGB(A) pixels at x and y multiples of `step`: each one's three simulated luminances into the
 * three histograms of `all` (see `SimulationTables`); returns the total weight. Every array the loop reads is a
 * local, and the three histograms are one array: each more array cost the loop a fifth more, measured. An opaque
 * pixel weighs 1 (RGB) or its alpha (RGBA, transparent ones skipped).
 */
function countRgb(
  data: Uint8Array,
  width: number,
  height: number,
  channels: number,
  step: number,
  tables: SimulationTables,
  all: Uint32Array,
): number {
  const { states, cells, clip } = tables;
  const [tr, tg, tb] = tables.channel;
  const stride = step * channels;
  const alpha = channels === 4;
  let weight = 0;
  for (let row = 0; row < height; row += step) {
    const first = row * width * channels;
    const end = first + width * channels;
    for (let o = first; o < end; o += stride) {
      const w = alpha ? (data[o + 3] as number) : 1;
      if (w === 0) continue;
      weight += w;
      const r = data[o] as number;
      const g = data[o + 1] as number;
      const b = data[o + 2] as number;
      const cell = cells[
        ((r >> GRID_SHIFT) << (2 * GRID_BITS)) | ((g >> GRID_SHIFT) << GRID_BITS) | (b >> GRID_SHIFT)
      ] as number;
      const base = (cell >>> CHANNEL_BITS) * STATE_TABLE;
      const ro = base + r * 2;
      const go = base + 512 + g * 2;
      const bo = base + 1024 + b * 2;
      // Deficiencies 0 and 1 unpacked: the low 16 bits signed, then the rest.
      const pair = (states[ro] as number) + (states[go] as number) + (states[bo] as number);
      let p = (pair << 16) >> 16;
      let d = (pair - p) >> 16;
      let t = (states[ro + 1] as number) + (states[go + 1] as number) + (states[bo + 1] as number);
      let crossing = cell & CHANNEL_MASK;
      while (crossing !== 0) {
        const k = 31 - Math.clz32(crossing & -crossing);
        crossing &= crossing - 1;
        const x = (tr[r * 9 + k] as number) + (tg[g * 9 + k] as number) + (tb[b * 9 + k] as number);
        const top = clip[k] as number;
        const excess = x < 0 ? x : x > top ? x - top : 0;
        if (k < 3) p -= excess;
        else if (k < 6) d -= excess;
        else t -= excess;
      }
      all[p] = (all[p] as number) + w;
      all[HISTOGRAM + d] = (all[HISTOGRAM + d] as number) + w;
      all[2 * HISTOGRAM + t] = (all[2 * HISTOGRAM + t] as number) + w;
    }
  }
  return weight;
}

/**
 * The 10th and 90th percentiles (overlay.ts's method: position p·(W − 1)/100, linear between copies) of a Y14
 * histogram whose counts are in units of `unit` weight, as relative luminance 0–1; one scan for both.
 *
 * @example
 * const { histograms, total, unit } = simulatedLuminance(pixels);
 * lowHighPercentiles(histograms[1], total, unit); // deuteranopia's [p10, p90], e.g. [0.0356, 0.6848]
 */
export function lowHighPercentiles(histogram: Uint32Array, total: number, unit: number): [number, number] {
  const positions = [OVERLAY_LOW_PERCENTILE, OVERLAY_HIGH_PERCENTILE].map((p) => (p * (total - 1)) / 100);
  // The weights below the four copies that bound the two positions, in increasing order.
  const ranks = positions.flatMap((position) => [Math.floor(position) * unit, Math.ceil(position) * unit]);
  const values = [0, 0, 0, 0];
  // One tight scan (a bin per step: a fifth of the cost of a scan with the four tests in it, measured).
  let v = 0;
  let seen = histogram[0] as number;
  for (let i = 0; i < 4; i++) {
    const rank = ranks[i] as number;
    while (seen <= rank && v < Y14_MAX) seen += histogram[++v] as number;
    values[i] = v;
  }
  return positions.map((position, t) => {
    const low = values[2 * t] as number;
    return (low + (position - Math.floor(position)) * ((values[2 * t + 1] as number) - low)) / Y14_MAX;
  }) as [number, number];
}

/**
 * The `accessibility` result: for each of protanopia, deuteranopia and tritanopia, the dominant colours as such a
 * viewer sees them, their least distinguishable pair, and how the normal-vision overlay advice (`textColor`) reads
 * over the simulated image.
 *
 * @example
 * accessibility(pixels, colors.dominant, overlay.text_color);
 * // { protanopia: { dominant: [{ hex: "#8E7F00", rgb: [142, 127, 0], percent: 60 }, …],
 * //                 least_distinguishable: { colors: ["#8E7F00", "#9A8A18"], delta_e: 3.12 },
 * //                 text_color: "#000000", contrast_ratio: 6.4, wcag_aa: true }, deuteranopia: {…}, tritanopia: {…} }
 */
export function accessibility(
  pixels: PixelImage,
  dominant: ReadonlyArray<DominantColour>,
  textColor: TextColour,
): Accessibility {
  const { histograms, total, unit } = simulatedLuminance(pixels);
  if (total === 0) throw new RangeError("Expected a visible pixel for accessibility but received none");
  const view = (deficiency: Deficiency, d: number): DeficiencyView => {
    const simulated = dominant.map(({ rgb, percent }) => {
      const colour = simulateColour(deficiency, rgb);
      return { hex: hexOf(colour), rgb: colour, percent };
    });
    const pair = leastDistinguishable(simulated.map(({ rgb }) => rgb));
    const [low, high] = lowHighPercentiles(histograms[d] as Uint32Array, total, unit);
    const contrast = worstContrast(textColor, low, high);
    return {
      dominant: simulated,
      least_distinguishable: pair && {
        colors: [
          (simulated[pair.first] as DeficiencyView["dominant"][number]).hex,
          (simulated[pair.second] as DeficiencyView["dominant"][number]).hex,
        ],
        delta_e: round2(pair.deltaE),
      },
      text_color: textColor,
      contrast_ratio: contrast,
      wcag_aa: contrast >= WCAG_AA,
    };
  };
  return {
    protanopia: view("protanopia", 0),
    deuteranopia: view("deuteranopia", 1),
    tritanopia: view("tritanopia", 2),
  };
}
