import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { roundRatio } from "./exact.ts";

/** An independent oracle: half away from zero as floor((2·|n|·10^d + den) / (2·den)), in BigInt. */
function oracle(num: bigint, den: bigint, decimals: number): string {
  const magnitude = (num < 0n ? -num : num) * 10n ** BigInt(decimals);
  const units = (2n * magnitude + den) / (2n * den);
  const digits = units.toString().padStart(decimals + 1, "0");
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return num < 0n && units !== 0n ? `-${text}` : text;
}

describe("roundRatio", () => {
  it("rounds exact ties half away from zero, where a float would not", () => {
    expect(roundRatio(344_250, 10_000, 2)).toBe(34.43); // 34.425: the float rounds to 34.42
    expect(roundRatio(2_300, 80, 1)).toBe(28.8); // 28.75: the float rounds to 28.7
    expect(roundRatio(34_425_000, 2_550_000)).toBe(14); // 13.5
    expect(roundRatio(1_005, 1_000, 2)).toBe(1.01);
    expect(roundRatio(-5, 2)).toBe(-3);
    expect(roundRatio(5, 2)).toBe(3);
  });

  it("rounds below and above a tie to the nearer side", () => {
    expect(roundRatio(344_249, 10_000, 2)).toBe(34.42);
    expect(roundRatio(344_251, 10_000, 2)).toBe(34.43);
    expect(roundRatio(1_462_849, 10_000, 2)).toBe(146.28);
  });

  it("stays exact past 2^53", () => {
    // (2^53 + 1) / 2 = 4503599627370496.5 exactly: a tie that a double cannot even hold.
    expect(roundRatio(2n ** 53n + 1n, 2n)).toBe(4_503_599_627_370_497);
    expect(roundRatio(2n ** 60n * 5n + 1n, 10n * 2n ** 60n, 1)).toBe(0.5);
  });

  it("refuses what is not an exact ratio", () => {
    expect(() => roundRatio(0.5, 1)).toThrow(RangeError);
    expect(() => roundRatio(1, 0)).toThrow(RangeError);
    expect(() => roundRatio(2 ** 53, 1)).toThrow(RangeError);
  });

  it("agrees with an independent oracle on any ratio, ties included", () => {
    const ratio = fc.record({
      num: fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
      den: fc.bigInt({ min: 1n, max: 10n ** 12n }),
      decimals: fc.integer({ min: 0, max: 3 }),
    });
    // Half the cases are ties by construction: num / den = (2k + 1) / (2 · 10^d).
    const tie = fc
      .record({ k: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), decimals: fc.integer({ min: 0, max: 3 }) })
      .chain(({ k, decimals }) =>
        fc.bigInt({ min: 1n, max: 1000n }).map((m) => ({
          num: (2n * k + 1n) * m,
          den: 2n * 10n ** BigInt(decimals) * m,
          decimals,
        })),
      );
    fc.assert(
      fc.property(fc.oneof(ratio, tie), ({ num, den, decimals }) => {
        expect(roundRatio(num, den, decimals)).toBe(Number(oracle(num, den, decimals)));
      }),
      { numRuns: 2000 },
    );
  });
});
