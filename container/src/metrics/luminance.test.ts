import { describe, expect, it } from "vitest";
import { brightnessScore, round } from "./luminance.ts";

describe("brightnessScore", () => {
  it("maps 0 → 0, 255 → 100 and mid-grey 128 → 50", () => {
    expect(brightnessScore(0)).toBe(0);
    expect(brightnessScore(255)).toBe(100);
    expect(brightnessScore(128)).toBe(50);
  });
});

describe("round", () => {
  it("rounds half away from zero despite binary error", () => {
    expect(round(1.005, 2)).toBe(1.01);
    expect(round(146.2849, 2)).toBe(146.28);
    expect(round(0.05, 1)).toBe(0.1);
  });
});
