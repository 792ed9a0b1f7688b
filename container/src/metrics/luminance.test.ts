import { describe, expect, it } from "vitest";
import { averageLuma, brightnessScore, lumaAt, type Pixels, round } from "./luminance.ts";

function uniform(width: number, height: number, channels: number, value: readonly number[]): Pixels {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = value[i % channels] as number;
  return { data, width, height, channels };
}

describe("averageLuma", () => {
  it("is 255 for pure white and 0 for pure black", () => {
    expect(averageLuma(uniform(4, 3, 3, [255, 255, 255]))).toBe(255);
    expect(averageLuma(uniform(4, 3, 3, [0, 0, 0]))).toBe(0);
  });

  it("is the grey value itself for a grey image, in RGB and in one channel", () => {
    expect(averageLuma(uniform(2, 2, 3, [100, 100, 100]))).toBeCloseTo(100, 10);
    expect(averageLuma(uniform(2, 2, 1, [100]))).toBe(100);
  });

  it("weights channels as Rec. 709: green > red > blue", () => {
    const red = averageLuma(uniform(1, 1, 3, [255, 0, 0]));
    const green = averageLuma(uniform(1, 1, 3, [0, 255, 0]));
    const blue = averageLuma(uniform(1, 1, 3, [0, 0, 255]));
    expect(red).toBeCloseTo(0.2126 * 255, 10);
    expect(green).toBeCloseTo(0.7152 * 255, 10);
    expect(blue).toBeCloseTo(0.0722 * 255, 10);
  });

  it("averages over all pixels: half black, half white is 127.5", () => {
    const data = Uint8Array.of(0, 0, 0, 255, 255, 255);
    expect(averageLuma({ data, width: 2, height: 1, channels: 3 })).toBe(127.5);
  });

  it("refuses an image with no pixels", () => {
    expect(() => averageLuma({ data: new Uint8Array(0), width: 0, height: 0, channels: 3 })).toThrow(RangeError);
  });
});

describe("lumaAt", () => {
  it("is exact in integers scaled by 10 000", () => {
    expect(lumaAt(uniform(1, 1, 3, [1, 2, 3]), 0)).toBe(2126 + 2 * 7152 + 3 * 722);
  });
});

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
  });
});
