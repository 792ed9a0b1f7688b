import { describe, expect, it } from "vitest";
import { brightnessScore, roundDuration } from "./luminance.ts";

describe("brightnessScore", () => {
  it("maps 0 → 0, 255 → 100 and mid-grey 128 → 50", () => {
    expect(brightnessScore({ num: 0, den: 1 })).toBe(0);
    expect(brightnessScore({ num: 255, den: 1 })).toBe(100);
    expect(brightnessScore({ num: 128, den: 1 })).toBe(50);
  });

  it("rounds an exact half up: rgb(148,0,41) has luma 34.425, a score of 13.5 exactly", () => {
    expect(brightnessScore({ num: 344_250, den: 10_000 })).toBe(14);
    expect(brightnessScore({ num: 344_249, den: 10_000 })).toBe(13);
  });
});

describe("roundDuration", () => {
  it("rounds a measured time to the given places", () => {
    expect(roundDuration(12.3456, 1)).toBe(12.3);
    expect(roundDuration(146.2849, 2)).toBe(146.28);
    expect(roundDuration(7.6)).toBe(8);
  });
});
