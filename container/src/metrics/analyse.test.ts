import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Algorithm, EdgeMode } from "../../../contract/analysis.ts";
import { bucketOf } from "../../test/reference/histogram.ts";
import { lstar, relativeLuminance } from "../../test/reference/scales.ts";
import { analyse } from "./analyse.ts";
import { bandSize } from "./edges.ts";
import type { Ratio } from "./exact.ts";
import type { Pixels } from "./luminance.ts";
import { SCALES, scalePlane } from "./scales.ts";

const ALL = { median: true, histogram: true, edgeMode: null } as const;

/** A width × height image whose every pixel is `value` (one entry per channel). */
function uniform(width: number, height: number, value: readonly number[]): Pixels {
  const channels = value.length;
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = value[i % channels] as number;
  return { data, width, height, channels };
}

/** A one-channel image from rows of grey values. */
function greyRows(rows: number[][]): Pixels {
  return { data: Uint8Array.from(rows.flat()), width: rows[0]?.length ?? 0, height: rows.length, channels: 1 };
}

describe("average luma", () => {
  it("is 255 for pure white and 0 for pure black", () => {
    expect(analyse(uniform(4, 3, [255, 255, 255]), ALL).averageLuma).toBe(255);
    expect(analyse(uniform(4, 3, [0, 0, 0]), ALL).averageLuma).toBe(0);
  });

  it("is the grey value itself, in RGB and in one channel", () => {
    expect(analyse(uniform(2, 2, [100, 100, 100]), ALL).averageLuma).toBe(100);
    expect(analyse(uniform(2, 2, [100]), ALL).averageLuma).toBe(100);
  });

  it("weights channels as Rec. 709", () => {
    expect(analyse(uniform(1, 1, [255, 0, 0]), ALL).averageLuma).toBeCloseTo(54.213, 10);
    expect(analyse(uniform(1, 1, [0, 255, 0]), ALL).averageLuma).toBeCloseTo(182.376, 10);
    expect(analyse(uniform(1, 1, [0, 0, 255]), ALL).averageLuma).toBeCloseTo(18.411, 10);
  });

  it("is 127.5 for half black, half white", () => {
    expect(analyse(greyRows([[0, 255]]), ALL).averageLuma).toBe(127.5);
  });

  it("ignores fully transparent pixels and counts half-transparent ones half", () => {
    // Grey + alpha: white opaque, black transparent → only white counts.
    const grey = { data: Uint8Array.of(255, 255, 0, 0), width: 2, height: 1, channels: 2 };
    expect(analyse(grey, ALL).averageLuma).toBe(255);
    // RGBA: white opaque (255) and black at alpha 85: (255·255 + 0·85) / 340 = 191.25.
    const rgba = { data: Uint8Array.of(255, 255, 255, 255, 0, 0, 0, 85), width: 2, height: 1, channels: 4 };
    expect(analyse(rgba, ALL).averageLuma).toBe(191.25);
  });

  it("reports a total weight of 0 when no pixel is visible", () => {
    const clear = { data: Uint8Array.of(255, 255, 255, 0), width: 1, height: 1, channels: 4 };
    expect(analyse(clear, ALL).totalWeight).toBe(0);
  });
});

describe("median luma", () => {
  it("is the middle value for an odd count", () => {
    expect(analyse(greyRows([[10, 200, 30]]), ALL).medianLuma).toBe(30);
  });

  it("is the mean of the two middle values for an even count", () => {
    expect(analyse(greyRows([[10, 20, 30, 250]]), ALL).medianLuma).toBe(25);
  });

  it("works on 1×1 and 1×N images", () => {
    expect(analyse(greyRows([[77]]), ALL).medianLuma).toBe(77);
    expect(analyse(greyRows([[5], [9], [7], [1], [3]]), ALL).medianLuma).toBe(5);
  });

  it("keeps the fraction of RGB luma", () => {
    // Luma of (0,0,1) is 0.0722 and of (0,1,0) is 0.7152: the median of the two is their mean.
    const px = { data: Uint8Array.of(0, 0, 1, 0, 1, 0), width: 2, height: 1, channels: 3 };
    expect(analyse(px, ALL).medianLuma).toBeCloseTo(0.3937, 10);
  });

  it("skips transparent pixels", () => {
    const px = { data: Uint8Array.of(10, 255, 250, 0, 20, 255), width: 3, height: 1, channels: 2 };
    expect(analyse(px, ALL).medianLuma).toBe(15);
  });

  it("finds the middle of a large image with many distinct values", () => {
    const width = 1001;
    const data = new Uint8Array(width * 3);
    for (let i = 0; i < width; i++) data.set([i % 256, (i * 7) % 256, (i * 13) % 256], i * 3);
    const px = { data, width, height: 1, channels: 3 };
    const sorted = Array.from(
      { length: width },
      (_, i) => 0.2126 * (i % 256) + 0.7152 * ((i * 7) % 256) + 0.0722 * ((i * 13) % 256),
    ).sort((a, b) => a - b);
    expect(analyse(px, ALL).medianLuma).toBeCloseTo(sorted[500] as number, 8);
  });

  it("counts a weight of w as w copies", () => {
    // Grey + alpha: 1 at alpha 3 and 9 at alpha 1 → copies 1,1,1,9 → median 1; equal alphas → 5.
    expect(analyse({ data: Uint8Array.of(1, 3, 9, 1), width: 2, height: 1, channels: 2 }, ALL).medianLuma).toBe(1);
    expect(analyse({ data: Uint8Array.of(1, 7, 9, 7), width: 2, height: 1, channels: 2 }, ALL).medianLuma).toBe(5);
  });

  it("finds the two middle values when they lie in far-apart bins", () => {
    expect(analyse(greyRows([[0, 255]]), ALL).medianLuma).toBe(127.5);
    expect(analyse(greyRows([[0, 0, 255, 255, 3, 250]]), ALL).medianLuma).toBe(126.5);
  });
});

describe("histogram", () => {
  it("puts a uniform image in one bucket", () => {
    expect(analyse(uniform(3, 3, [0]), ALL).histogramPercent).toEqual([100, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(analyse(uniform(3, 3, [255]), ALL).histogramPercent).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 100]);
  });

  it("splits at the bucket boundaries 25.6·i: 25 and 26 fall apart, 230 and 231 too", () => {
    const h = analyse(greyRows([[25, 26, 230, 231]]), ALL).histogramPercent;
    expect(h).toEqual([25, 25, 0, 0, 0, 0, 0, 0, 25, 25]);
  });

  it("partitions: the shares add up to 100 on a gradient", () => {
    const px = greyRows([Array.from({ length: 256 }, (_, i) => i)]);
    const h = analyse(px, ALL).histogramPercent ?? [];
    expect(h.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 10);
    expect(h[0]).toBeCloseTo((26 / 256) * 100, 10); // 0–25
    expect(h[9]).toBeCloseTo((25 / 256) * 100, 10); // 231–255
  });
});

describe("edges", () => {
  // 10×10: a white frame one pixel thick (band = max(1, floor(10%)) = 1), black inside, and a grey (100)
  // left column so that left_right and top_bottom differ.
  const rows = Array.from({ length: 10 }, (_, y) =>
    Array.from({ length: 10 }, (_, x) => (x === 0 ? 100 : y === 0 || y === 9 || x === 9 ? 255 : 0)),
  );
  const px = greyRows(rows);

  it("left_right averages the left and right columns", () => {
    expect(analyse(px, { ...ALL, edgeMode: "left_right" }).edgeAverageLuma).toBe((10 * 100 + 10 * 255) / 20);
  });

  it("top_bottom averages the top and bottom rows", () => {
    expect(analyse(px, { ...ALL, edgeMode: "top_bottom" }).edgeAverageLuma).toBe((2 * 100 + 18 * 255) / 20);
  });

  it("all counts each border pixel once, corners included once", () => {
    // 36 border pixels: 10 in the grey column, 26 white.
    expect(analyse(px, { ...ALL, edgeMode: "all" }).edgeAverageLuma).toBe((10 * 100 + 26 * 255) / 36);
  });

  it("uses bands of floor(10%) on larger images", () => {
    // 20 wide: bands of 2 columns. Columns 0–1 are 200, the rest 0.
    const wide = greyRows([Array.from({ length: 20 }, (_, x) => (x < 2 ? 200 : 0))]);
    expect(analyse(wide, { ...ALL, edgeMode: "left_right" }).edgeAverageLuma).toBe(100);
  });

  it("is absent unless asked for", () => {
    expect(analyse(px, ALL).edgeAverageLuma).toBeUndefined();
  });

  it("counts every pixel once where the bands meet, on 1- and 2-pixel sides", () => {
    expect(analyse(greyRows([[10, 20]]), { ...ALL, edgeMode: "all" }).edgeAverageLuma).toBe(15);
    expect(analyse(greyRows([[10], [20], [60]]), { ...ALL, edgeMode: "left_right" }).edgeAverageLuma).toBe(30);
    expect(analyse(greyRows([[10], [20], [60]]), { ...ALL, edgeMode: "top_bottom" }).edgeAverageLuma).toBe(35);
  });
});

describe("the perceptual scales (algorithm=)", () => {
  const on = (algorithm: Algorithm, pixels: Pixels) => analyse(pixels, { ...ALL, edgeMode: "all", algorithm });
  /** A plane value is within one unit (1/20 480) of the exact value. */
  const UNIT = 1 / 20_480;

  it("puts black at 0 and white at 100 on both, whatever the layout", () => {
    for (const algorithm of ["luminance", "lstar"] as const) {
      for (const white of [[255], [255, 255, 255], [255, 255, 255, 255], [255, 255]]) {
        const result = on(algorithm, uniform(3, 2, white));
        expect(result.averageLuma).toBe(100);
        expect(result.medianLuma).toBe(100);
        expect(result.edgeAverageLuma).toBe(100);
        expect(result.histogramPercent?.[9]).toBe(100);
      }
      expect(on(algorithm, uniform(3, 2, [0, 0, 0])).averageLuma).toBe(0);
    }
  });

  it("gives mid-grey 128 its relative luminance (21.59 %) and its L* (53.59), not half", () => {
    expect(Math.abs((on("luminance", uniform(2, 2, [128, 128, 128])).averageLuma as number) - 21.586)).toBeLessThan(
      0.001,
    );
    expect(Math.abs((on("lstar", uniform(2, 2, [128])).averageLuma as number) - 53.585)).toBeLessThan(0.001);
    // 18 % grey (sRGB 118, Y = 0.1812) is about half as bright to a person: L* 49.64.
    expect(Math.abs((on("lstar", uniform(1, 1, [118])).averageLuma as number) - 49.637)).toBeLessThan(0.001);
  });

  it("weights channels in linear light: pure red, green and blue", () => {
    const cases: Array<[number[], number]> = [
      [[255, 0, 0], 0.2126],
      [[0, 255, 0], 0.7152],
      [[0, 0, 255], 0.0722],
    ];
    for (const [rgb, y] of cases) {
      const [r, g, b] = rgb as [number, number, number];
      expect(relativeLuminance(r, g, b)).toBeCloseTo(y, 12);
      expect(Math.abs((on("luminance", uniform(1, 1, rgb)).averageLuma as number) - 100 * y)).toBeLessThanOrEqual(UNIT);
      expect(Math.abs((on("lstar", uniform(1, 1, rgb)).averageLuma as number) - lstar(r, g, b))).toBeLessThanOrEqual(
        UNIT,
      );
    }
  });

  it("averages per-pixel values: half black, half white is 50 on both, its histogram at both ends", () => {
    for (const algorithm of ["luminance", "lstar"] as const) {
      const result = on(algorithm, greyRows([[0, 255, 0, 255]]));
      expect(result.averageLuma).toBe(50);
      expect(result.medianLuma).toBe(50);
      expect(result.histogramPercent).toEqual([50, 0, 0, 0, 0, 0, 0, 0, 0, 50]);
    }
  });

  it("buckets by tenths of the scale: L* 9.99… and 10.0… fall apart", () => {
    // sRGB 25 has L* 8.66, 28 has 10.46 (Y 0.0110); luminance 10 % is between sRGB 89 (9.96) and 90 (10.2).
    expect(on("lstar", greyRows([[25]])).histogramPercent?.indexOf(100)).toBe(0);
    expect(on("lstar", greyRows([[28]])).histogramPercent?.indexOf(100)).toBe(1);
    expect(on("luminance", greyRows([[89]])).histogramPercent?.indexOf(100)).toBe(0);
    expect(on("luminance", greyRows([[90]])).histogramPercent?.indexOf(100)).toBe(1);
  });

  it("skips transparent pixels and weights half-transparent ones by opacity, as luma does", () => {
    const pixels = {
      data: Uint8Array.of(255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 255),
      width: 3,
      height: 1,
      channels: 4,
    };
    const result = on("luminance", pixels);
    expect(result.averageLuma).toBe(50);
    expect(result.totalWeight).toBe(510);
  });
});

describe("histogram bucketing", () => {
  it("puts every integer luma in the bucket bucketOf names", () => {
    for (let v = 0; v <= 255; v++) {
      const h = analyse(greyRows([[v]]), ALL).histogramPercent ?? [];
      expect(h.indexOf(100), `luma ${v}`).toBe(bucketOf(v * 10_000));
    }
  });
});

/**
 * The same analysis the slow, obvious way: per pixel, a predicate for the edges, a sorted list of weighted
 * copies for the median, BigInt sums. The fused pass must give exactly its ratios.
 */
function oracle(pixels: Pixels, mode: EdgeMode, algorithm: Algorithm = "rec709") {
  const { data, width, height, channels } = pixels;
  const unit = BigInt(SCALES[algorithm].unit);
  // A 0–100 scale's value is its plane's, pixel by pixel (scales.test.ts and the goldens check the plane).
  const valueAt = (o: number) =>
    scalePlane({ data: data.subarray(o, o + channels), width: 1, height: 1, channels }, algorithm)[0] as number;
  const bucket = (v: number) => (algorithm === "rec709" ? bucketOf(v) : Math.min(9, Math.floor(v / 204_800)));
  const alpha = channels === 2 || channels === 4;
  const bx = bandSize(width);
  const by = bandSize(height);
  const inEdge = (x: number, y: number) => {
    const column = x < bx || x >= width - bx;
    const row = y < by || y >= height - by;
    return mode === "left_right" ? column : mode === "top_bottom" ? row : column || row;
  };
  let sum = 0n;
  let weight = 0n;
  let edgeSum = 0n;
  let edgeWeight = 0n;
  const buckets = Array.from({ length: 10 }, () => 0n);
  const copies: Array<[number, number]> = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      const luma =
        algorithm !== "rec709"
          ? valueAt(o)
          : channels < 3
            ? (data[o] as number) * 10_000
            : 2126 * (data[o] as number) + 7152 * (data[o + 1] as number) + 722 * (data[o + 2] as number);
      const w = alpha ? (data[o + channels - 1] as number) : 255;
      sum += BigInt(luma * w);
      weight += BigInt(w);
      const b = bucket(luma);
      buckets[b] = (buckets[b] as bigint) + BigInt(w);
      if (inEdge(x, y)) {
        edgeSum += BigInt(luma * w);
        edgeWeight += BigInt(w);
      }
      if (w > 0) copies.push([luma, w]);
    }
  }
  copies.sort((a, b) => a[0] - b[0]);
  const at = (rank: bigint) => {
    let seen = 0n;
    for (const [v, w] of copies) {
      seen += BigInt(w);
      if (seen > rank) return BigInt(v);
    }
    throw new Error("rank");
  };
  const twice =
    weight === 0n ? 0n : weight % 2n === 1n ? 2n * at((weight - 1n) / 2n) : at(weight / 2n - 1n) + at(weight / 2n);
  return {
    average: [sum, weight * unit],
    median: [twice, 2n * unit],
    histogram: buckets.map((b) => [b * 100n, weight]),
    edge: [edgeSum, edgeWeight * unit],
  };
}

/** a/b = c/d exactly (cross-multiplied in BigInt). */
function sameRatio(got: Ratio | undefined, [num, den]: bigint[]): boolean {
  if (!got) return false;
  return BigInt(got.num) * (den as bigint) === (num as bigint) * BigInt(got.den);
}

describe("the fused pass", () => {
  it("gives exactly the ratios of the obvious per-pixel computation, for any image and layout", () => {
    const image = fc
      .record({
        width: fc.integer({ min: 1, max: 24 }),
        height: fc.integer({ min: 1, max: 24 }),
        channels: fc.integer({ min: 1, max: 4 }),
        mode: fc.constantFrom<EdgeMode>("left_right", "top_bottom", "all"),
        algorithm: fc.constantFrom<Algorithm>("rec709", "luminance", "lstar"),
        // Few distinct values make ties and shared bins likely; alpha 0 makes transparent pixels.
        palette: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 }),
      })
      .chain(({ width, height, channels, mode, algorithm, palette }) =>
        fc
          .array(fc.constantFrom(...palette, 0, 255), {
            minLength: width * height * channels,
            maxLength: width * height * channels,
          })
          .map((values) => ({
            pixels: { data: Uint8Array.from(values), width, height, channels },
            mode,
            algorithm,
          })),
      );
    fc.assert(
      fc.property(image, ({ pixels, mode, algorithm }) => {
        const want = oracle(pixels, mode, algorithm);
        const got = analyse(pixels, { median: true, histogram: true, edgeMode: mode, algorithm });
        if (want.average[1] === 0n) {
          expect(got.totalWeight).toBe(0);
          return;
        }
        expect(sameRatio(got.average, want.average), "average").toBe(true);
        expect(sameRatio(got.median, want.median), "median").toBe(true);
        for (const [i, h] of (got.histogram ?? []).entries()) {
          expect(sameRatio(h, want.histogram[i] as bigint[]), `bucket ${i}`).toBe(true);
        }
        if (want.edge[1] === 0n) expect(got.edge?.den).toBe(0);
        else expect(sameRatio(got.edge, want.edge), "edge").toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
