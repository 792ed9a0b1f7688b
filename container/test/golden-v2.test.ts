/**
 * Golden values of the v2 metrics: each computed independently by numpy / OpenCV (golden-v2/make_golden.py) on
 * the very same analysed pixels (their sha256 is checked first), with the tolerances below. docs/METRICS.md
 * lists them.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { Algorithm } from "../../contract/analysis.ts";
import { colorfulness } from "../src/metrics/colorfulness.ts";
import { contrast } from "../src/metrics/contrast.ts";
import { edgeDensity } from "../src/metrics/edge-density.ts";
import { neighbourhood } from "../src/metrics/neighbourhood.ts";
import { alphaPlane, lumaPlane, type PixelImage } from "../src/metrics/planes.ts";
import { weightedPercentiles } from "../src/metrics/quantile.ts";
import { SCALES, scalePlane } from "../src/metrics/scales.ts";
import { sharpness } from "../src/metrics/sharpness.ts";
import { goldenImages, pixelsHash } from "./golden-v2/pixels.ts";

/** Reported values have 2 decimals: half a unit of the last place, and a little for the float sums. */
const TOLERANCE = {
  contrast: 0.006,
  laplacianVariance: 0.006,
  edgeDensityPercent: 0.006,
  colorfulness: 0.006,
  /** The 0–100 scales' planes are quantised to 1/20 480. */
  scaleAverage: 0.0001,
  scaleMedian: 0.0001,
};

// biome-ignore lint/suspicious/noExplicitAny: the JSON written by make_golden.py
type Json = any;
const golden = JSON.parse(readFileSync(new URL("./golden-v2/values.json", import.meta.url), "utf8")) as Json;
let images: Record<string, PixelImage> = {};
beforeAll(async () => {
  images = await goldenImages();
}, 60_000);

const near = (got: number | undefined, want: number, tolerance: number, what: string) =>
  expect(Math.abs((got ?? Number.NaN) - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(tolerance);

describe.each(Object.keys(golden.images))("golden image %s", (name) => {
  const want = golden.images[name];
  const setup = () => {
    const pixels = images[name] as PixelImage;
    const luma = lumaPlane(pixels);
    const weights = alphaPlane(pixels);
    return { pixels, luma, weights, count: pixels.width * pixels.height };
  };

  it("is computed on the same pixels as the goldens", () => {
    const { pixels } = setup();
    expect([pixels.width, pixels.height, pixels.channels]).toEqual([want.width, want.height, want.channels]);
    expect(pixelsHash(pixels)).toBe(want.sha256);
  });

  it("has numpy's contrast", () => {
    const { luma, weights, count } = setup();
    const got = contrast(luma, weights, count);
    for (const key of ["rms", "p5", "p95", "range", "clipped_shadows_percent", "clipped_highlights_percent"] as const) {
      near(got?.[key], want.contrast[key], TOLERANCE.contrast, key);
    }
    expect(got?.score).toBe(want.contrast.score);
  });

  it("has OpenCV's Laplacian variance and Sobel edge density", () => {
    const { pixels, luma, weights } = setup();
    const stats = neighbourhood(luma, pixels.width, pixels.height, weights);
    near(
      sharpness(stats)?.laplacian_variance,
      want.sharpness.laplacian_variance,
      TOLERANCE.laplacianVariance,
      "variance",
    );
    near(edgeDensity(stats)?.percent, want.edge_density.percent, TOLERANCE.edgeDensityPercent, "edge density");
    if (!weights) {
      const unweighted = neighbourhood(luma, pixels.width, pixels.height, null).laplacianVariance;
      near(unweighted, want.sharpness.opencv_var_unweighted, 1e-6 * want.sharpness.opencv_var_unweighted, "var()");
    }
  });

  it("has numpy's colourfulness", () => {
    const { pixels, weights } = setup();
    near(colorfulness(pixels, weights)?.value, want.colorfulness.value, TOLERANCE.colorfulness, "M");
  });

  it.each(["rec709", "luminance", "lstar"] as const)("has numpy's average and median on the %s scale", (algorithm) => {
    const { pixels, weights, count } = setup();
    const plane = scalePlane(pixels, algorithm as Algorithm);
    const { unit, max } = SCALES[algorithm];
    let sum = 0;
    let total = 0;
    for (let i = 0; i < count; i++) {
      const w = weights ? (weights[i] as number) : 1;
      sum += w * (plane[i] as number);
      total += w;
    }
    near(sum / total / unit, want.scales[algorithm].average, TOLERANCE.scaleAverage, "average");
    const [median] = weightedPercentiles(plane, weights, count, 1, [50], max * unit);
    near(
      (median?.num ?? 0) / (median?.den ?? 1) / unit,
      want.scales[algorithm].median,
      TOLERANCE.scaleMedian,
      "median",
    );
  });
});
