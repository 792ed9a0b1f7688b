import { describe, expect, it } from "vitest";
import { BLURRY_BELOW, SHARPNESS_FULL, sharpness, sharpnessScore } from "./sharpness.ts";

describe("sharpness score and blurry flag", () => {
  it("scores 0 for a flat image, 50 at the blurry threshold, 100 from SHARPNESS_FULL up", () => {
    expect(sharpnessScore(0)).toBe(0);
    expect(sharpnessScore(BLURRY_BELOW)).toBe(50);
    expect(sharpnessScore(SHARPNESS_FULL)).toBe(100);
    expect(sharpnessScore(1e6)).toBe(100);
  });

  it("is monotone in the variance", () => {
    let last = -1;
    for (let v = 0.01; v < 5000; v *= 1.1) {
      const score = sharpnessScore(v);
      expect(score).toBeGreaterThanOrEqual(last);
      last = score;
    }
  });

  it("calls an image blurry below the calibrated variance, and not at it", () => {
    const stats = (v: number) => ({ laplacianVariance: v, edgeWeight: 0, totalWeight: 1 });
    expect(sharpness(stats(BLURRY_BELOW - 0.01))?.blurry).toBe(true);
    expect(sharpness(stats(BLURRY_BELOW))?.blurry).toBe(false);
    // The calibration's extremes (docs/METRICS.md): σ = 2 at most 7.06, σ = 0.5 at least 18.09.
    expect(sharpness(stats(7.06))).toEqual({ laplacian_variance: 7.06, score: 45, blurry: true });
    expect(sharpness(stats(18.09))).toEqual({ laplacian_variance: 18.09, score: 56, blurry: false });
  });
});
