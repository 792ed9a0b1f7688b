/**
 * The histogram's bucket of one pixel (histogram.ts), by its definition: the reference the brightness pass's
 * coarse-bin sums are held to (analyse.test.ts) and the labels (histogram.test.ts).
 */
import { BUCKET_WIDTH, HISTOGRAM_BUCKETS } from "../../src/metrics/histogram.ts";
import { LUMA_SCALE } from "../../src/metrics/luminance.ts";

/** The bucket width in scaled integer luma, so bucketing is exact integer arithmetic. */
const BUCKET_WIDTH_SCALED = BUCKET_WIDTH * LUMA_SCALE;

/**
 * The bucket of a scaled integer luma (see `LUMA_SCALE`).
 *
 * @example
 * bucketOf(25.59 * 10_000); // 0
 * bucketOf(25.6 * 10_000); // 1
 * bucketOf(255 * 10_000); // 9
 */
export function bucketOf(scaledLuma: number): number {
  return Math.min(HISTOGRAM_BUCKETS - 1, Math.floor(scaledLuma / BUCKET_WIDTH_SCALED));
}
