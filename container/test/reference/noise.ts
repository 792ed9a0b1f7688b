/**
 * The JavaScript reference of Immerkær's sum (noise.ts), as production computed it before the full-resolution
 * pass moved into WebAssembly (container/wasm/passes.ts `fullResolutionPass`): wasm.test.ts holds the pass to it.
 *
 * N = [[1, −2, 1], [−2, 4, −2], [1, −2, 1]] is separable, [1, −2, 1]ᵀ · [1, −2, 1]: one pass, each row's luma second
 * difference across made once into a ring of three rows, the second difference down taken from them as it is
 * made. All in integers (luma ×10 000): the sum is exact up to 2^53.
 */
import type { PixelImage } from "../../src/metrics/planes.ts";

/** The mask is 3×3: an image needs at least this many pixels each way to have an interior pixel. */
const NOISE_MIN_SIDE_PX = 3;

/**
 * Σ |I ∗ N| over the interior, in luma ×10 000 (an exact integer while under 2^53), and the count of interior
 * pixels, (W − 2)(H − 2); `null` below 3×3.
 *
 * @example
 * immerkaerSum({ data: Uint8Array.of(0, 0, 0, 0, 9, 0, 0, 0, 0), width: 3, height: 3, channels: 1 });
 * // { sum: 360000, count: 1 } (|4 · 9| levels, ×10 000)
 */
export function immerkaerSum(pixels: PixelImage): { sum: number; count: number } | null {
  const { width, height, channels } = pixels;
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) {
    throw new RangeError(`Expected 1 to 4 channels for noise but received ${channels}`);
  }
  if (pixels.data.length < width * height * channels) {
    throw new RangeError(
      `Expected ${width * height * channels} bytes for a ${width}×${height}×${channels} image but received ${pixels.data.length}`,
    );
  }
  if (width < NOISE_MIN_SIDE_PX || height < NOISE_MIN_SIDE_PX) return null;
  // Each row's luma second difference across (|·| ≤ 4 · 255 · 10 000 fits an Int32), three rows in a ring.
  const rows = [new Int32Array(width), new Int32Array(width), new Int32Array(width)];
  const row = channels >= 3 ? colourRow : greyRow;
  let sum = 0;
  for (let y = 0; y < height; y++) {
    const rowSum = row(
      pixels.data,
      y * width * channels,
      channels,
      width,
      rows[(y + 1) % 3],
      rows[(y + 2) % 3],
      rows[y % 3],
    );
    // The first two rows only fill the ring: their sums read rows not yet made.
    if (y >= 2) sum += rowSum;
  }
  return { sum, count: (width - 2) * (height - 2) };
}

/**
 * One row of an RGB(A) image from byte `o`: its luma second difference across into `across` (interior columns;
 * the two edge columns are never written nor read), and Σ |above − 2 · middle + across| over the interior columns,
 * `above` and `middle` being the two rows before. The luma of three neighbours is held in registers.
 */
function colourRow(
  data: Uint8Array,
  o: number,
  stride: number,
  width: number,
  above: Int32Array | undefined,
  middle: Int32Array | undefined,
  across: Int32Array | undefined,
): number {
  const a = above as Int32Array;
  const m = middle as Int32Array;
  const c = across as Int32Array;
  let left = 2126 * (data[o] as number) + 7152 * (data[o + 1] as number) + 722 * (data[o + 2] as number);
  let p = o + stride;
  let centre = 2126 * (data[p] as number) + 7152 * (data[p + 1] as number) + 722 * (data[p + 2] as number);
  let sum = 0;
  for (let x = 1, last = width - 1; x < last; x++) {
    p += stride;
    const right = 2126 * (data[p] as number) + 7152 * (data[p + 1] as number) + 722 * (data[p + 2] as number);
    const h = left - 2 * centre + right;
    left = centre;
    centre = right;
    c[x] = h;
    const v = (a[x] as number) - 2 * (m[x] as number) + h;
    sum += v < 0 ? -v : v;
  }
  return sum;
}

/** `colourRow` for grey (1 or 2 channels): the luma is the grey level × 10 000. */
function greyRow(
  data: Uint8Array,
  o: number,
  stride: number,
  width: number,
  above: Int32Array | undefined,
  middle: Int32Array | undefined,
  across: Int32Array | undefined,
): number {
  const a = above as Int32Array;
  const m = middle as Int32Array;
  const c = across as Int32Array;
  let left = 10_000 * (data[o] as number);
  let p = o + stride;
  let centre = 10_000 * (data[p] as number);
  let sum = 0;
  for (let x = 1, last = width - 1; x < last; x++) {
    p += stride;
    const right = 10_000 * (data[p] as number);
    const h = left - 2 * centre + right;
    left = centre;
    centre = right;
    c[x] = h;
    const v = (a[x] as number) - 2 * (m[x] as number) + h;
    sum += v < 0 ? -v : v;
  }
  return sum;
}
