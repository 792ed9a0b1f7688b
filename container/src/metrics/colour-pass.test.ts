import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { EdgeMode } from "../../../contract/analysis.ts";
import { anyImage } from "../../test/arbitrary-images.ts";
import { goldenImages } from "../../test/golden-v2/pixels.ts";
import { colorfulness } from "../../test/reference/colorfulness.ts";
import { colors } from "../../test/reference/colors.ts";
import { overlayFromPixels } from "../../test/reference/overlay.ts";
import { colourMetrics } from "./colour-pass.ts";
import { placeholder } from "./placeholder.ts";
import { alphaPlane, type PixelImage } from "./planes.ts";

/** Each metric by its own function: what the fused pass must give, to the bit. */
function separately(pixels: PixelImage, n: number, edgeMode: EdgeMode | null) {
  const weights = alphaPlane(pixels);
  return {
    colorfulness: colorfulness(pixels, weights),
    colors: colors(pixels, weights, n),
    overlay: overlayFromPixels(pixels, weights, edgeMode),
    placeholder: placeholder(pixels, weights),
  };
}

describe("colourMetrics (one pass)", () => {
  let images: Record<string, PixelImage> = {};
  beforeAll(async () => {
    images = await goldenImages();
  }, 60_000);

  it("gives exactly each metric's own result on the golden images", () => {
    for (const [name, pixels] of Object.entries(images)) {
      const got = colourMetrics(pixels, alphaPlane(pixels), {
        colorfulness: true,
        colors: 5,
        overlay: "all",
        placeholder: true,
      });
      expect(got, name).toEqual(separately(pixels, 5, "all"));
    }
  });

  it("computes only what is asked for", () => {
    const pixels = images.sample2 as PixelImage;
    expect(Object.keys(colourMetrics(pixels, null, { colors: 3 }))).toEqual(["colors"]);
    expect(Object.keys(colourMetrics(pixels, null, { overlay: null, placeholder: [3, 3] }))).toEqual([
      "overlay",
      "placeholder",
    ]);
    expect(colourMetrics(pixels, null, { placeholder: [3, 3] }).placeholder).toEqual(placeholder(pixels, null, 3, 3));
    expect(colourMetrics(pixels, null, {})).toEqual({});
  });

  it("gives exactly each metric's own result on any small image, in any layout", () => {
    const image = anyImage(24, 6);
    const mode = fc.constantFrom<EdgeMode | null>(null, "left_right", "top_bottom", "all");
    fc.assert(
      fc.property(image, fc.integer({ min: 1, max: 10 }), mode, (pixels, n, edgeMode) => {
        const got = colourMetrics(pixels, alphaPlane(pixels), {
          colorfulness: true,
          colors: n,
          overlay: edgeMode,
          placeholder: true,
        });
        expect(got).toEqual(separately(pixels, n, edgeMode));
      }),
      { numRuns: 300 },
    );
  });
});
