import { describe, expect, it } from "vitest";
import { lstar, rec709, relativeLuminance } from "../../test/reference/scales.ts";
import { linearToSrgb, linearToSrgb8, lstarOfY, SCALES, SRGB8_TO_LINEAR, scalePlane, srgbToLinear } from "./scales.ts";

describe("sRGB decoding", () => {
  it("is linear below the 0.04045 threshold and a 2.4 power above", () => {
    expect(srgbToLinear(0.04045)).toBeCloseTo(0.04045 / 12.92, 12);
    expect(srgbToLinear(0.5)).toBeCloseTo(0.214041140482, 12);
    expect(SRGB8_TO_LINEAR[0]).toBe(0);
    expect(SRGB8_TO_LINEAR[255]).toBe(1);
    expect(SRGB8_TO_LINEAR[10]).toBeCloseTo(10 / 255 / 12.92, 12); // 0.0392 < 0.04045
  });

  it("round-trips every 8-bit value through linear light", () => {
    for (let v = 0; v <= 255; v++) {
      expect(linearToSrgb8(SRGB8_TO_LINEAR[v] as number)).toBe(v);
      expect(linearToSrgb(srgbToLinear(v / 255))).toBeCloseTo(v / 255, 12);
    }
  });
});

describe("relative luminance (WCAG 2)", () => {
  it("is 0.2158605 for #808080, 1 for white, 0 for black", () => {
    expect(relativeLuminance(128, 128, 128)).toBeCloseTo(0.2158605, 7);
    expect(relativeLuminance(255, 255, 255)).toBeCloseTo(1, 12);
    expect(relativeLuminance(0, 0, 0)).toBe(0);
  });

  it("weights the primaries 0.2126, 0.7152, 0.0722", () => {
    expect(relativeLuminance(255, 0, 0)).toBeCloseTo(0.2126, 12);
    expect(relativeLuminance(0, 255, 0)).toBeCloseTo(0.7152, 12);
    expect(relativeLuminance(0, 0, 255)).toBeCloseTo(0.0722, 12);
  });
});

describe("CIE L*", () => {
  it("is 53.585 for #808080, 49.496 for Y = 0.18, 100 for white, 50 at Y = 0.18419", () => {
    expect(lstar(128, 128, 128)).toBeCloseTo(53.585, 3);
    expect(lstarOfY(0.18)).toBeCloseTo(49.496, 3);
    expect(lstarOfY(1)).toBeCloseTo(100, 12);
    expect(lstarOfY(0.184187)).toBeCloseTo(50, 3);
  });

  it("is continuous at the (6/29)³ joint and linear below it", () => {
    const joint = (6 / 29) ** 3;
    expect(lstarOfY(joint)).toBeCloseTo(8, 10);
    expect(lstarOfY(joint * (1 + 1e-12))).toBeCloseTo(8, 8);
    expect(lstarOfY(0.001)).toBeCloseTo(0.903296, 5);
  });
});

describe("scalePlane", () => {
  const px = (data: number[], channels: number) => ({
    data: Uint8Array.from(data),
    width: data.length / channels,
    height: 1,
    channels,
  });

  it("gives each scale's value × its unit: rec709 luma, 100·Y and L*", () => {
    const image = px([128, 128, 128, 255, 0, 0, 0, 0, 0, 255, 255, 255], 3);
    expect(Array.from(scalePlane(image, "rec709"))).toEqual([1_280_000, 542_130, 0, 2_550_000]);
    const lum = Array.from(scalePlane(image, "luminance"), (v) => v / SCALES.luminance.unit);
    expect(lum[0]).toBeCloseTo(21.58605, 4);
    expect(lum[0]).toBe(442_082 / SCALES.luminance.unit); // 21.5860501 × 20 480 = 442 082.3
    expect(lum[1]).toBeCloseTo(21.26, 4);
    expect(lum[3]).toBe(100);
    const ls = Array.from(scalePlane(image, "lstar"), (v) => v / SCALES.lstar.unit);
    expect(ls[0]).toBeCloseTo(53.585, 3);
    expect(ls[1]).toBeCloseTo(lstar(255, 0, 0), 4);
    expect(ls[2]).toBe(0);
    expect(ls[3]).toBe(100);
  });

  it("gives a grey image (1 or 2 channels) the values of the same RGB grey", () => {
    for (const algorithm of ["rec709", "luminance", "lstar"] as const) {
      const grey = scalePlane(px([0, 37, 128, 255], 1), algorithm);
      const greyAlpha = scalePlane(px([0, 9, 37, 9, 128, 9, 255, 9], 2), algorithm);
      const rgb = scalePlane(px([0, 0, 0, 37, 37, 37, 128, 128, 128, 255, 255, 255], 3), algorithm);
      expect(Array.from(grey)).toEqual(Array.from(rgb));
      expect(Array.from(greyAlpha)).toEqual(Array.from(rgb));
    }
  });

  it("makes a histogram bucket a whole number of 2048-wide bins: 25.6 on rec709 (v1's), 10 on 0–100", () => {
    expect((25.6 * SCALES.rec709.unit) % 2048).toBe(0);
    expect((10 * SCALES.luminance.unit) % 2048).toBe(0);
    expect((10 * SCALES.lstar.unit) % 2048).toBe(0);
  });

  it("is within one unit of the exact value for every grey and for 20 000 colours", () => {
    const data = new Uint8Array(3 * (20_000 + 256));
    let state = 7;
    for (let i = 0; i < 60_000; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      data[i] = state >>> 24;
    }
    for (let v = 0; v < 256; v++) data.fill(v, 60_000 + 3 * v, 60_003 + 3 * v);
    const image = { data, width: data.length / 3, height: 1, channels: 3 };
    const luminance = scalePlane(image, "luminance");
    const ls = scalePlane(image, "lstar");
    for (let i = 0; i < image.width; i++) {
      const [r, g, b] = [data[3 * i] as number, data[3 * i + 1] as number, data[3 * i + 2] as number];
      const y = relativeLuminance(r, g, b);
      expect(Math.abs((luminance[i] as number) - 100 * y * SCALES.luminance.unit)).toBeLessThanOrEqual(1);
      expect(Math.abs((ls[i] as number) - lstar(r, g, b) * SCALES.lstar.unit)).toBeLessThanOrEqual(1);
    }
  });

  it("keeps rec709's numbers as v1's", () => {
    expect(rec709(148, 0, 41)).toBeCloseTo(34.425, 12);
  });
});
