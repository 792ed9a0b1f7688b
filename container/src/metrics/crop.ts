/**
 * `crop`: for each aspect ratio asked for, the crop box a thumbnail should keep, in the oriented image's pixels,
 * and its share of the image's detail.
 *
 * The box is the LARGEST of that ratio that fits (the image's full height, or its full width): a crop hint for a
 * thumbnail keeps as much of the picture as it can, and only slides the box along the one axis left free (as
 * Google Vision's `cropHints` and thumbor's smart crop do; a zoomed-in crop is another feature). Along that axis it
 * takes the position holding the most **detail**: the Sobel gradient magnitude of luma (I. Sobel and G. Feldman,
 * "A 3×3 isotropic gradient operator for image processing", 1968; the "edge energy" that sharp's `attention` and
 * `entropy` strategies approximate), each pixel weighted by its alpha. Ties (a flat image, or a small subject that
 * several positions hold whole) go to the most centred position.
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

/**
 * The detail of the analysed image, summed per column and per row: pixel (x, y) holds
 * ⌊√(Gx² + Gy²)⌋ × w, where Gx, Gy are the 3×3 Sobel gradients of luma ×10 000 (lumaPlane's exact units: the
 * magnitude in 1/10 000 of a luma level, floored; edges replicated, as OpenCV's BORDER_REPLICATE) and w the
 * pixel's alpha (1 for every pixel of an opaque image). Every sum is an exact integer below 2^53
 * (512 × 512 × ⌊4 · 2 550 000 · √2⌋ × 255 < 10^15).
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

/**
 * The detail profile of the analysed pixels (see `DetailProfile`), in one pass over the luma plane. A caller
 * that has the luma and alpha planes (planes.ts) passes them on.
 *
 * @example
 * // A vertical step 0 | 255 on 4×2: the two middle columns see Gx = 4 × 255 (× 10 000 for luma's unit).
 * detailProfile({ data: Uint8Array.of(0, 0, 255, 255, 0, 0, 255, 255), width: 4, height: 2, channels: 1 });
 * // { columns: [0, 20_400_000, 20_400_000, 0], rows: [20_400_000, 20_400_000], total: 40_800_000, … }
 */
export function detailProfile(
  pixels: PixelImage,
  luma: Uint32Array = lumaPlane(pixels),
  weights: Weights = alphaPlane(pixels),
): DetailProfile {
  const { width, height } = pixels;
  const columns = new Float64Array(width);
  const rows = new Float64Array(height);
  const last = width - 1;
  let total = 0;
  for (let y = 0; y < height; y++) {
    const above = (y > 0 ? y - 1 : 0) * width;
    const here = y * width;
    const below = (y < height - 1 ? y + 1 : y) * width;
    // A window of three columns slides along the row: each column's vertical [1 2 1] smoothing `s` and vertical
    // [−1 0 1] difference `d`, so that Gx = s(x + 1) − s(x − 1) and Gy = d(x − 1) + 2 d(x) + d(x + 1). The border
    // columns replicate their neighbour: column −1 is column 0, column `width` is column `last`.
    let sa = (luma[above] as number) + 2 * (luma[here] as number) + (luma[below] as number);
    let da = (luma[below] as number) - (luma[above] as number);
    let sb = sa;
    let db = da;
    let row = 0;
    for (let x = 0; x < width; x++) {
      const n = x < last ? x + 1 : x;
      const top = luma[above + n] as number;
      const bottom = luma[below + n] as number;
      const sc = top + 2 * (luma[here + n] as number) + bottom;
      const dc = bottom - top;
      const gx = sc - sa;
      const gy = da + 2 * db + dc;
      // The magnitude < 2^24: `| 0` floors it.
      let detail = Math.sqrt(gx * gx + gy * gy) | 0;
      if (weights !== null) detail *= weights[here + x] as number;
      columns[x] = (columns[x] as number) + detail;
      row += detail;
      sa = sb;
      da = db;
      sb = sc;
      db = dc;
    }
    rows[y] = row;
    total += row;
  }
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
 * cropBox(detailProfile(pixels), "1:1", { width: 5000, height: 3330 }); // sample 3: { left: 264, top: 0, width: 3330, height: 3330, detail_percent: 69.6 }
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
 * // { "1:1": { left: 111, top: 0, width: 354, height: 354, detail_percent: 77.9 },
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
