/**
 * `crop`: for each aspect ratio asked for, the crop box a thumbnail should keep, in the oriented image's pixels,
 * and its share of the image's detail.
 *
 * The box is the LARGEST of that ratio that fits (the image's full height, or its full width): a crop hint for a
 * thumbnail keeps as much of the picture as it can, and only slides the box along the one axis left free (as
 * Google Vision's `cropHints` and thumbor's smart crop do; a zoomed-in crop is another feature). Along that axis it
 * takes the position holding the most **detail**: the L1 Sobel gradient magnitude |Gx| + |Gy| (I. Sobel and
 * G. Feldman, "A 3×3 isotropic gradient operator for image processing", 1968; the "edge energy" that sharp's
 * `attention` and `entropy` strategies approximate) of the luma binned 2×2, each analysed pixel taking its bin's
 * detail weighted by its own alpha. Ties (a flat image, or a small subject that several positions hold whole) go
 * to the most centred position.
 *
 * Why 2×2 bins and |Gx| + |Gy|: cost (issue #23's budget). The Sobel pass then reads a quarter of the pixels and
 * takes no square root: about 0.8–1.1× the cost of making the luma plane, against 3× for ⌊√(Gx² + Gy²)⌋ on every
 * pixel (and 1.6–2.2× for |Gx| + |Gy| on every pixel). The offsets are still chosen on the analysed grid; the bins
 * place detail to 2 analysed px and the kernel reaches 2 px each side instead of 1. What changes more is the
 * measure: the bins average away 1-px texture and noise, so a box leans a little more to edges and structure of
 * 2–4 px than to grain. On the reference samples and 24 crops of sample 3 (232 boxes that can move), 168 boxes
 * are within 1 analysed px of the per-pixel √ definition's, and they hold a median 0.02 and at most 1.7 points
 * less of that definition's detail than its own boxes (docs/METRICS.md).
 *
 * Why edge energy and not entropy: a pixel's gradient is additive over a box, so one pass makes the detail plane's
 * column and row sums and every position of every ratio then costs O(1) (a window's entropy is not a sum: each
 * position needs its own histogram); it is exact integer arithmetic, so the golden test compares boxes exactly;
 * and it looks where the picture is. A clear or softly graded sky, a bokeh background or a studio backdrop has
 * almost no gradient, so the box leaves it for the horizon, the face, the product; entropy counts grey levels
 * without their place, and a noisy sky or a smooth gradient can outscore a subject. Its limit is the same as
 * every saliency-free measure's: texture (foliage, gravel, text) draws the box as much as a subject does.
 *
 * Pure: pixels in, a plain object out.
 */
import type { z } from "zod";
import type { InsightsV3Schemas } from "../../../contract/schemas.ts";
import { roundRatio } from "./exact.ts";
import { alphaPlane, lumaPlane, type PixelImage, type Weights } from "./planes.ts";

export type Crop = z.infer<typeof InsightsV3Schemas.crop>;
export type CropBox = Crop[string];

/** A `W:H` ratio's sides in hundredths (contract/analysis.ts allows at most 2 decimals): exact integers. */
export const RATIO_SIDE_UNIT = 100;
/** `detail_percent`'s decimals. */
export const DETAIL_PERCENT_DECIMALS = 1;

/** The side of the square bins whose luma the detail is measured on, in analysed pixels (the code's pairs assume 2). */
export const DETAIL_BIN_PX = 2;

/**
 * The detail of the analysed image, summed per column and per row. The luma plane (lumaPlane's exact units,
 * ×10 000) is summed over 2×2 bins (an odd last column or row is replicated to fill its bins); on that binned
 * plane, each bin's detail is |Gx| + |Gy|, the L1 magnitude of its 3×3 Sobel gradients (edges replicated, as
 * OpenCV's BORDER_REPLICATE); each analysed pixel takes its bin's detail × its alpha (1 for every pixel of an
 * opaque image). Every value is an exact integer: a bin's detail is at most 2 × 4 × 4 × 2 550 000 < 2^27, and
 * every sum stays below 2^53 (512 × 512 × 81 600 000 × 255 < 5.6 × 10^15).
 */
export interface DetailProfile {
  /** Σ detail of each column, `width` entries. */
  columns: Float64Array;
  /** Σ detail of each row, `height` entries. */
  rows: Float64Array;
  /** Σ detail of the image: 0 when it is flat, or wholly transparent. */
  total: number;
  width: number;
  height: number;
}

/** Bin row `j` of the luma plane: the sums of 2×2 pixels (an odd last column or row replicated), in `out`. */
function binRow(luma: Uint32Array, width: number, height: number, j: number, out: Int32Array): void {
  const r0 = 2 * j * width;
  const r1 = 2 * j + 1 < height ? r0 + width : r0;
  const pairs = width >> 1;
  for (let i = 0, x = 0; i < pairs; i++, x += 2) {
    out[i] =
      (luma[r0 + x] as number) + (luma[r0 + x + 1] as number) + (luma[r1 + x] as number) + (luma[r1 + x + 1] as number);
  }
  if (width & 1) out[pairs] = 2 * ((luma[r0 + width - 1] as number) + (luma[r1 + width - 1] as number));
}

/**
 * The detail profile of the analysed pixels (see `DetailProfile`): one pass over the luma plane, then the
 * Sobel pass over the quarter-size binned plane, three bin rows at a time. A caller that has the luma and alpha
 * planes (planes.ts) passes them on.
 *
 * @example
 * // A vertical step 0 | 255 on 8×2: bins 0, 0, 10 200 000, 10 200 000; the middle two see Gx = 4 × 10 200 000,
 * // and each of their four columns' two pixels takes it.
 * detailProfile({ data: Uint8Array.of(0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 255, 255, 255, 255), width: 8, height: 2, channels: 1 });
 * // { columns: [0, 0, 81_600_000, 81_600_000, 81_600_000, 81_600_000, 0, 0], rows: [163_200_000, 163_200_000], total: 326_400_000, … }
 */
export function detailProfile(
  pixels: PixelImage,
  luma: Uint32Array = lumaPlane(pixels),
  weights: Weights = alphaPlane(pixels),
): DetailProfile {
  const { width, height } = pixels;
  const binsWide = (width + 1) >> 1;
  const binsHigh = (height + 1) >> 1;
  const columns = new Float64Array(width);
  const rows = new Float64Array(height);
  // Σ over a bin column of its detail × the analysed rows it holds (the opaque path's column sums).
  const binColumns = new Float64Array(binsWide);
  const detail = new Int32Array(binsWide);
  let above = new Int32Array(binsWide);
  let here = new Int32Array(binsWide);
  let below = new Int32Array(binsWide);
  binRow(luma, width, height, 0, here);
  above.set(here);
  if (binsHigh > 1) binRow(luma, width, height, 1, below);
  else below.set(here);
  const last = binsWide - 1;
  let total = 0;
  for (let j = 0; j < binsHigh; j++) {
    // A window of three bin columns slides along the bin row: each column's vertical [1 2 1] smoothing `s` and
    // vertical [−1 0 1] difference `d`, so that Gx = s(i + 1) − s(i − 1) and Gy = d(i − 1) + 2 d(i) + d(i + 1);
    // column −1 is column 0. Every value fits 32 bits.
    let sa = (above[0] as number) + 2 * (here[0] as number) + (below[0] as number);
    let da = (below[0] as number) - (above[0] as number);
    let sb = sa;
    let db = da;
    const y0 = 2 * j;
    const pair = y0 + 1 < height;
    // The opaque path's column sums: each pixel of a bin takes its detail, so a bin column adds it once per
    // analysed row the bin holds (two, one for an odd last row); the weighted path sums pixel by pixel below.
    const times = weights === null ? (pair ? 2 : 1) : 0;
    let sum = 0;
    for (let i = 0; i < last; i++) {
      const top = above[i + 1] as number;
      const bottom = below[i + 1] as number;
      const sc = top + 2 * (here[i + 1] as number) + bottom;
      const dc = bottom - top;
      const d = Math.abs(sc - sa) + Math.abs(da + 2 * db + dc);
      detail[i] = d;
      binColumns[i] = (binColumns[i] as number) + times * d;
      sum += d;
      sa = sb;
      da = db;
      sb = sc;
      db = dc;
    }
    // The last bin column: its right neighbour is itself (s(last + 1) = sb, d(last + 1) = db).
    const end = Math.abs(sb - sa) + Math.abs(da + 3 * db);
    detail[last] = end;
    binColumns[last] = (binColumns[last] as number) + times * end;
    sum += end;
    if (weights === null) {
      // A row of the bin sums each bin once per column it holds (two, one for an odd last column).
      const row = 2 * sum - (width & 1 ? end : 0);
      rows[y0] = row;
      total += row;
      if (pair) {
        rows[y0 + 1] = row;
        total += row;
      }
    } else if (sum > 0) {
      for (let y = y0; y < (pair ? y0 + 2 : y0 + 1); y++) {
        const o = y * width;
        let row = 0;
        for (let x = 0; x < width; x++) {
          const v = (detail[x >> 1] as number) * (weights[o + x] as number);
          columns[x] = (columns[x] as number) + v;
          row += v;
        }
        rows[y] = row;
        total += row;
      }
    }
    // Slide down one bin row: the next `below` is bin row j + 2, or a copy of the last.
    const spare = above;
    above = here;
    here = below;
    below = spare;
    if (j + 2 < binsHigh) binRow(luma, width, height, j + 2, below);
    else below.set(here);
  }
  if (weights === null) for (let x = 0; x < width; x++) columns[x] = binColumns[x >> 1] as number;
  return { columns, rows, total, width, height };
}

/**
 * A `W:H` ratio's sides in hundredths, as exact integers.
 *
 * @example
 * ratioSides("16:9"); // [1600, 900]
 * ratioSides("1.91:1"); // [191, 100]
 */
export function ratioSides(ratio: string): [number, number] {
  const match = /^(\d+(?:\.\d{1,2})?):(\d+(?:\.\d{1,2})?)$/.exec(ratio);
  const w = match ? Math.round(Number(match[1]) * RATIO_SIDE_UNIT) : 0;
  const h = match ? Math.round(Number(match[2]) * RATIO_SIDE_UNIT) : 0;
  if (!(w > 0 && h > 0)) {
    throw new RangeError(
      `Expected a ratio W:H of positive numbers with at most 2 decimals for crop but received "${ratio}"`,
    );
  }
  return [w, h];
}

/**
 * The largest box of ratio `rw:rh` inside a `width`×`height` image, in whole pixels: the full height and
 * round(height × rw / rh) wide (halves up) when the image is wider than the ratio, else the full width and
 * round(width × rh / rw) high; at least 1 px.
 *
 * @example
 * largestBox(536, 354, 1, 1); // [354, 354]
 * largestBox(536, 354, 16, 9); // [536, 302] (301.5 rounds up)
 */
export function largestBox(width: number, height: number, rw: number, rh: number): [number, number] {
  // Exact comparison of width / height with rw / rh; the quotients below are exact to far better than the half
  // (denominators ≤ 10^6, values ≤ 2^20), so Math.round rounds the true value.
  if (width * rh > height * rw) return [Math.min(width, Math.max(1, Math.round((height * rw) / rh))), height];
  return [width, Math.min(height, Math.max(1, Math.round((width * rh) / rw)))];
}

/**
 * The offset of the `window` consecutive entries of `lines` with the largest sum: ties go to the most centred
 * window (the least |2·offset + window − length|), then to the lower offset. Returns the offset and the sum.
 *
 * @example
 * bestWindow(Float64Array.of(0, 5, 0, 0, 5, 0), 2); // { offset: 1, sum: 5 } (offsets 0, 1, 3, 4 hold 5; 1 and 3 are the most centred)
 */
export function bestWindow(lines: Float64Array, window: number): { offset: number; sum: number } {
  const length = lines.length;
  let sum = 0;
  for (let i = 0; i < window; i++) sum += lines[i] as number;
  let best = sum;
  let offset = 0;
  let distance = Math.abs(window - length);
  for (let x = 1; x + window <= length; x++) {
    // Exact: every partial sum is an integer below 2^53.
    sum += (lines[x + window - 1] as number) - (lines[x - 1] as number);
    const d = Math.abs(2 * x + window - length);
    if (sum > best || (sum === best && d < distance)) {
      best = sum;
      offset = x;
      distance = d;
    }
  }
  return { offset, sum: best };
}

/**
 * Maps a window found on the analysed grid to the oriented image: the window's centre, (offset + window / 2) on
 * an axis of `analysed` pixels, scaled by `oriented / analysed`, less half the oriented box, rounded (halves up)
 * and clamped into [0, oriented − box]. In integers: round(((2·offset + window)·oriented − box·analysed) /
 * (2·analysed)).
 *
 * @example
 * mapOffset(100, 200, 512, 5000, 3330); // 288: the centre at 200 of 512 is 1953.125 of 5000, less 1665
 */
export function mapOffset(offset: number, window: number, analysed: number, oriented: number, box: number): number {
  const num = (2 * offset + window) * oriented - box * analysed;
  const den = 2 * analysed;
  const rounded = Math.floor((2 * num + den) / (2 * den));
  return Math.min(oriented - box, Math.max(0, rounded));
}

/**
 * The best box of one ratio (see the module's header), from the analysed image's detail profile.
 *
 * @example
 * cropBox(detailProfile(pixels), "1:1", { width: 5000, height: 3330 }); // sample 3: { left: 801, top: 0, width: 3330, height: 3330, detail_percent: 69.8 }
 */
export function cropBox(profile: DetailProfile, ratio: string, oriented: { width: number; height: number }): CropBox {
  const [rw, rh] = ratioSides(ratio);
  const { width: W, height: H } = oriented;
  const [bw, bh] = largestBox(W, H, rw, rh);
  if (profile.total === 0) {
    // No detail anywhere: the centred box, and its share of the area.
    return {
      left: Math.floor((W - bw + 1) / 2),
      top: Math.floor((H - bh + 1) / 2),
      width: bw,
      height: bh,
      detail_percent: roundRatio(bw * bh * 100, W * H, DETAIL_PERCENT_DECIMALS),
    };
  }
  const horizontal = bw < W;
  const analysed = horizontal ? profile.width : profile.height;
  const size = horizontal ? W : H;
  const box = horizontal ? bw : bh;
  // The box's extent on the analysed grid, in whole analysed pixels (the per-axis scale: the resize may round
  // the two sides differently).
  const window = Math.min(analysed, Math.max(1, Math.round((box * analysed) / size)));
  const { offset, sum } = bestWindow(horizontal ? profile.columns : profile.rows, window);
  const start = bw === W && bh === H ? 0 : mapOffset(offset, window, analysed, size, box);
  return {
    left: horizontal ? start : 0,
    top: horizontal ? 0 : start,
    width: bw,
    height: bh,
    detail_percent: roundRatio(BigInt(sum) * 100n, BigInt(profile.total), DETAIL_PERCENT_DECIMALS),
  };
}

/**
 * The crop hints of the analysed image for each ratio asked for, keyed by the ratio as asked, in that order.
 * `pixels` is the analysed image (oriented, ≤ 512 px); `oriented` the full image's size as people see it, in
 * whose pixels the boxes are. A caller that has the luma and alpha planes passes them on in `planes`.
 *
 * @example
 * cropHints(pixels, ["1:1", "16:9"], { width: 536, height: 354 });
 * // sample 2, 536×354 analysed at 512×338:
 * // { "1:1": { left: 92, top: 0, width: 354, height: 354, detail_percent: 75.6 },
 * //   "16:9": { left: 0, top: 0, width: 536, height: 302, detail_percent: 96.5 } }
 */
export function cropHints(
  pixels: PixelImage,
  ratios: readonly string[],
  oriented: { width: number; height: number },
  planes?: { luma: Uint32Array; weights: Weights },
): Crop {
  if (!(Number.isSafeInteger(oriented.width) && oriented.width > 0)) {
    throw new RangeError(`Expected a positive integer for the oriented width but received ${oriented.width}`);
  }
  if (!(Number.isSafeInteger(oriented.height) && oriented.height > 0)) {
    throw new RangeError(`Expected a positive integer for the oriented height but received ${oriented.height}`);
  }
  const profile = planes ? detailProfile(pixels, planes.luma, planes.weights) : detailProfile(pixels);
  const out: Crop = {};
  for (const ratio of ratios) out[ratio] = cropBox(profile, ratio, oriented);
  return out;
}
