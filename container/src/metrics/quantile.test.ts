import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { weightedPercentiles } from "../../test/reference/quantile.ts";

/** The obvious way: w copies of each value, sorted, position p·(W − 1)/100 interpolated linearly. */
function oracle(values: number[], weights: number[] | null, p: number): number {
  const copies: number[] = [];
  values.forEach((v, i) => {
    for (let k = 0; k < (weights ? (weights[i] as number) : 1); k++) copies.push(v);
  });
  copies.sort((a, b) => a - b);
  const pos = (p * (copies.length - 1)) / 100;
  const low = Math.floor(pos);
  const high = Math.ceil(pos);
  return (copies[low] as number) + (pos - low) * ((copies[high] as number) - (copies[low] as number));
}

describe("weightedPercentiles", () => {
  it("is the median's method at p = 50: the middle value, or the mean of the two middle ones", () => {
    expect(weightedPercentiles(Uint32Array.of(10, 200, 30), null, 3, 1, [50], 255)).toEqual([{ num: 3000, den: 100 }]);
    expect(weightedPercentiles(Uint32Array.of(10, 20, 30, 250), null, 4, 1, [50], 255)).toEqual([
      { num: 2500, den: 100 },
    ]);
  });

  it("is empty when no weight is left", () => {
    expect(weightedPercentiles(Uint32Array.of(1, 2), Uint8Array.of(0, 0), 2, 1, [5], 255)).toEqual([]);
  });

  it("agrees with the sorted copies on any plane, weights and range", () => {
    const input = fc.record({
      values: fc.array(fc.integer({ min: 0, max: 2_550_000 }), { minLength: 1, maxLength: 60 }),
      weighted: fc.boolean(),
      seed: fc.integer({ min: 0, max: 1000 }),
      p: fc.integer({ min: 0, max: 100 }),
      q: fc.integer({ min: 0, max: 100 }),
    });
    fc.assert(
      fc.property(input, ({ values, weighted, seed, p, q }) => {
        const weights = weighted ? values.map((_, i) => ((i * 37 + seed) % 7) * 40) : null;
        if (weights && !weights.some((w) => w > 0)) weights[0] = 1;
        const got = weightedPercentiles(
          Uint32Array.from(values),
          weights ? Uint8Array.from(weights) : null,
          values.length,
          1,
          [p, q],
          2_550_000,
        );
        expect((got[0]?.num ?? 0) / 100).toBeCloseTo(oracle(values, weights, p), 6);
        expect((got[1]?.num ?? 0) / 100).toBeCloseTo(oracle(values, weights, q), 6);
      }),
      { numRuns: 500 },
    );
  });
});
