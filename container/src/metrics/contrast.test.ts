import { describe, expect, it } from "vitest";
import { contrast } from "./contrast.ts";
import { lumaPlane } from "./planes.ts";

/** A luma plane from grey levels 0–255. */
const grey = (...levels: number[]) => Uint32Array.from(levels, (v) => v * 10_000);

describe("contrast", () => {
  it("is 0 everywhere on a flat image", () => {
    const c = contrast(grey(...Array(100).fill(77)), null, 100);
    expect(c).toEqual({
      rms: 0,
      score: 0,
      p5: 77,
      p95: 77,
      range: 0,
      clipped_shadows_percent: 0,
      clipped_highlights_percent: 0,
    });
  });

  it("scores a half-black, half-white image 100, with rms 127.5 and half of it clipped each way", () => {
    const c = contrast(grey(...Array(50).fill(0), ...Array(50).fill(255)), null, 100);
    expect(c?.rms).toBe(127.5);
    expect(c?.score).toBe(100);
    expect(c?.p5).toBe(0);
    expect(c?.p95).toBe(255);
    expect(c?.range).toBe(255);
    expect(c?.clipped_shadows_percent).toBe(50);
    expect(c?.clipped_highlights_percent).toBe(50);
  });

  it("takes percentiles as numpy's linear method does on equal weights", () => {
    // 0…100: p5 at position 5, p95 at 95.
    const ramp = grey(...Array.from({ length: 101 }, (_, i) => i));
    expect(contrast(ramp, null, 101)).toMatchObject({ p5: 5, p95: 95, range: 90 });
    // Two pixels: p5 = 0 + 0.05·255, p95 = 0 + 0.95·255.
    expect(contrast(grey(0, 255), null, 2)).toMatchObject({ p5: 12.75, p95: 242.25, range: 229.5 });
  });

  it("counts the clipping thresholds inclusively: ≤ 2 and ≥ 253", () => {
    const c = contrast(grey(2, 3, 252, 253), null, 4);
    expect(c?.clipped_shadows_percent).toBe(25);
    expect(c?.clipped_highlights_percent).toBe(25);
  });

  it("weights each pixel by its alpha, as w copies", () => {
    // 10 at weight 3 and 250 at weight 1: copies 10,10,10,250 → mean 70, σ = √(3·60² + 180²)/2 = 103.92.
    const c = contrast(grey(10, 250, 99), Uint8Array.of(3, 1, 0), 3);
    expect(c?.rms).toBeCloseTo(103.92, 2);
    expect(c?.p5).toBe(10); // position 0.15 between two copies of 10
    expect(c?.p95).toBe(10 + 0.85 * 240); // position 2.85 between 10 and 250
  });

  it("is null when no pixel is visible", () => {
    expect(contrast(grey(10, 20), Uint8Array.of(0, 0), 2)).toBeNull();
  });

  it("uses the exact Rec. 709 luma of RGB pixels", () => {
    const luma = lumaPlane({ data: Uint8Array.of(255, 0, 0, 0, 255, 0), width: 2, height: 1, channels: 3 });
    const c = contrast(luma, null, 2);
    // Luma 54.213 and 182.376: σ = 64.0815.
    expect(c?.rms).toBe(64.08);
    expect(c?.score).toBe(50);
  });
});
