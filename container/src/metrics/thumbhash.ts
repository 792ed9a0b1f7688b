/**
 * `thumbhash`: a ThumbHash (E. Wallace, https://evanw.github.io/thumbhash/) of the analysed image, made with the
 * maintained `thumbhash` package (0.1.1), as base64 (standard alphabet, padded, as its README's examples): about
 * 25–35 characters that any ThumbHash decoder turns into a blurred placeholder with the image's aspect ratio,
 * average colour and alpha. The encoder takes at most 100 × 100 px, so the image is first boxed down to
 * THUMBHASH_SIDE_PX on its longer side, the aspect kept: each cell the area average of its box, colours weighted by
 * alpha, in the gamma-encoded sRGB values ThumbHash itself averages and transforms (so the hash's average colour
 * is the image's alpha-weighted mean, within its quantisation), its alpha the box's mean alpha. Pure: typed arrays
 * in, a string out.
 */
import { rgbaToThumbHash } from "thumbhash";
import type { z } from "zod";
import type { InsightsV3Schemas } from "../../../contract/schemas.ts";
import { cellLayout, SAMPLED_CELL_MIN_PX } from "./placeholder.ts";
import type { PixelImage } from "./planes.ts";

export type ThumbHash = z.infer<typeof InsightsV3Schemas.thumbhash>;

/**
 * The longer side of the copy the hash is made from. The encoder accepts up to 100 px, but its finest component is
 * 3 cycles across the longer side (7 luminance terms; 5 with alpha): 32 px samples it more than 10 times a cycle,
 * and gives the reference samples the same hash as 100 px (thumbhash.test.ts) for a tenth of the encoder's cost
 * (0.05 ms instead of 0.5–1.5 ms on 536 × 354).
 */
export const THUMBHASH_SIDE_PX = 32;

/**
 * The image area-averaged down to at most `side` px on its longer side (never up), as RGBA: cell (cx, cy) holds
 * columns ceil(cx·W/tw) up to the next and the rows y with floor(y·th/H) = cy (placeholder.ts's `cellLayout`; when
 * every cell is SAMPLED_CELL_MIN_PX or more each way, only every other pixel of every other row of it, from its
 * first), its colour the alpha-weighted mean of those pixels' 8-bit values (a wholly transparent cell: the
 * image's alpha-weighted mean; black when nothing is visible), its alpha their mean alpha, all rounded.
 *
 * @example
 * const small = boxDownRgba({ data: Uint8Array.of(0, 0, 0, 255, 200, 100, 50, 255), width: 2, height: 1, channels: 4 }, 1);
 * // { data: Uint8ClampedArray [100, 50, 25, 255], width: 1, height: 1 }
 */
export function boxDownRgba(
  pixels: PixelImage,
  side = THUMBHASH_SIDE_PX,
): { data: Uint8ClampedArray; width: number; height: number } {
  const { data, width, height, channels } = pixels;
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) {
    throw new RangeError(`Expected 1 to 4 channels for thumbhash but received ${channels}`);
  }
  if (!(width >= 1 && height >= 1) || data.length < width * height * channels) {
    throw new RangeError(
      `Expected a non-empty ${width}×${height}×${channels} image for thumbhash but received ${data.length} bytes`,
    );
  }
  const { tw, th, start } = cellLayout(width, height, side);
  const step = Math.floor(width / tw) >= SAMPLED_CELL_MIN_PX && Math.floor(height / th) >= SAMPLED_CELL_MIN_PX ? 2 : 1;
  const sums = new Float64Array(tw * th * CELL_SUMS);
  sumCells(pixels, tw, th, start, step, sums);
  return cellsToRgba(sums, tw, th);
}

/** Per cell: Σα·R, Σα·G, Σα·B, Σα (α 0–255, 255 for an image without alpha) and the count of pixels. */
const CELL_SUMS = 5;

/**
 * Adds each sampled pixel (rows and columns `step` apart from each cell's first) to its cell's sums. A function
 * that ends with its loop, as placeholder.ts's `sumCells` (V8 gave up on code after a long loop on later calls).
 */
function sumCells(
  pixels: PixelImage,
  tw: number,
  th: number,
  start: Int32Array,
  step: number,
  sums: Float64Array,
): void {
  const { data, width, height, channels } = pixels;
  const g = channels >= 3 ? 1 : 0;
  const b = channels >= 3 ? 2 : 0;
  const alpha = channels === 2 || channels === 4;
  const a = channels - 1;
  const jump = step * channels;
  let cellRow = -1;
  let firstRow = 0;
  for (let y = 0; y < height; y++) {
    const cy = Math.min(th - 1, Math.floor((y * th) / height));
    if (cy !== cellRow) {
      cellRow = cy;
      firstRow = y;
    }
    if ((y - firstRow) % step !== 0) continue;
    for (let cx = 0; cx < tw; cx++) {
      let sr = 0;
      let sg = 0;
      let sb = 0;
      let sa = 0;
      let n = 0;
      const from = (y * width + (start[cx] as number)) * channels;
      const to = (y * width + (start[cx + 1] as number)) * channels;
      if (alpha) {
        for (let o = from; o < to; o += jump, n++) {
          const w = data[o + a] as number;
          sr += w * (data[o] as number);
          sg += w * (data[o + g] as number);
          sb += w * (data[o + b] as number);
          sa += w;
        }
      } else {
        for (let o = from; o < to; o += jump, n++) {
          sr += data[o] as number;
          sg += data[o + g] as number;
          sb += data[o + b] as number;
        }
        sr *= 255;
        sg *= 255;
        sb *= 255;
        sa = 255 * n;
      }
      const s = (cy * tw + cx) * CELL_SUMS;
      sums[s] = (sums[s] as number) + sr;
      sums[s + 1] = (sums[s + 1] as number) + sg;
      sums[s + 2] = (sums[s + 2] as number) + sb;
      sums[s + 3] = (sums[s + 3] as number) + sa;
      sums[s + 4] = (sums[s + 4] as number) + n;
    }
  }
}

/** The small RGBA copy from each cell's sums (see CELL_SUMS). */
function cellsToRgba(
  sums: Float64Array,
  tw: number,
  th: number,
): { data: Uint8ClampedArray; width: number; height: number } {
  const mean = [0, 0, 0, 0];
  for (let s = 0; s < sums.length; s += CELL_SUMS) {
    for (let c = 0; c < 4; c++) mean[c] = (mean[c] as number) + (sums[s + c] as number);
  }
  const visible = mean[3] as number;
  const out = new Uint8ClampedArray(tw * th * 4);
  for (let cell = 0, s = 0; cell < tw * th; cell++, s += CELL_SUMS) {
    const weight = sums[s + 3] as number;
    for (let c = 0; c < 3; c++) {
      const value = weight > 0 ? (sums[s + c] as number) / weight : visible > 0 ? (mean[c] as number) / visible : 0;
      out[cell * 4 + c] = Math.round(value);
    }
    out[cell * 4 + 3] = Math.round(weight / (sums[s + 4] as number));
  }
  return { data: out, width: tw, height: th };
}

/**
 * Standard base64 with padding (RFC 4648 §4) of `bytes`.
 *
 * @example
 * base64(Uint8Array.of(1, 2, 3, 4)); // "AQIDBA=="
 */
export function base64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

/**
 * The ThumbHash of the analysed image (8-bit sRGB, 1–4 channels, alpha last), base64.
 *
 * @example
 * thumbhash({ data: new Uint8Array(32 * 32 * 3).fill(255), width: 32, height: 32, channels: 3 });
 * // "AAiGBwB4eHd3h3d4h3d4h3d4"
 */
export function thumbhash(pixels: PixelImage): ThumbHash {
  const small = boxDownRgba(pixels, THUMBHASH_SIDE_PX);
  return base64(rgbaToThumbHash(small.width, small.height, small.data));
}
