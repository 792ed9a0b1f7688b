/**
 * fast-check arbitraries of small images for the metrics' property tests: any size from 1 px, any layout, and few
 * distinct values (so that ties, flat regions and repeated colours are common, as in real pictures).
 */
import fc from "fast-check";
import type { PixelImage } from "../src/metrics/planes.ts";

/**
 * Interleaved 8-bit pixels of 1–4 channels, at most `maxSide` each way, from a palette of up to `maxPalette`
 * values (with 0 and 255).
 *
 * @example
 * fc.assert(fc.property(anyImage(20, 6), (pixels) => insights(pixels, ["colors"]) !== undefined));
 */
export function anyImage(maxSide: number, maxPalette: number): fc.Arbitrary<PixelImage> {
  return fc
    .record({
      width: fc.integer({ min: 1, max: maxSide }),
      height: fc.integer({ min: 1, max: maxSide }),
      channels: fc.integer({ min: 1, max: 4 }),
      palette: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: maxPalette }),
    })
    .chain(({ width, height, channels, palette }) =>
      fc
        .array(fc.constantFrom(...palette, 0, 255), {
          minLength: width * height * channels,
          maxLength: width * height * channels,
        })
        .map((values) => ({ data: Uint8Array.from(values), width, height, channels })),
    );
}

/**
 * A plane of integers 0–`maxValue`, at most `maxSide` each way, with or without an alpha weight per value.
 *
 * @example
 * fc.assert(fc.property(anyPlane(12, 255), ({ width, height, values, alpha }) => …));
 */
export function anyPlane(
  maxSide: number,
  maxValue: number,
): fc.Arbitrary<{ width: number; height: number; values: number[]; alpha: Uint8Array | null }> {
  return fc
    .record({ width: fc.integer({ min: 1, max: maxSide }), height: fc.integer({ min: 1, max: maxSide }) })
    .chain(({ width, height }) =>
      fc.record({
        width: fc.constant(width),
        height: fc.constant(height),
        values: fc.array(fc.integer({ min: 0, max: maxValue }), {
          minLength: width * height,
          maxLength: width * height,
        }),
        alpha: fc.option(fc.uint8Array({ minLength: width * height, maxLength: width * height })),
      }),
    );
}
