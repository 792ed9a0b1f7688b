/**
 * Golden values of `algorithm=`: the brightness family (score, average, median, histogram, edge bands) on every
 * scale, computed independently by numpy in floating point (golden-scales/make_golden.py) on the very same
 * analysed pixels as the v2 goldens (their sha256 is checked first), with the tolerances below.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { Algorithm, EdgeMode } from "../../contract/analysis.ts";
import { analyse } from "../src/metrics/analyse.ts";
import { brightnessScore } from "../src/metrics/luminance.ts";
import type { PixelImage } from "../src/metrics/planes.ts";
import { SCALES } from "../src/metrics/scales.ts";
import { goldenImages, pixelsHash } from "./golden-v2/pixels.ts";
import { near } from "./near.ts";

/**
 * rec709's luma is exact (only the float sums differ); the 0–100 scales' planes are within one unit of 1/20 480
 * of the real value, so an average, a median or a band average is too. A histogram share moves only by pixels
 * within a unit of a bucket's bound: none on these images, so the float sums' noise is all that is allowed.
 */
const TOLERANCE: Record<Algorithm, number> = { rec709: 1e-9, luminance: 1 / 20_480, lstar: 1 / 20_480 };
const HISTOGRAM_PERCENT_TOLERANCE = 1e-9;
const EDGE_MODES: readonly EdgeMode[] = ["left_right", "top_bottom", "all"];

// biome-ignore lint/suspicious/noExplicitAny: the JSON written by make_golden.py
const golden = JSON.parse(readFileSync(new URL("./golden-scales/values.json", import.meta.url), "utf8")) as any;
let images: Record<string, PixelImage> = {};
beforeAll(async () => {
  images = await goldenImages();
}, 60_000);

describe.each(Object.keys(golden.images))("golden image %s", (name) => {
  const want = golden.images[name];

  it("is computed on the same pixels as the goldens", () => {
    const pixels = images[name] as PixelImage;
    expect([pixels.width, pixels.height, pixels.channels]).toEqual([want.width, want.height, want.channels]);
    expect(pixelsHash(pixels)).toBe(want.sha256);
  });

  it.each(["rec709", "luminance", "lstar"] as const)("has numpy's brightness family on the %s scale", (algorithm) => {
    const pixels = images[name] as PixelImage;
    const scale = want[algorithm];
    const tolerance = TOLERANCE[algorithm];
    for (const edgeMode of EDGE_MODES) {
      const got = analyse(pixels, { median: true, histogram: true, edgeMode, algorithm });
      near(got.averageLuma, scale.average, tolerance, "average");
      near(got.medianLuma, scale.median, tolerance, "median");
      expect(brightnessScore(got.average, SCALES[algorithm].max), "brightness_score").toBe(scale.brightness_score);
      for (const [i, percent] of (got.histogramPercent ?? []).entries()) {
        near(percent, scale.histogram[i], HISTOGRAM_PERCENT_TOLERANCE, `histogram bucket ${i}`);
      }
      near(got.edgeAverageLuma, scale.edge_average[edgeMode], tolerance, `edge average (${edgeMode})`);
    }
  });

  it("ranks the scales as their definitions do: L* ≥ luminance for every pixel, so on average", () => {
    // L* = 116·∛Y − 16 ≥ 100·Y on 0 ≤ Y ≤ 1 (equal at 0 and 1): a perceptual scale lifts the darks.
    expect(want.lstar.average).toBeGreaterThanOrEqual(want.luminance.average);
  });
});
