/**
 * `hash`: two 64-bit perceptual fingerprints of the analysed image and the SHA-256 of its file.
 *
 * - perceptual (a DCT hash, the algorithm of Zauner, "Implementation and Benchmarking of Perceptual Image Hash
 *   Functions", 2010, as the `imagehash` Python library's `phash` computes it): the luma (2126 R + 7152 G +
 *   722 B) / 10 000 area-averaged down to 32 × 32, its 2-D DCT-II, the 8 × 8 lowest frequencies (DC included);
 *   a bit is 1 where the coefficient is above the median of those 64.
 * - difference (Krawetz, "Kind of Like That", 2013; `imagehash`'s `dhash`): the luma area-averaged down to 9 × 8
 *   (9 wide, 8 high); a bit is 1 where a cell is darker than its right-hand neighbour.
 *
 * Bits run row by row from the top left, the first the most significant, as 16 lowercase hex digits.
 * The area average is an exact box filter with fractional coverage: source pixel x covers [x, x + 1), target
 * cell j covers [j·W/n, (j + 1)·W/n), and each pixel counts in proportion to the overlap. Measured in units
 * of 1/n of a pixel the overlaps are integers, so the cells' sums are exact integers (below 2^53 for any image
 * of up to 13.8 million pixels): the difference hash compares them exactly. Transparent pixels are composited
 * onto white first (luma 255), so that what a transparent part hides never counts. Pure: typed arrays in, a
 * plain object out (node:crypto for the SHA-256 of the bytes).
 */
import { createHash } from "node:crypto";
import type { z } from "zod";
import type { InsightsV3Schemas } from "../../../contract/schemas.ts";
import {
  type PixelImage,
  LUMA_B as PLANE_B,
  LUMA_G as PLANE_G,
  LUMA_R as PLANE_R,
  LUMA_UNIT as PLANE_UNIT,
} from "./planes.ts";

export type Hash = z.infer<typeof InsightsV3Schemas.hash>;

/** The perceptual hash's downscaled side, in cells, and how many of the lowest frequencies each way it keeps. */
export const PERCEPTUAL_SIDE_CELLS = 32;
export const PERCEPTUAL_FREQUENCIES = 8;
/** The difference hash's grid: 9 cells wide (8 differences per row), 8 high. */
export const DIFFERENCE_WIDTH_CELLS = 9;
export const DIFFERENCE_HEIGHT_CELLS = 8;
/**
 * A DCT coefficient this close to zero (in 8-bit luma × cells) is zero: a flat or mirror-symmetric image has
 * coefficients that are exactly 0, which the float sums leave as ±1e-12 noise; without this their bits would
 * depend on the order of the additions. The float error of a coefficient is below 1e-9.
 */
export const DCT_ZERO_EPSILON = 1e-6;

// Local copies of planes.ts' weights for the hot loops: an imported binding is read from its module cell on every use.
const LUMA_R = PLANE_R;
const LUMA_G = PLANE_G;
const LUMA_B = PLANE_B;
/** 10 000 per level of 0–255: the luma plane's unit (planes.ts). */
const LUMA_UNIT = PLANE_UNIT;
const WHITE = 255;

/** A grid of `width` × `height` cells' exact luma sums, and the divisor that makes them 0–255 means. */
export interface LumaCells {
  /**
   * Row-major: each cell's integral of the luma over its area, a source pixel counting `width` × `height` units
   * of area (so overlaps are whole), the luma in the luma plane's integers (× 10 000, × 255 more with alpha).
   */
  sums: Float64Array;
  width: number;
  height: number;
  /** sum / unit is the cell's mean luma, 0–255. */
  unit: number;
}

/**
 * How the `t` cells of one axis of `n` pixels read a row's prefix sums P (P[i] = the sum of pixels 0 … i − 1): a
 * cell covers [j·n, (j + 1)·n) in units of 1/t px, pixel i covers [i·t, (i + 1)·t), so the cell's integral (in
 * those units) is t · (P[hi] − P[lo]) for its whole pixels lo … hi − 1, plus the parts of the pixels at either
 * end (`leftPixel`, `leftUnits`; `rightPixel`, `rightUnits`; 0 units where the cell starts or ends on a pixel
 * boundary). A cell inside one pixel (n < t) is all `leftUnits` of it.
 */
interface CellSpans {
  lo: Int32Array;
  hi: Int32Array;
  leftPixel: Int32Array;
  leftUnits: Float64Array;
  rightPixel: Int32Array;
  rightUnits: Float64Array;
}

function cellSpans(n: number, t: number): CellSpans {
  const spans: CellSpans = {
    lo: new Int32Array(t),
    hi: new Int32Array(t),
    leftPixel: new Int32Array(t),
    leftUnits: new Float64Array(t),
    rightPixel: new Int32Array(t),
    rightUnits: new Float64Array(t),
  };
  for (let j = 0; j < t; j++) {
    const start = j * n;
    const end = start + n;
    const lo = Math.ceil(start / t);
    const hi = Math.floor(end / t);
    if (lo > hi) {
      // Within pixel hi: no whole pixel, all of the cell's n units from that one.
      spans.lo[j] = hi;
      spans.hi[j] = hi;
      spans.leftPixel[j] = hi;
      spans.leftUnits[j] = n;
      continue;
    }
    spans.lo[j] = lo;
    spans.hi[j] = hi;
    if (start < lo * t) {
      spans.leftPixel[j] = lo - 1;
      spans.leftUnits[j] = lo * t - start;
    }
    if (end > hi * t) {
      spans.rightPixel[j] = hi;
      spans.rightUnits[j] = end - hi * t;
    }
  }
  return spans;
}

/** Per source row (or column) of an axis of `n` pixels over `t` cells: the cells it touches, and by how much. */
function coverageLists(n: number, t: number): Array<Array<[number, number]>> {
  const lists: Array<Array<[number, number]>> = [];
  for (let i = 0; i < n; i++) {
    const list: Array<[number, number]> = [];
    const start = i * t;
    const end = start + t;
    for (let j = Math.floor(start / n); j < t && j * n < end; j++) {
      const overlap = Math.min(end, (j + 1) * n) - Math.max(start, j * n);
      if (overlap > 0) list.push([j, overlap]);
    }
    lists.push(list);
  }
  return lists;
}

/**
 * The prefix sums of row `y`'s luma in `prefix` (prefix[x] = luma[0] + … + luma[x − 1]), in the
 * cells' unit: 2126 R + 7152 G + 722 B (10 000 × grey for 1–2 channels, or the caller's rec709 luma plane), and
 * with alpha a, composited onto white: a · luma + (255 − a) · 255 · 10 000. Exact integers.
 */
function lumaRow(pixels: PixelImage, luma: Uint32Array | null, y: number, prefix: Float64Array): void {
  const { data, width, channels } = pixels;
  const o0 = y * width * channels;
  if (channels === 2 || channels === 4) {
    const white = WHITE * LUMA_UNIT; // white's luma, × 10 000
    let sum = 0;
    for (let x = 0, o = o0; x < width; x++, o += channels) {
      const alpha = data[o + channels - 1] as number;
      const v =
        luma !== null
          ? (luma[y * width + x] as number)
          : channels === 4
            ? LUMA_R * (data[o] as number) + LUMA_G * (data[o + 1] as number) + LUMA_B * (data[o + 2] as number)
            : (data[o] as number) * LUMA_UNIT;
      const composited = alpha * v + (WHITE - alpha) * white;
      sum += composited;
      prefix[x + 1] = sum;
    }
  } else if (luma) prefixFromPlane(luma, y * width, width, prefix);
  else if (channels === 3) prefixFromRgb(data, o0, width, prefix);
  else prefixFromGrey(data, o0, width, prefix);
}

// One loop each, the common cases: the luma of a row and its running sum together.
function prefixFromRgb(data: Uint8Array, o0: number, width: number, prefix: Float64Array): void {
  let sum = 0;
  for (let x = 0, o = o0; x < width; x++, o += 3) {
    const v = LUMA_R * (data[o] as number) + LUMA_G * (data[o + 1] as number) + LUMA_B * (data[o + 2] as number);
    sum += v;
    prefix[x + 1] = sum;
  }
}

function prefixFromGrey(data: Uint8Array, o0: number, width: number, prefix: Float64Array): void {
  let sum = 0;
  for (let x = 0, o = o0; x < width; x++, o++) {
    const v = (data[o] as number) * LUMA_UNIT;
    sum += v;
    prefix[x + 1] = sum;
  }
}

function prefixFromPlane(luma: Uint32Array, i0: number, width: number, prefix: Float64Array): void {
  let sum = 0;
  for (let x = 0, i = i0; x < width; x++, i++) {
    const v = luma[i] as number;
    sum += v;
    prefix[x + 1] = sum;
  }
}

/** One row of cells from a row's prefix sums: each cell's integral over the row, in 1/t px. */
function rowCells(spans: CellSpans, t: number, prefix: Float64Array, out: Float64Array): void {
  const { lo, hi, leftPixel, leftUnits, rightPixel, rightUnits } = spans;
  for (let j = 0; j < t; j++) {
    const left = leftPixel[j] as number;
    const right = rightPixel[j] as number;
    // A pixel's luma is the difference of two prefix sums, exactly (integers below 2^53).
    out[j] =
      t * ((prefix[hi[j] as number] as number) - (prefix[lo[j] as number] as number)) +
      (leftUnits[j] as number) * ((prefix[left + 1] as number) - (prefix[left] as number)) +
      (rightUnits[j] as number) * ((prefix[right + 1] as number) - (prefix[right] as number));
  }
}

function checkPixels(pixels: PixelImage, what: string): void {
  const { data, width, height, channels } = pixels;
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) {
    throw new RangeError(`Expected 1 to 4 channels for ${what} but received ${channels}`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`Expected a positive integer width and height for ${what} but received ${width}×${height}`);
  }
  if (data.length < width * height * channels) {
    throw new RangeError(`Expected ${width * height * channels} bytes for ${what} but received ${data.length}`);
  }
}

/**
 * The exact area sums of the luma over `gridWidth` × `gridHeight` cells, for each grid asked for, in one pass
 * over the pixels: each row's luma and its prefix sums give the row's integral over every cell of a grid row
 * (a few operations per cell), which is added into the cell rows the pixel row covers. `luma`, when given, is
 * the rec709 luma plane (planes.ts `lumaPlane`, × 10 000) the caller already has.
 *
 * @example
 * const [cells] = lumaCells({ data: new Uint8Array(64 * 64).fill(100), width: 64, height: 64, channels: 1 }, [[32, 32]]);
 * cells.sums[0] / cells.unit; // 100
 */
export function lumaCells(
  pixels: PixelImage,
  grids: ReadonlyArray<readonly [number, number]>,
  luma: Uint32Array | null = null,
): LumaCells[] {
  checkPixels(pixels, "the pixels to hash");
  const { width, height, channels } = pixels;
  if (luma && luma.length < width * height) {
    throw new RangeError(`Expected a luma plane of ${width * height} values for the hash but received ${luma.length}`);
  }
  const unit = (channels === 2 || channels === 4 ? WHITE * LUMA_UNIT : LUMA_UNIT) * width * height;
  const prefix = new Float64Array(width + 1);
  const plans = grids.map(([tw, th]) => ({
    tw,
    th,
    sums: new Float64Array(tw * th),
    cellRow: new Float64Array(tw),
    columns: cellSpans(width, tw),
    rows: coverageLists(height, th),
  }));
  for (let y = 0; y < height; y++) {
    lumaRow(pixels, luma, y, prefix);
    for (const plan of plans) {
      const { cellRow, tw, sums } = plan;
      rowCells(plan.columns, tw, prefix, cellRow);
      for (const [cy, wy] of plan.rows[y] as Array<[number, number]>) {
        const base = cy * tw;
        for (let j = 0; j < tw; j++) sums[base + j] = (sums[base + j] as number) + wy * (cellRow[j] as number);
      }
    }
  }
  return plans.map(({ tw, th, sums }) => ({ sums, width: tw, height: th, unit }));
}

/** cos(π (2x + 1) u / 64) for x < 32, u < 8: the DCT-II's basis, row x, column u. */
const COSINES = (() => {
  const table = new Float64Array(PERCEPTUAL_SIDE_CELLS * PERCEPTUAL_FREQUENCIES);
  for (let x = 0; x < PERCEPTUAL_SIDE_CELLS; x++) {
    for (let u = 0; u < PERCEPTUAL_FREQUENCIES; u++) {
      table[x * PERCEPTUAL_FREQUENCIES + u] = Math.cos((Math.PI * (2 * x + 1) * u) / (2 * PERCEPTUAL_SIDE_CELLS));
    }
  }
  return table;
})();

/**
 * The 8 × 8 lowest DCT-II coefficients of the 32 × 32 cell means, unnormalised (Σ f · cos · cos, scipy's
 * `norm=None` up to a factor 4 for every coefficient alike: the median test is blind to a common factor, not
 * to the orthonormal scaling of row and column 0), row-major by vertical frequency v, then horizontal u.
 * Coefficients within DCT_ZERO_EPSILON of 0 are 0.
 *
 * @example
 * const [cells] = lumaCells(pixels, [[32, 32]]);
 * dctLowFrequencies(cells)[0]; // 1024 × the mean luma
 */
export function dctLowFrequencies(cells: LumaCells): Float64Array {
  const n = PERCEPTUAL_SIDE_CELLS;
  const k = PERCEPTUAL_FREQUENCIES;
  if (cells.width !== n || cells.height !== n) {
    throw new RangeError(`Expected ${n}×${n} cells for the DCT but received ${cells.width}×${cells.height}`);
  }
  const { sums, unit } = cells;
  const rows = new Float64Array(n * k); // rows[y][u] = Σx f(x, y) cos(x, u)
  for (let y = 0; y < n; y++) {
    for (let u = 0; u < k; u++) {
      let s = 0;
      for (let x = 0; x < n; x++) s += (sums[y * n + x] as number) * (COSINES[x * k + u] as number);
      rows[y * k + u] = s / unit;
    }
  }
  const out = new Float64Array(k * k);
  for (let v = 0; v < k; v++) {
    for (let u = 0; u < k; u++) {
      let s = 0;
      for (let y = 0; y < n; y++) s += (COSINES[y * k + v] as number) * (rows[y * k + u] as number);
      out[v * k + u] = Math.abs(s) < DCT_ZERO_EPSILON ? 0 : s;
    }
  }
  return out;
}

/** 64 bits (1 where `bit(i)`), the first the most significant, as 16 lowercase hex digits. */
function hex64(bit: (i: number) => boolean): string {
  let out = "";
  for (let nibble = 0; nibble < 16; nibble++) {
    let value = 0;
    for (let i = 0; i < 4; i++) value = (value << 1) | (bit(nibble * 4 + i) ? 1 : 0);
    out += value.toString(16);
  }
  return out;
}

/**
 * The perceptual (DCT) hash of 64 low-frequency coefficients: 1 where a coefficient is above their median
 * (the mean of the 32nd and 33rd smallest; a coefficient equal to it is 0).
 *
 * @example
 * perceptualBits(dctLowFrequencies(cells)); // "c3a1…", 16 hex digits
 */
export function perceptualBits(coefficients: Float64Array): string {
  const sorted = Float64Array.from(coefficients).sort();
  const half = coefficients.length / 2;
  const median = ((sorted[half - 1] as number) + (sorted[half] as number)) / 2;
  return hex64((i) => (coefficients[i] as number) > median);
}

/**
 * The difference hash of 9 × 8 cells: 1 where a cell's sum is below its right-hand neighbour's (exact).
 *
 * @example
 * differenceBits(lumaCells(pixels, [[9, 8]])[0]); // "0f0e…", 16 hex digits
 */
export function differenceBits(cells: LumaCells): string {
  const w = DIFFERENCE_WIDTH_CELLS;
  if (cells.width !== w || cells.height !== DIFFERENCE_HEIGHT_CELLS) {
    throw new RangeError(
      `Expected ${w}×${DIFFERENCE_HEIGHT_CELLS} cells for the difference hash but received ${cells.width}×${cells.height}`,
    );
  }
  const { sums } = cells;
  return hex64((i) => {
    const y = Math.floor(i / (w - 1));
    const x = i % (w - 1);
    return (sums[y * w + x] as number) < (sums[y * w + x + 1] as number);
  });
}

/**
 * SHA-256 of the file's bytes, 64 lowercase hex digits.
 *
 * @example
 * sha256Hex(new Uint8Array()); // "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The perceptual (DCT) hash alone, 16 hex digits. `pictureHash` makes both hashes in one pass, for little more.
 *
 * @example
 * perceptualHash({ data: new Uint8Array(64 * 64).fill(128), width: 64, height: 64, channels: 1 }); // "8000000000000000"
 */
export function perceptualHash(pixels: PixelImage, luma: Uint32Array | null = null): string {
  const [cells] = lumaCells(pixels, [[PERCEPTUAL_SIDE_CELLS, PERCEPTUAL_SIDE_CELLS]], luma) as [LumaCells];
  return perceptualBits(dctLowFrequencies(cells));
}

/**
 * The difference hash alone, 16 hex digits. `pictureHash` makes both hashes in one pass, for little more.
 *
 * @example
 * differenceHash({ data: new Uint8Array(64 * 64).fill(128), width: 64, height: 64, channels: 1 }); // "0000000000000000"
 */
export function differenceHash(pixels: PixelImage, luma: Uint32Array | null = null): string {
  const [cells] = lumaCells(pixels, [[DIFFERENCE_WIDTH_CELLS, DIFFERENCE_HEIGHT_CELLS]], luma) as [LumaCells];
  return differenceBits(cells);
}

/** The two hashes of the pixels, without the file's SHA-256. */
export type PictureHash = Omit<Hash, "sha256">;

/**
 * Both perceptual hashes of the analysed pixels, in one pass over them. `luma` is the rec709 luma plane
 * (planes.ts `lumaPlane`, × 10 000) when the caller already has it: the same hashes, a little sooner.
 *
 * @example
 * pictureHash({ data: new Uint8Array(64 * 64).fill(128), width: 64, height: 64, channels: 1 });
 * // { perceptual: "8000000000000000", difference: "0000000000000000" }
 */
export function pictureHash(pixels: PixelImage, luma: Uint32Array | null = null): PictureHash {
  const [dct, difference] = lumaCells(
    pixels,
    [
      [PERCEPTUAL_SIDE_CELLS, PERCEPTUAL_SIDE_CELLS],
      [DIFFERENCE_WIDTH_CELLS, DIFFERENCE_HEIGHT_CELLS],
    ],
    luma,
  ) as [LumaCells, LumaCells];
  return { perceptual: perceptualBits(dctLowFrequencies(dct)), difference: differenceBits(difference) };
}

/**
 * Both perceptual hashes of the analysed pixels and the SHA-256 of the file's bytes: the `hash` object.
 *
 * @example
 * imageHashes({ data: new Uint8Array(64 * 64).fill(128), width: 64, height: 64, channels: 1 }, bytes);
 * // { perceptual: "8000000000000000", difference: "0000000000000000", sha256: "…" }
 */
export function imageHashes(pixels: PixelImage, bytes: Uint8Array, luma: Uint32Array | null = null): Hash {
  return { ...pictureHash(pixels, luma), sha256: sha256Hex(bytes) };
}
