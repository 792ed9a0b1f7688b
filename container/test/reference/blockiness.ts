/**
 * The JavaScript reference of blockiness' sums (compression.ts), as production computed them before the
 * full-resolution pass moved into WebAssembly (container/wasm/passes.ts `fullResolutionPass`): wasm.test.ts holds
 * the pass to it.
 */
import type { PixelImage } from "../../src/metrics/planes.ts";

/** The side of a JPEG block in pixels. */
const BLOCK_PX = 8;
/** The smallest side with a block boundary and a whole block either side of it. */
const BLOCKINESS_MIN_SIDE_PX = 16;
const WR = 2126;
const WG = 7152;
const WB = 722;
const UNIT = 10_000;

/** One row's Rec. 709 luma ×10 000 (exact integers; 10 000 × grey for 1 and 2 channels). */
function lumaRow(data: Uint8Array, from: number, channels: number, out: Int32Array): void {
  const width = out.length;
  if (channels === 3) {
    for (let x = 0, o = from; x < width; x++, o += 3) {
      out[x] = WR * (data[o] as number) + WG * (data[o + 1] as number) + WB * (data[o + 2] as number);
    }
  } else if (channels === 4) {
    for (let x = 0, o = from; x < width; x++, o += 4) {
      out[x] = WR * (data[o] as number) + WG * (data[o + 1] as number) + WB * (data[o + 2] as number);
    }
  } else if (channels === 1) {
    for (let x = 0, o = from; x < width; x++, o++) out[x] = (data[o] as number) * UNIT;
  } else {
    for (let x = 0, o = from; x < width; x++, o += channels) out[x] = (data[o] as number) * UNIT;
  }
}

/** The sums blockiness is the ratio of: absolute luma steps (×10 000) across block boundaries and inside blocks. */
export interface BlockinessSums {
  boundarySum: number;
  boundaryPairs: number;
  interiorSum: number;
  interiorPairs: number;
}

/**
 * The absolute Rec. 709 luma differences (×10 000, exact integers) of every pair of horizontal and vertical
 * neighbours, summed apart for the pairs that straddle a block boundary (columns 8k − 1 and 8k, rows likewise)
 * and the others. One pass, one row of luma kept. Null below 16 × 16 px.
 *
 * @example
 * blockinessSums({ data: new Uint8Array(16 * 16), width: 16, height: 16, channels: 1 });
 * // { boundarySum: 0, boundaryPairs: 32, interiorSum: 0, interiorPairs: 448 }
 */
export function blockinessSums(pixels: PixelImage): BlockinessSums | null {
  const { data, width, height, channels } = pixels;
  if (width < BLOCKINESS_MIN_SIDE_PX || height < BLOCKINESS_MIN_SIDE_PX) return null;
  // Two rows of luma, this one and the one above: each row is made in its own loop, then differenced, which V8
  // runs several times faster than one loop doing both.
  let row = new Int32Array(width);
  let above = new Int32Array(width);
  let boundarySum = 0;
  let interiorSum = 0;
  for (let y = 0; y < height; y++) {
    lumaRow(data, y * width * channels, channels, row);
    // Every horizontal step, then those across the row's block boundaries (columns 8k − 1 and 8k): no branch
    // in the long loop.
    let horizontal = 0;
    for (let x = 1; x < width; x++) horizontal += Math.abs((row[x] as number) - (row[x - 1] as number));
    let across = 0;
    for (let x = BLOCK_PX; x < width; x += BLOCK_PX) across += Math.abs((row[x] as number) - (row[x - 1] as number));
    boundarySum += across;
    interiorSum += horizontal - across;
    if (y > 0) {
      let down = 0; // vertical steps from the row above
      for (let x = 0; x < width; x++) down += Math.abs((row[x] as number) - (above[x] as number));
      if (y % BLOCK_PX === 0) boundarySum += down;
      else interiorSum += down;
    }
    const done = above;
    above = row;
    row = done;
  }
  const boundaryColumns = Math.floor((width - 1) / BLOCK_PX);
  const boundaryRows = Math.floor((height - 1) / BLOCK_PX);
  const boundaryPairs = boundaryColumns * height + boundaryRows * width;
  const interiorPairs = (width - 1 - boundaryColumns) * height + (height - 1 - boundaryRows) * width;
  return { boundarySum, boundaryPairs, interiorSum, interiorPairs };
}
