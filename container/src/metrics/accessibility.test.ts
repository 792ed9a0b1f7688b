import { describe, expect, it } from "vitest";
import { BLUE_YELLOW, RED_GREEN, stripes } from "../../test/golden-v3/accessibility/pixels.ts";
import {
  accessibility,
  DEFICIENCIES,
  leastDistinguishable,
  lowHighPercentiles,
  MACHADO_2009,
  simulateColour,
  simulatedLuminance,
  simulationTables,
  worstContrast,
} from "./accessibility.ts";
import { hexOf } from "./colors.ts";
import { Y14, Y14_MAX } from "./overlay.ts";
import type { PixelImage } from "./planes.ts";
import { SRGB8_TO_LINEAR } from "./scales.ts";

/** Random RGB pixels from a fixed seed, a third of them saturated (each channel 0 or 255 ± a little). */
function randomPixels(count: number, channels = 3): PixelImage {
  const data = new Uint8Array(count * channels);
  let state = 11;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 24;
  };
  for (let i = 0; i < count; i++) {
    const saturated = i % 3 === 0;
    for (let c = 0; c < 3; c++) {
      const v = next();
      data[i * channels + c] = saturated ? (v < 128 ? v % 6 : 255 - (v % 6)) : v;
    }
    if (channels === 4) data[i * 4 + 3] = next();
  }
  return { data, width: count, height: 1, channels };
}

/** The luminance of a colour under a deficiency, every channel clipped, in floats: relative luminance 0–1. */
function floatLuminance(deficiency: (typeof DEFICIENCIES)[number], r: number, g: number, b: number): number {
  const lin = [r, g, b].map((v) => SRGB8_TO_LINEAR[v] as number) as [number, number, number];
  const weights = [0.2126, 0.7152, 0.0722];
  return MACHADO_2009[deficiency].reduce(
    (sum, [mr, mg, mb], c) =>
      sum + (weights[c] as number) * Math.min(1, Math.max(0, mr * lin[0] + mg * lin[1] + mb * lin[2])),
    0,
  );
}

const dominantOf = (colours: ReadonlyArray<readonly number[]>, percents: number[]) =>
  colours.map((rgb, i) => ({ hex: hexOf(rgb), rgb: [...rgb], percent: percents[i] as number }));

describe("the Machado 2009 matrices", () => {
  it("keep black, white and greys: each row sums to 1 within 10⁻⁶", () => {
    for (const deficiency of DEFICIENCIES) {
      for (const row of MACHADO_2009[deficiency]) expect(Math.abs(row[0] + row[1] + row[2] - 1)).toBeLessThan(1.5e-6);
      expect(simulateColour(deficiency, [0, 0, 0])).toEqual([0, 0, 0]);
      expect(simulateColour(deficiency, [255, 255, 255])).toEqual([255, 255, 255]);
      expect(simulateColour(deficiency, [128, 128, 128])).toEqual([128, 128, 128]);
    }
  });

  it("simulate the primaries as colorspacious does (cvd_space, severity 100, clipped, rounded)", () => {
    // From colorspacious 0.19.3: cspace_convert(rgb / 255, {"name": "sRGB1+CVD", …}, "sRGB1"), clipped, × 255.
    const want = {
      protanopia: [
        [109, 95, 0],
        [255, 229, 0],
        [0, 89, 255],
        [255, 244, 0],
      ],
      deuteranopia: [
        [163, 144, 0],
        [239, 214, 58],
        [0, 61, 251],
        [255, 250, 49],
      ],
      tritanopia: [
        [255, 0, 15],
        [0, 247, 217],
        [0, 107, 150],
        [255, 238, 217],
      ],
    };
    const inputs = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [255, 255, 0],
    ];
    for (const deficiency of DEFICIENCIES) {
      expect(inputs.map((rgb) => simulateColour(deficiency, rgb))).toEqual(want[deficiency]);
    }
  });
});

describe("the simulated luminance pass", () => {
  it("is exactly the histogram of every pixel with every channel clipped (the cells miss no clipping)", () => {
    const pixels = randomPixels(40_000);
    const { histograms, total, unit } = simulatedLuminance(pixels, undefined, 1);
    expect([total, unit]).toEqual([40_000, 1]);
    const { channel, clip } = simulationTables([
      MACHADO_2009.protanopia,
      MACHADO_2009.deuteranopia,
      MACHADO_2009.tritanopia,
    ]);
    const want = [0, 1, 2].map(() => new Uint32Array(Y14_MAX + 1));
    for (let i = 0; i < 40_000; i++) {
      const [r, g, b] = [pixels.data[i * 3], pixels.data[i * 3 + 1], pixels.data[i * 3 + 2]] as [
        number,
        number,
        number,
      ];
      for (let d = 0; d < 3; d++) {
        let y = 0;
        for (let c = 0; c < 3; c++) {
          const k = d * 3 + c;
          const x =
            (channel[0][r * 9 + k] as number) + (channel[1][g * 9 + k] as number) + (channel[2][b * 9 + k] as number);
          y += Math.min(clip[k] as number, Math.max(0, x));
        }
        (want[d] as Uint32Array)[y] = ((want[d] as Uint32Array)[y] as number) + 1;
      }
    }
    expect(histograms).toEqual(want);
  });

  it("is exactly clipping every channel on a 52³ grid of colours too (every cell's clip states right)", () => {
    const levels = Array.from({ length: 52 }, (_, i) => i * 5);
    const data = new Uint8Array(52 ** 3 * 3);
    let o = 0;
    for (const r of levels) for (const g of levels) for (const b of levels) data.set([r, g, b], o++ * 3);
    const { histograms } = simulatedLuminance({ data, width: 52 ** 2, height: 52, channels: 3 }, undefined, 1);
    const want = [0, 1, 2].map(() => new Uint32Array(Y14_MAX + 1));
    const { channel, clip } = simulationTables([
      MACHADO_2009.protanopia,
      MACHADO_2009.deuteranopia,
      MACHADO_2009.tritanopia,
    ]);
    for (let i = 0; i < 52 ** 3; i++) {
      const [r, g, b] = [data[i * 3], data[i * 3 + 1], data[i * 3 + 2]] as [number, number, number];
      for (let d = 0; d < 3; d++) {
        let y = 0;
        for (let k = d * 3; k < d * 3 + 3; k++) {
          const x =
            (channel[0][r * 9 + k] as number) + (channel[1][g * 9 + k] as number) + (channel[2][b * 9 + k] as number);
          y += Math.min(clip[k] as number, Math.max(0, x));
        }
        (want[d] as Uint32Array)[y] = ((want[d] as Uint32Array)[y] as number) + 1;
      }
    }
    expect(histograms).toEqual(want);
  });

  it("counts each pixel's luminance within 4.5 units of 1/16 383 of the float computation (9 rounded entries)", () => {
    const pixels = randomPixels(3_000);
    for (const [d, deficiency] of DEFICIENCIES.entries()) {
      for (let i = 0; i < 3_000; i++) {
        const one = { data: pixels.data.subarray(i * 3, i * 3 + 3), width: 1, height: 1, channels: 3 };
        const y = (simulatedLuminance(one).histograms[d] as Uint32Array).findIndex((n) => n > 0);
        const [r, g, b] = one.data as unknown as [number, number, number];
        expect(Math.abs(y - floatLuminance(deficiency, r, g, b) * Y14_MAX)).toBeLessThanOrEqual(4.5);
      }
    }
  });

  it("with identity matrices is overlay's Y14 histogram", () => {
    const identity = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ] as const;
    const pixels = randomPixels(5_000);
    const { histograms } = simulatedLuminance(pixels, simulationTables([identity, identity, identity]), 1);
    const want = new Uint32Array(Y14_MAX + 1);
    const [yr, yg, yb] = Y14;
    for (let i = 0; i < 5_000; i++) {
      const y =
        (yr[pixels.data[i * 3] as number] as number) +
        (yg[pixels.data[i * 3 + 1] as number] as number) +
        (yb[pixels.data[i * 3 + 2] as number] as number);
      want[y] = (want[y] as number) + 1;
    }
    for (const histogram of histograms) expect(histogram).toEqual(want);
  });

  it("weights pixels by alpha, ignores transparent ones, and counts an opaque RGBA image as its RGB", () => {
    const rgba = randomPixels(2_000, 4);
    const { histograms, total, unit } = simulatedLuminance(rgba, undefined, 1);
    let weight = 0;
    for (let i = 0; i < 2_000; i++) weight += rgba.data[i * 4 + 3] as number;
    expect([total, unit]).toEqual([weight, 1]);
    expect(histograms[0].reduce((s, n) => s + n, 0)).toBe(weight);

    const rgb = randomPixels(2_000);
    const opaque = new Uint8Array(8_000);
    for (let i = 0; i < 2_000; i++) opaque.set([...rgb.data.subarray(i * 3, i * 3 + 3), 255], i * 4);
    const asRgba = simulatedLuminance({ ...rgb, data: opaque, channels: 4 }, undefined, 1);
    expect([asRgba.total, asRgba.unit]).toEqual([2_000, 255]);
    expect(asRgba.histograms.map((h) => h.map((n) => n / 255))).toEqual(
      simulatedLuminance(rgb, undefined, 1).histograms,
    );
  });

  it("counts a grey image (1 or 2 channels) as the same greys in RGB", () => {
    const levels = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);
    const rgb = new Uint8Array(900);
    for (let i = 0; i < 300; i++) rgb.fill(levels[i] as number, i * 3, i * 3 + 3);
    const grey = simulatedLuminance({ data: levels, width: 300, height: 1, channels: 1 }, undefined, 1);
    expect(grey.histograms).toEqual(
      simulatedLuminance({ data: rgb, width: 300, height: 1, channels: 3 }, undefined, 1).histograms,
    );
  });

  it("counts by default the quarter at even x and even y: the pixels of every other row and column, from the first", () => {
    for (const channels of [1, 2, 3, 4]) {
      const width = 37;
      const height = 21;
      const pixels = randomPixels(width * height, Math.max(3, channels));
      const data = channels < 3 ? pixels.data.filter((_, i) => i % 3 < channels) : pixels.data;
      const image = { data, width, height, channels };
      const quarter = new Uint8Array(19 * 11 * channels);
      for (let y = 0; y < height; y += 2) {
        for (let x = 0; x < width; x += 2) {
          const from = (y * width + x) * channels;
          quarter.set(data.subarray(from, from + channels), ((y / 2) * 19 + x / 2) * channels);
        }
      }
      const got = simulatedLuminance(image);
      const want = simulatedLuminance({ data: quarter, width: 19, height: 11, channels }, undefined, 1);
      expect(got.step).toBe(2);
      expect([got.total, got.unit]).toEqual([want.total, want.unit]);
      expect(got.histograms).toEqual(want.histograms);
    }
  });

  it("counts every pixel when none of the quarter is visible", () => {
    // 2 × 2 RGBA: only the pixel at (1, 1) is visible.
    const data = new Uint8Array(16);
    data.set([200, 10, 10, 255], 12);
    const got = simulatedLuminance({ data, width: 2, height: 2, channels: 4 });
    expect([got.step, got.total, got.unit]).toEqual([1, 255, 1]);
    expect(accessibility({ data, width: 2, height: 2, channels: 4 }, [], "#FFFFFF").protanopia.text_color).toBe(
      "#FFFFFF",
    );
  });

  it("refuses what is not 1–4 channels of the size given, in words", () => {
    expect(() => simulatedLuminance({ data: new Uint8Array(10), width: 1, height: 2, channels: 5 })).toThrow(
      "Expected 1–4 channels for accessibility but received 5",
    );
    expect(() => simulatedLuminance({ data: new Uint8Array(5), width: 2, height: 1, channels: 3 })).toThrow(
      "Expected 6 bytes for accessibility's 2×1×3 pixels but received 5",
    );
    expect(() =>
      simulatedLuminance({ data: new Uint8Array(3), width: 1, height: 1, channels: 3 }, undefined, 0),
    ).toThrow("Expected a whole number of pixels ≥ 1 for accessibility's step but received 0");
  });
});

describe("least distinguishable pair and contrast", () => {
  it("is the pair with the smallest CIEDE2000, the first in order on a tie, null under two colours", () => {
    expect(
      leastDistinguishable([
        [255, 0, 0],
        [0, 0, 255],
        [250, 0, 0],
      ]),
    ).toMatchObject({ first: 0, second: 2 });
    expect(
      leastDistinguishable([
        [10, 10, 10],
        [10, 10, 10],
        [10, 10, 10],
      ]),
    ).toEqual({ first: 0, second: 1, deltaE: 0 });
    expect(leastDistinguishable([[1, 2, 3]])).toBeNull();
    expect(leastDistinguishable([])).toBeNull();
  });

  it("takes the 10th and 90th percentiles as overlay does: position p·(W − 1)/100, linear between copies", () => {
    // Ten pixels at Y14 0, 100, …, 900: p10 at position 0.9 (0 + 0.9 × 100), p90 at 8.1 (800 + 0.1 × 100).
    const histogram = new Uint32Array(Y14_MAX + 1);
    for (let i = 0; i < 10; i++) histogram[i * 100] = 1;
    const [low, high] = lowHighPercentiles(histogram, 10, 1);
    expect(low * Y14_MAX).toBeCloseTo(90, 9);
    expect(high * Y14_MAX).toBeCloseTo(810, 9);
    // The same weighted by 255 (unit 255), and one value only, and the top bin.
    const weighted = histogram.map((n) => n * 255);
    expect(lowHighPercentiles(weighted, 10, 255)).toEqual([low, high]);
    const single = new Uint32Array(Y14_MAX + 1);
    single[Y14_MAX] = 7;
    expect(lowHighPercentiles(single, 7, 1)).toEqual([1, 1]);
  });

  it("takes black text against p10 and white against p90, rounded down to 2 decimals", () => {
    expect(worstContrast("#000000", 0.2, 0.9)).toBe(5);
    expect(worstContrast("#FFFFFF", 0.2, 0.9)).toBe(1.1);
    expect(worstContrast("#000000", 1, 1)).toBe(21);
    expect(worstContrast("#FFFFFF", 0, 0)).toBe(21);
    // (0.175 + 0.05) / 0.05 = 4.5 exactly, computed as 4.4999…: still AA.
    expect(worstContrast("#000000", 0.175, 1)).toBe(4.5);
    expect(worstContrast("#000000", 0.1749, 1)).toBe(4.49);
  });
});

describe("accessibility", () => {
  it("merges red and green for deuteranopia (ΔE00 0.14), not for normal vision (68.9)", () => {
    const got = accessibility(stripes(RED_GREEN), dominantOf(RED_GREEN, [50, 33.33, 16.67]), "#FFFFFF");
    expect(got.deuteranopia.least_distinguishable?.colors).toEqual(["#91822B", "#91822C"]);
    expect(got.deuteranopia.least_distinguishable?.delta_e).toBe(0.14);
    expect(got.deuteranopia.dominant.map(({ percent }) => percent)).toEqual([50, 33.33, 16.67]);
    expect(leastDistinguishable(RED_GREEN.slice(0, 2))?.deltaE).toBeGreaterThan(60);
    // Protanopia darkens the red: the pair stays apart.
    expect(got.protanopia.least_distinguishable?.delta_e).toBeGreaterThan(15);
  });

  it("brings blue and yellow closest for tritanopia (ΔE00 70 → 25), not for the other two (about 45 apart at least)", () => {
    const got = accessibility(stripes(BLUE_YELLOW), dominantOf(BLUE_YELLOW, [50, 33.33, 16.67]), "#FFFFFF");
    expect(got.tritanopia.least_distinguishable).toEqual({ colors: ["#41819B", "#94877B"], delta_e: 25.26 });
    expect(got.protanopia.least_distinguishable?.colors[0]).not.toBe("#41819B");
    expect(got.deuteranopia.least_distinguishable?.delta_e).toBeGreaterThan(40);
  });

  it("keeps the advised text colour and rates it over the simulated image", () => {
    // Half pure green, half black: for normal vision p90 is green's luminance 0.7152; deuteranopia's green is
    // #EFD63A, luminance 0.6685, so white text reads a little better over it.
    const data = new Uint8Array(200 * 3);
    for (let i = 100; i < 200; i++) data[i * 3 + 1] = 255;
    const got = accessibility({ data, width: 200, height: 1, channels: 3 }, dominantOf([[0, 255, 0]], [50]), "#FFFFFF");
    for (const deficiency of DEFICIENCIES) {
      expect(got[deficiency].text_color).toBe("#FFFFFF");
      expect(got[deficiency].least_distinguishable).toBeNull();
      expect(got[deficiency].wcag_aa).toBe(got[deficiency].contrast_ratio >= 4.5);
    }
    const y = floatLuminance("deuteranopia", 0, 255, 0);
    expect(Math.abs(got.deuteranopia.contrast_ratio - 1.05 / (y + 0.05))).toBeLessThan(0.011);
    expect(got.deuteranopia.contrast_ratio).toBeGreaterThan(1.05 / (0.7152 + 0.05));
  });

  it("refuses an image with no visible pixel", () => {
    const data = new Uint8Array(8);
    expect(() => accessibility({ data, width: 2, height: 1, channels: 4 }, [], "#000000")).toThrow(
      "Expected a visible pixel for accessibility but received none",
    );
  });
});
