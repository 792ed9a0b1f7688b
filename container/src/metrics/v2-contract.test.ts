/**
 * Every v2 metric, on any small image in any channel layout (transparent pixels, 1-pixel sides included), gives an
 * object the contract accepts, or null exactly when no pixel is visible.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InsightsSchemas } from "../../../contract/schemas.ts";
import { anyImage } from "../../test/arbitrary-images.ts";
import { colorfulness } from "../../test/reference/colorfulness.ts";
import { colors } from "../../test/reference/colors.ts";
import { overlay, overlayFromPixels } from "../../test/reference/overlay.ts";
import { contrast } from "./contrast.ts";
import { edgeDensity } from "./edge-density.ts";
import { neighbourhood } from "./neighbourhood.ts";
import { placeholder } from "./placeholder.ts";
import { alphaPlane, lumaPlane, type Weights } from "./planes.ts";
import { scalePlane } from "./scales.ts";
import { sharpness } from "./sharpness.ts";

const image = anyImage(20, 5);

/** Σ weight of the first `count` pixels, 1 per pixel when `weights` is null (every pixel opaque). */
function totalWeight(weights: Weights, count: number): number {
  if (!weights) return count;
  let sum = 0;
  for (let i = 0; i < count; i++) sum += weights[i] as number;
  return sum;
}

describe("the v2 metrics on any image", () => {
  it("fit the contract's schemas, and are null only when nothing is visible", () => {
    fc.assert(
      fc.property(image, fc.integer({ min: 1, max: 10 }), (pixels, n) => {
        const count = pixels.width * pixels.height;
        const weights = alphaPlane(pixels);
        const visible = totalWeight(weights, count) > 0;
        const luma = lumaPlane(pixels);
        const stats = neighbourhood(luma, pixels.width, pixels.height, weights);
        const results = {
          contrast: contrast(luma, weights, count),
          sharpness: sharpness(stats),
          edge_density: edgeDensity(stats),
          colorfulness: colorfulness(pixels, weights),
          colors: colors(pixels, weights, n),
          overlay: overlayFromPixels(pixels, weights, "all"),
          placeholder: placeholder(pixels, weights),
        };
        for (const [name, value] of Object.entries(results)) {
          if (!visible) {
            expect(value, name).toBeNull();
            continue;
          }
          const parsed = InsightsSchemas[name as keyof typeof InsightsSchemas].safeParse(value);
          expect(parsed.success, `${name}: ${JSON.stringify(value)} ${parsed.error?.message}`).toBe(true);
        }
        if (visible) {
          const fromPlane = overlay(scalePlane(pixels, "luminance"), weights, pixels.width, pixels.height, "all");
          expect(InsightsSchemas.overlay.safeParse(fromPlane).success).toBe(true);
          expect(results.colors?.dominant.length).toBeLessThanOrEqual(n);
          const shares = results.colors?.dominant.reduce((a, d) => a + d.percent, 0) ?? 0;
          expect(Math.abs(shares - 100)).toBeLessThanOrEqual(0.05);
        }
      }),
      { numRuns: 300 },
    );
  });
});
