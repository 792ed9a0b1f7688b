/**
 * The sums of the two metrics measured on the full-resolution pixels, in one pass: Immerkær's Σ |I ∗ N| (`noise`,
 * noise.ts: J. Immerkær, "Fast Noise Variance Estimation", CVIU 64(2):300–302, 1996) and the absolute luma steps
 * across and inside the 8 × 8 block boundaries (`compression.blockiness`, compression.ts: after Wang, Sheikh &
 * Bovik, ICIP 2002). Both read the same Rec. 709 luma ×10 000 (planes.ts's weights, exact integers), so each row's
 * luma is made once and feeds both, in WebAssembly four pixels at a time (container/wasm/passes.ts
 * `fullResolutionPass`, run by wasm.ts): 0.28 ms for both on the 536 × 354 colour sample, where the two
 * JavaScript passes took 1.5 and 0.9 ms (docs/METRICS.md). The JavaScript passes are kept as references
 * (container/test/reference/noise.ts, blockiness.ts), and wasm.test.ts holds the pass to them: the sums are
 * the same integers.
 *
 * Pure: typed arrays in, a plain object out (the module's memory is scratch, free again on return).
 */
import type { PixelImage } from "./planes.ts";
import { runFullResolutionPass } from "./wasm.ts";

/** Immerkær's 3 × 3 mask needs at least this many pixels each way to have an interior pixel. */
export const NOISE_MIN_SIDE_PX = 3;
/** The side of a JPEG block in pixels. */
export const BLOCK_PX = 8;
/** The smallest side with a block boundary and a whole block either side of it. */
export const BLOCKINESS_MIN_SIDE_PX = 16;

/** Immerkær's Σ |I ∗ N| over the interior, in luma ×10 000, and the count of interior pixels, (W − 2)(H − 2). */
export interface ImmerkaerSum {
  sum: number;
  count: number;
}

/** The sums blockiness is the ratio of: absolute luma steps (×10 000) across block boundaries and inside blocks. */
export interface BlockinessSums {
  boundarySum: number;
  boundaryPairs: number;
  interiorSum: number;
  interiorPairs: number;
}

/** Both metrics' sums of one image, and its size: what `noise` and `compression` take instead of the pixels. */
export interface FullResolutionSums {
  width: number;
  height: number;
  /** Null below 3 × 3 px. */
  immerkaer: ImmerkaerSum | null;
  /** Null below 16 × 16 px. */
  blockiness: BlockinessSums | null;
}

/**
 * Throws, in words, unless `pixels` are 1–4 channels with at least width × height × channels bytes.
 *
 * @example
 * checkPixels({ data: new Uint8Array(50), width: 5, height: 2, channels: 5 }, "noise");
 * // RangeError: Expected 1 to 4 channels for noise but received 5
 */
export function checkPixels(pixels: PixelImage, metric: string): void {
  const { width, height, channels } = pixels;
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) {
    throw new RangeError(`Expected 1 to 4 channels for ${metric} but received ${channels}`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`Expected a whole number of pixels each way for ${metric} but received ${width}×${height}`);
  }
  if (pixels.data.length < width * height * channels) {
    throw new RangeError(
      `Expected ${width * height * channels} bytes for a ${width}×${height}×${channels} image but received ${pixels.data.length}`,
    );
  }
}

/**
 * Immerkær's sum and blockiness' sums of the full-resolution `pixels` (8-bit sRGB, 1–4 channels, alpha ignored),
 * in one pass: exact integers (luma ×10 000) while under 2^53, i.e. any image up to ~220 MP.
 *
 * @example
 * fullResolutionSums({ data: new Uint8Array(16 * 16), width: 16, height: 16, channels: 1 });
 * // { width: 16, height: 16, immerkaer: { sum: 0, count: 196 },
 * //   blockiness: { boundarySum: 0, boundaryPairs: 32, interiorSum: 0, interiorPairs: 448 } }
 */
export function fullResolutionSums(pixels: PixelImage): FullResolutionSums {
  checkPixels(pixels, "noise and blockiness");
  const { width, height } = pixels;
  if (width < NOISE_MIN_SIDE_PX || height < NOISE_MIN_SIDE_PX) {
    return { width, height, immerkaer: null, blockiness: null };
  }
  const totals = runFullResolutionPass(pixels);
  const immerkaer = { sum: totals.immerkaer, count: (width - 2) * (height - 2) };
  if (width < BLOCKINESS_MIN_SIDE_PX || height < BLOCKINESS_MIN_SIDE_PX) {
    return { width, height, immerkaer, blockiness: null };
  }
  // Pairs straddling a boundary: columns 8k − 1 and 8k on every row, rows likewise on every column.
  const boundaryColumns = Math.floor((width - 1) / BLOCK_PX);
  const boundaryRows = Math.floor((height - 1) / BLOCK_PX);
  const blockiness = {
    boundarySum: totals.boundary,
    boundaryPairs: boundaryColumns * height + boundaryRows * width,
    interiorSum: totals.interior,
    interiorPairs: (width - 1 - boundaryColumns) * height + (height - 1 - boundaryRows) * width,
  };
  return { width, height, immerkaer, blockiness };
}
