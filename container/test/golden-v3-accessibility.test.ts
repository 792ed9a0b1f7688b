/**
 * Golden values of `accessibility`: colorspacious's Machado 2009 simulation, scikit-image's CIEDE2000 and numpy's
 * luminance percentiles over the contrast's sample, a quarter of the pixels (golden-v3/accessibility/make_golden.py),
 * on the very same analysed pixels (their sha256 is checked first) and with the dominant colours values.json keeps as
 * input, within the tolerances below. docs/METRICS.md lists them, and what the quarter changes from every pixel.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  accessibility,
  DEFICIENCIES,
  lowHighPercentiles,
  simulatedLuminance,
  type TextColour,
  worstContrast,
} from "../src/metrics/accessibility.ts";
import type { PixelImage } from "../src/metrics/planes.ts";
import { pixelsHash } from "./golden-v2/pixels.ts";
import { accessibilityImages } from "./golden-v3/accessibility/pixels.ts";
import { near } from "./near.ts";

const TOLERANCE = {
  /** Per 8-bit channel of a simulated colour: the same float formula in another order may round a .5 the other way. */
  simulatedChannel: 1,
  /** ΔE00, reported to 2 decimals: half a unit of the last place and the float's error. */
  deltaE: 0.0051,
  /**
   * The contrast ratio as shown (rounded down to 2 decimals) against numpy's exact percentiles rounded down the same
   * way: the 14-bit luminance (within 0.002 of the ratio) can put it one step of 0.01 to either side.
   */
  contrastRatio: 0.0101,
  /**
   * The quarter's exact ratio against every pixel's (numpy's both): measured 0.0253 at most, on the grey sample
   * (black text: p10 0.0356 against 0.0343); 0.0073 at most on the colour images.
   */
  quarterAgainstEveryPixel: 0.03,
};

// biome-ignore lint/suspicious/noExplicitAny: the JSON written by make_golden.py
type Json = any;
const golden = JSON.parse(
  readFileSync(new URL("./golden-v3/accessibility/values.json", import.meta.url), "utf8"),
) as Json;
let images: Record<string, PixelImage> = {};
beforeAll(async () => {
  images = await accessibilityImages();
}, 60_000);

describe.each(Object.keys(golden.images))("golden image %s", (name) => {
  const want = golden.images[name];

  it("is computed on the same pixels as the goldens", () => {
    const pixels = images[name] as PixelImage;
    expect([pixels.width, pixels.height, pixels.channels]).toEqual([want.width, want.height, want.channels]);
    expect(pixelsHash(pixels)).toBe(want.sha256);
  });

  it.each(["#000000", "#FFFFFF"] as const)(
    "has colorspacious's, scikit-image's and numpy's answer for %s text",
    (textColor: TextColour) => {
      const got = accessibility(images[name] as PixelImage, want.input.dominant, textColor);
      for (const deficiency of DEFICIENCIES) {
        const view = got[deficiency];
        const expected = want[deficiency];
        view.dominant.forEach((colour, i) => {
          const reference = expected.dominant[i];
          for (const [c, v] of colour.rgb.entries()) {
            near(v, reference.rgb[c], TOLERANCE.simulatedChannel, `${deficiency} colour ${i} channel ${c}`);
          }
          expect(colour.percent).toBe(want.input.dominant[i].percent);
        });
        // Exactly equal on every image here: the tolerance is for a channel at a .5.
        expect(view.dominant.map(({ hex }) => hex)).toEqual(expected.dominant.map(({ hex }: Json) => hex));
        expect(view.least_distinguishable?.colors).toEqual(expected.least_distinguishable?.colors);
        near(view.least_distinguishable?.delta_e, expected.least_distinguishable.delta_e, TOLERANCE.deltaE, "ΔE00");
        expect(view.text_color).toBe(textColor);
        near(view.contrast_ratio, expected.contrast[textColor].shown, TOLERANCE.contrastRatio, `${deficiency} ratio`);
        expect(view.wcag_aa).toBe(view.contrast_ratio >= 4.5);
      }
    },
  );
});

describe("the contrast's sample, a quarter of the pixels", () => {
  it("gives ratios within 0.03 of every pixel's on every golden image (numpy's exact ratios)", () => {
    let largest = 0;
    for (const want of Object.values(golden.images) as Json[]) {
      for (const deficiency of DEFICIENCIES) {
        for (const textColor of ["#000000", "#FFFFFF"]) {
          const quarter = want[deficiency].contrast[textColor].exact;
          const every = want[deficiency].contrast_every_pixel[textColor].exact;
          largest = Math.max(largest, Math.abs(quarter - every));
        }
      }
    }
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(TOLERANCE.quarterAgainstEveryPixel);
  });

  it("is what the service counts: its ratio over every pixel is numpy's every-pixel ratio too", () => {
    for (const [name, want] of Object.entries(golden.images) as [string, Json][]) {
      const { histograms, total, unit, step } = simulatedLuminance(images[name] as PixelImage, undefined, 1);
      expect(step).toBe(1);
      for (const [d, deficiency] of DEFICIENCIES.entries()) {
        const [low, high] = lowHighPercentiles(histograms[d] as Uint32Array, total, unit);
        for (const textColor of ["#000000", "#FFFFFF"] as const) {
          near(
            worstContrast(textColor, low, high),
            want[deficiency].contrast_every_pixel[textColor].shown,
            TOLERANCE.contrastRatio,
            `${name} ${deficiency} every pixel`,
          );
        }
      }
    }
  });
});

describe("the synthetic pairs", () => {
  it("deuteranopia nearly merges the red and the green (ΔE00 0.14)", () => {
    const { deuteranopia } = golden.images.red_green;
    expect(golden.images.red_green.input.dominant.slice(0, 2).map(({ hex }: Json) => hex)).toEqual([
      "#DC3232",
      "#3D981E",
    ]);
    expect(deuteranopia.least_distinguishable.delta_e).toBeLessThan(0.5);
  });
});
