/**
 * Every v3 metric of the analysed pixels, on any small image in any channel layout (transparent pixels, 1-pixel
 * sides included), gives an object the contract accepts; crop boxes stay inside the oriented image.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InsightsV3Schemas } from "../../../contract/schemas.ts";
import { anyImage } from "../../test/arbitrary-images.ts";
import { colors } from "../../test/reference/colors.ts";
import { overlayFromPixels } from "../../test/reference/overlay.ts";
import { accessibility } from "./accessibility.ts";
import { compression } from "./compression.ts";
import { cropHints } from "./crop.ts";
import { imageHashes } from "./hash.ts";
import { noise } from "./noise.ts";
import { alphaPlane } from "./planes.ts";
import { thumbhash } from "./thumbhash.ts";

const image = anyImage(20, 5);
const ratios = ["1:1", "16:9", "1:20", "20:1", "1.91:1"];

describe("the v3 metrics of the pixels on any image", () => {
  it("fit the contract's schemas; crop boxes lie inside the oriented image", () => {
    fc.assert(
      fc.property(image, fc.integer({ min: 1, max: 4 }), (pixels, scale) => {
        const oriented = { width: pixels.width * scale, height: pixels.height * scale };
        const crop = cropHints(pixels, ratios, oriented);
        expect(InsightsV3Schemas.crop.safeParse(crop).success, JSON.stringify(crop)).toBe(true);
        expect(Object.keys(crop)).toEqual(ratios);
        for (const box of Object.values(crop)) {
          expect(box.left + box.width).toBeLessThanOrEqual(oriented.width);
          expect(box.top + box.height).toBeLessThanOrEqual(oriented.height);
        }
        const hash = imageHashes(pixels, pixels.data);
        expect(InsightsV3Schemas.hash.safeParse(hash).success, JSON.stringify(hash)).toBe(true);
        expect(InsightsV3Schemas.thumbhash.safeParse(thumbhash(pixels)).success).toBe(true);
        const weights = alphaPlane(pixels);
        const palette = colors(pixels, weights, 5);
        const advice = overlayFromPixels(pixels, weights, null);
        if (palette && advice) {
          const views = accessibility(pixels, palette.dominant, advice.text_color);
          const parsed = InsightsV3Schemas.accessibility.safeParse(views);
          expect(parsed.success, `${JSON.stringify(views)} ${parsed.error?.message}`).toBe(true);
        }
        // The full-resolution metrics take the stored image without alpha: any of these pixels will do.
        const measured = noise(pixels);
        if (measured) expect(InsightsV3Schemas.noise.safeParse(measured).success).toBe(true);
        else expect(Math.min(pixels.width, pixels.height)).toBeLessThan(3);
        const size = { width: pixels.width, height: pixels.height, pages: 1 };
        const png = compression(pixels.data, "png", pixels, size);
        expect(InsightsV3Schemas.compression.safeParse(png).success, JSON.stringify(png)).toBe(true);
        expect(png.quality).toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});
