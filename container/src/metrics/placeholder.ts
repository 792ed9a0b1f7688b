/**
 * `placeholder`: a BlurHash (https://blurha.sh) of the analysed image, made with the maintained `blurhash`
 * package (2.0.5), decodable by any BlurHash decoder. Its encoder costs a cosine per pixel per component, so it
 * runs on a small copy (placeholderSide: 16 px on the longer side for 4 × 3 components), each cell the
 * alpha-weighted mean of its box of pixels in linear light, sampled on every other pixel of every other row
 * (BlurHash averages in linear light too, so the hash's average colour is the image's, within a level). Pure:
 * typed arrays in, a plain object out.
 */
import { encode } from "blurhash";
import type { z } from "zod";
import type { InsightsSchemas } from "../../../contract/schemas.ts";
import type { PixelImage, Weights } from "./planes.ts";
import { linearToSrgb8, SRGB8_TO_LINEAR } from "./scales.ts";

export type Placeholder = z.infer<typeof InsightsSchemas.placeholder>;

/**
 * The longer side of the copy the hash is computed on: four samples per cycle of the finest component (4 × 3
 * components: 16 px; 9 × 9: 36 px), at least 12. The encoder's cost is a cosine per pixel per component.
 */
export function placeholderSide(xComponents: number, yComponents: number): number {
  return Math.max(12, 4 * Math.max(xComponents, yComponents));
}
export const DEFAULT_X_COMPONENTS = 4;
export const DEFAULT_Y_COMPONENTS = 3;

/**
 * When the cells are at least this many pixels wide and high, each is sampled on every other pixel of every other
 * row (a quarter of its pixels, from its first): a cell of a 512 px image still averages about 250 pixels, the
 * BlurHash (its AC terms quantised to 19 levels) barely sees it, and the small copy costs a quarter of the pass.
 */
export const SAMPLED_CELL_MIN_PX = 4;

/**
 * The image boxed down to at most `side` px on its longer side: RGBA, each cell the weighted linear-light mean
 * of its box (of every other pixel of every other row when the boxes are SAMPLED_CELL_MIN_PX or more each way; a
 * wholly transparent cell takes the image's mean). `null` when nothing is visible.
 *
 * @example
 * const small = boxDown({ data: new Uint8Array(64 * 64 * 3).fill(200), width: 64, height: 64, channels: 3 }, null, 32);
 * // { data: Uint8ClampedArray(32 × 32 × 4) of 200, 200, 200, 255, width: 32, height: 32 }
 */
export function boxDown(
  pixels: PixelImage,
  weights: Weights,
  side: number,
): { data: Uint8ClampedArray; width: number; height: number } | null {
  const { width, height } = pixels;
  const { tw, th, start } = cellLayout(width, height, side);
  const step = Math.floor(width / tw) >= SAMPLED_CELL_MIN_PX && Math.floor(height / th) >= SAMPLED_CELL_MIN_PX ? 2 : 1;
  const sums = new Float64Array(tw * th * 4); // Σw·R, Σw·G, Σw·B (linear), Σw
  sumCells(pixels, weights, tw, th, start, step, sums);
  return cellsToImage(sums, tw, th);
}

/**
 * Adds each sampled pixel (rows and columns `step` apart from each cell's first) to its cell's sums. A function
 * that ends with its loop: V8 compiles a long loop while it runs, before the code after it has run, and such code
 * then gave up there on later calls (measured).
 */
function sumCells(
  pixels: PixelImage,
  weights: Weights,
  tw: number,
  th: number,
  start: Int32Array,
  step: number,
  sums: Float64Array,
): void {
  const { data, width, height, channels } = pixels;
  const lin = SRGB8_TO_LINEAR;
  const g = channels >= 3 ? 1 : 0;
  const b = channels >= 3 ? 2 : 0;
  let cellRow = -1;
  let firstRow = 0;
  for (let y = 0; y < height; y++) {
    const cy = Math.min(th - 1, Math.floor((y * th) / height));
    if (cy !== cellRow) {
      cellRow = cy;
      firstRow = y;
    }
    if ((y - firstRow) % step !== 0) continue;
    const row = cy * tw;
    // Each run of a row inside one cell is summed in registers, then added to the cell once.
    for (let cx = 0; cx < tw; cx++) {
      let sr = 0;
      let sg = 0;
      let sb = 0;
      let sw = 0;
      const from = y * width + (start[cx] as number);
      const to = y * width + (start[cx + 1] as number);
      if (weights) {
        for (let i = from, o = from * channels; i < to; i += step, o += step * channels) {
          const w = weights[i] as number;
          sr += w * (lin[data[o] as number] as number);
          sg += w * (lin[data[o + g] as number] as number);
          sb += w * (lin[data[o + b] as number] as number);
          sw += w;
        }
      } else {
        for (let o = from * channels, end = to * channels; o < end; o += step * channels) {
          sr += lin[data[o] as number] as number;
          sg += lin[data[o + g] as number] as number;
          sb += lin[data[o + b] as number] as number;
          sw++;
        }
      }
      const s = (row + cx) * 4;
      sums[s] = (sums[s] as number) + sr;
      sums[s + 1] = (sums[s + 1] as number) + sg;
      sums[s + 2] = (sums[s + 2] as number) + sb;
      sums[s + 3] = (sums[s + 3] as number) + sw;
    }
  }
}

/**
 * The small copy's grid for an image of `width` × `height`: `tw` × `th` cells (at most `side` on the longer side,
 * the aspect kept), column x in cell floor(x · tw / width), so cell cx spans columns [start[cx], start[cx + 1]),
 * and row y in cell floor(y · th / height).
 *
 * @example
 * cellLayout(512, 338, 16); // { tw: 16, th: 11, start: Int32Array [0, 32, 64, …, 512] }
 */
export function cellLayout(width: number, height: number, side: number): { tw: number; th: number; start: Int32Array } {
  const scale = Math.min(1, side / Math.max(width, height));
  const tw = Math.max(1, Math.round(width * scale));
  const th = Math.max(1, Math.round(height * scale));
  const start = Int32Array.from({ length: tw + 1 }, (_, cx) => Math.ceil((cx * width) / tw));
  return { tw, th, start };
}

/**
 * The small RGBA copy from each cell's Σw·R, Σw·G, Σw·B (linear) and Σw: a wholly transparent cell takes the
 * image's mean; `null` when nothing is visible.
 */
export function cellsToImage(
  sums: Float64Array,
  tw: number,
  th: number,
): { data: Uint8ClampedArray; width: number; height: number } | null {
  const mean = [0, 0, 0, 0];
  for (let s = 0; s < sums.length; s++) mean[s & 3] = (mean[s & 3] as number) + (sums[s] as number);
  const total = mean[3] as number;
  if (total === 0) return null;
  const out = new Uint8ClampedArray(tw * th * 4);
  for (let s = 0; s < sums.length; s += 4) {
    const w = sums[s + 3] as number;
    for (let c = 0; c < 3; c++) {
      const value = w > 0 ? (sums[s + c] as number) / w : (mean[c] as number) / total;
      out[s + c] = linearToSrgb8(value);
    }
    out[s + 3] = 255;
  }
  return { data: out, width: tw, height: th };
}

/** The `placeholder` result from the small copy (see `placeholder`). */
export function placeholderOfImage(
  small: { data: Uint8ClampedArray; width: number; height: number } | null,
  xComponents: number,
  yComponents: number,
): Placeholder | null {
  if (!small) return null;
  return {
    blurhash: encode(small.data, small.width, small.height, xComponents, yComponents),
    x_components: xComponents,
    y_components: yComponents,
  };
}

/**
 * The BlurHash of the analysed image with `xComponents` × `yComponents` (1–9 each; 4×3 by default); `null` when
 * nothing is visible.
 *
 * @example
 * placeholder({ data: new Uint8Array(48).fill(255), width: 4, height: 4, channels: 3 }, null);
 * // { blurhash: "L~TSUA~qfQ~q~qj[fQj[fQfQfQfQ", x_components: 4, y_components: 3 }
 */
export function placeholder(
  pixels: PixelImage,
  weights: Weights,
  xComponents = DEFAULT_X_COMPONENTS,
  yComponents = DEFAULT_Y_COMPONENTS,
): Placeholder | null {
  return placeholderOfImage(
    boxDown(pixels, weights, placeholderSide(xComponents, yComponents)),
    xComponents,
    yComponents,
  );
}
