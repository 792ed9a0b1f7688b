/**
 * Exact rounding of the numbers an analysis reports. Every reported value is a ratio of integer sums (the
 * luma is an exact integer × LUMA_SCALE, weights are integers), so it is rounded from that ratio, half away
 * from zero, in integer arithmetic: never from a float, where 34.425 is 34.42499999999999715782905696… and a
 * tie rounds the wrong way (`Number.EPSILON` does not help above 2).
 */

/** An exact rational value: `num / den`, both safe integers, `den` > 0. */
export interface Ratio {
  num: number;
  den: number;
}

/**
 * `num / den` rounded half away from zero to `decimals` places, exactly. The products can pass 2^53
 * (a 512² image's luma sum × 100 does), so the arithmetic is BigInt: a few operations per response.
 *
 * @example
 * roundRatio(344_250, 10_000, 2); // 34.43 (34.425 exactly)
 * roundRatio(2_300, 80, 1); // 28.8 (28.75 exactly)
 * roundRatio(-5, 2); // -3
 */
export function roundRatio(num: number | bigint, den: number | bigint, decimals = 0): number {
  if (typeof num === "number" && !Number.isSafeInteger(num)) {
    throw new RangeError(`Expected a safe integer numerator but received ${num}`);
  }
  if (typeof den === "number" && !Number.isSafeInteger(den)) {
    throw new RangeError(`Expected a safe integer denominator but received ${den}`);
  }
  const d = BigInt(den);
  if (d <= 0n) throw new RangeError(`Expected a positive denominator but received ${den}`);
  const scaled = BigInt(num) * 10n ** BigInt(decimals);
  const magnitude = scaled < 0n ? -scaled : scaled;
  const quotient = magnitude / d;
  // Half away from zero: a remainder of exactly half the denominator rounds up in magnitude.
  const rounded = 2n * (magnitude % d) >= d ? quotient + 1n : quotient;
  // The decimal text of the rounded value, parsed: the double nearest to it (34.43 prints as 34.43), even
  // where the count of units would not fit a double exactly.
  const digits = rounded.toString().padStart(decimals + 1, "0");
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return scaled < 0n && rounded !== 0n ? -Number(text) : Number(text);
}
