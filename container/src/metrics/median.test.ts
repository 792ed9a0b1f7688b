import { describe, expect, it } from "vitest";
import { weightedMedian } from "./median.ts";

describe("weightedMedian", () => {
  it("is the ordinary median with a constant weight", () => {
    expect(weightedMedian(Uint32Array.of(1, 5, 3), 1)).toBe(3);
    expect(weightedMedian(Uint32Array.of(1, 5, 3, 7), 255)).toBe(4);
  });

  it("counts a weight of w as w copies", () => {
    expect(weightedMedian(Uint32Array.of(1, 9), Uint8Array.of(3, 1))).toBe(1);
    expect(weightedMedian(Uint32Array.of(1, 9), Uint8Array.of(1, 1))).toBe(5);
  });

  it("finds values far apart, in different coarse bins", () => {
    expect(weightedMedian(Uint32Array.of(0, 2_550_000), 1)).toBe(1_275_000);
  });

  it("is NaN when nothing has weight", () => {
    expect(weightedMedian(Uint32Array.of(4, 8), Uint8Array.of(0, 0))).toBeNaN();
  });
});
