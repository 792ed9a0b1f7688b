/**
 * Ten buckets that partition luma 0–255: bucket i holds luma L with min(9, floor(L / 25.6)) = i.
 *
 * The reference service (1.7) labels its buckets "0-24", "25-50", … while its bounds overlap, so a pixel of
 * luma 50.5 counts in two buckets and the percents add up to more than 100. Here every pixel is in exactly
 * one bucket, the percents add up to 100 (±0.5 from rounding), and each label gives the integer luma values
 * its bucket really holds.
 */
export const HISTOGRAM_BUCKETS = 10;
/** The width of a bucket on the 0–255 scale. */
export const BUCKET_WIDTH = 25.6;

/**
 * The label of bucket i: the first and last integer luma it holds.
 *
 * @example
 * bucketLabel(0); // "0-25"
 * bucketLabel(9); // "231-255"
 */
export function bucketLabel(i: number): string {
  const lo = Math.ceil(i * BUCKET_WIDTH);
  const hi = i === HISTOGRAM_BUCKETS - 1 ? 255 : Math.ceil((i + 1) * BUCKET_WIDTH) - 1;
  return `${lo}-${hi}`;
}

/** The ten labels, computed once. */
export const BUCKET_LABELS: readonly string[] = Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) => bucketLabel(i));

/**
 * The ten labels of the 0–100 scales (luminance, L*), whose values are real numbers, not integers: bucket i
 * holds values v with min(9, floor(v / 10)) = i, labelled by its bounds, "0-10" … "90-100" (each bucket holds
 * its lower bound, not its upper one; the last holds 100 too).
 */
export const PERCENT_BUCKET_LABELS: readonly string[] = Array.from(
  { length: HISTOGRAM_BUCKETS },
  (_, i) => `${i * 10}-${(i + 1) * 10}`,
);
