/**
 * The (weighted) median of scaled integer luma values by counting, not by sorting all of them: one pass
 * counts weights into coarse bins, a second gathers only the values of the one or two bins that hold the
 * middle, and only those few are sorted.
 *
 * Weights are integers (a pixel's alpha, 0–255): a pixel of weight w counts as w copies of its value. With
 * every weight equal this is the ordinary median, including "the mean of the two middle values" for an even
 * count: n copies of 255 have an even total exactly when n is even.
 */

/** Scaled luma values per coarse bin (2^12): about 620 bins for 0–255 × 10 000. */
const BIN_SHIFT = 12;

/**
 * @param values scaled integer luma per pixel
 * @param weights per-pixel integer weights, or a constant weight for every pixel
 * @returns the median of the values, still scaled, or NaN when the total weight is 0
 *
 * @example
 * weightedMedian(Uint32Array.of(1, 5, 3), 1); // 3
 * weightedMedian(Uint32Array.of(1, 5, 3, 7), 1); // 4
 * weightedMedian(Uint32Array.of(1, 9), Uint8Array.of(3, 1)); // 1
 */
export function weightedMedian(values: Uint32Array, weights: Uint8Array | number): number {
  const n = values.length;
  const weightAt = typeof weights === "number" ? () => weights : (i: number) => weights[i] as number;
  let max = 0;
  for (let i = 0; i < n; i++) if ((values[i] as number) > max) max = values[i] as number;
  const counts = new Float64Array((max >> BIN_SHIFT) + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weightAt(i);
    const bin = (values[i] as number) >> BIN_SHIFT;
    counts[bin] = (counts[bin] as number) + w;
    total += w;
  }
  if (total === 0) return Number.NaN;

  // 0-based ranks of the middle copy (odd total) or the two middle copies (even total).
  const lowRank = total % 2 === 1 ? (total - 1) / 2 : total / 2 - 1;
  const highRank = total % 2 === 1 ? lowRank : total / 2;
  const binOf = (rank: number): { bin: number; before: number } => {
    let before = 0;
    for (let bin = 0; bin < counts.length; bin++) {
      const c = counts[bin] as number;
      if (before + c > rank) return { bin, before };
      before += c;
    }
    throw new RangeError(`Expected rank below ${total} but received ${rank}`);
  };
  const low = binOf(lowRank);
  const high = binOf(highRank);

  // Only the values in the middle bins are gathered and sorted.
  const picked: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    const bin = (values[i] as number) >> BIN_SHIFT;
    if ((bin === low.bin || bin === high.bin) && weightAt(i) > 0) picked.push([values[i] as number, weightAt(i)]);
  }
  picked.sort((a, b) => a[0] - b[0]);
  const valueAt = (rank: number): number => {
    let seen = low.before;
    for (const [value, w] of picked) {
      seen += w;
      if (seen > rank) return value;
    }
    throw new RangeError(`Expected rank below ${total} but received ${rank}`);
  };
  return (valueAt(lowRank) + valueAt(highRank)) / 2;
}
