/**
 * Golden values of `noise`: Immerkær's estimator computed independently by numpy and scipy.signal.convolve2d
 * (golden-v3/noise/make_golden.py) on the very same full-resolution pixels (their sha256 is checked first), with
 * the tolerances below; and, on images of known noise, the estimate against the truth. docs/METRICS.md lists them.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { immerkaerSum, noise } from "../src/metrics/noise.ts";
import type { PixelImage } from "../src/metrics/planes.ts";
import { noiseGoldenImages, pixelsHash } from "./golden-v3/noise/pixels.ts";
import { near } from "./near.ts";

const TOLERANCE = {
  /** Σ |I ∗ N| in luma ×10 000 is an integer on both sides (float64 holds it exactly): equal. */
  immerkaerSum: 0,
  /** σ is reported to 2 decimals: half a unit of the last place, and a little for the float product. */
  sigma: 0.0051,
  /** Flat grey or colour with seeded Gaussian noise of σ 2, 5, 10 (luma σ 3.76 for independent σ-5 channels):
   * the estimate against the noise actually in the pixels (rounded and clipped), in levels (measured ≤ 0.01). */
  knownNoise: 0.05,
  /** A smooth gradient, ~½ level per pixel: only its 8-bit rounding is left (measured 0.02). */
  gradient: 0.05,
};

// biome-ignore lint/suspicious/noExplicitAny: the JSON written by make_golden.py
type Json = any;
const golden = JSON.parse(readFileSync(new URL("./golden-v3/noise/values.json", import.meta.url), "utf8")) as Json;
let images: Record<string, PixelImage> = {};
beforeAll(async () => {
  images = await noiseGoldenImages();
}, 60_000);

describe.each(Object.keys(golden.images))("noise golden image %s", (name) => {
  const want = golden.images[name];

  it("is the same pixels as make_golden.py's", () => {
    const pixels = images[name] as PixelImage;
    expect([pixels.width, pixels.height, pixels.channels]).toEqual([want.width, want.height, want.channels]);
    expect(pixelsHash(pixels)).toBe(want.sha256);
  });

  it("has scipy's Σ |I ∗ N| and σ", () => {
    const pixels = images[name] as PixelImage;
    const total = immerkaerSum(pixels);
    expect(Math.abs((total?.sum ?? -1) - want.immerkaer_sum)).toBeLessThanOrEqual(TOLERANCE.immerkaerSum);
    expect(total?.count).toBe(want.interior_pixels);
    const got = noise(pixels);
    near(got?.sigma, want.sigma, TOLERANCE.sigma, `${name} sigma`);
    expect([got?.measured_width, got?.measured_height]).toEqual([want.width, want.height]);
  });
});

describe("noise against the truth", () => {
  it.each(["grey_sigma2", "grey_sigma5", "grey_sigma10", "colour_sigma5"])("finds the σ added to %s", (name) => {
    const want = golden.images[name];
    near(noise(images[name] as PixelImage)?.sigma, want.true_sigma, TOLERANCE.knownNoise, `${name} vs the truth`);
  });

  it("finds next to nothing on a smooth gradient, and nothing on a flat image", () => {
    near(noise(images.gradient as PixelImage)?.sigma, 0, TOLERANCE.gradient, "gradient");
    expect(noise(images.flat as PixelImage)?.sigma).toBe(0);
  });

  it("reads a photo's texture as noise too: sample 2 with σ 5 added measures above the noise added", () => {
    const { sample2, sample2_sigma5 } = golden.images;
    // Noise adds in quadrature to what the clean photo already measured; the estimate is above the truth.
    const got = noise(images.sample2_sigma5 as PixelImage)?.sigma ?? 0;
    expect(got).toBeGreaterThan(sample2_sigma5.true_sigma);
    expect(got).toBeGreaterThanOrEqual(Math.hypot(sample2_sigma5.true_sigma, sample2.sigma) - 0.01);
  });
});
