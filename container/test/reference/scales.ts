/**
 * The scales of `algorithm=` (scales.ts) per pixel, by their formulas: the reference the tests hold the
 * production's table-driven planes to (scales.test.ts, analyse.test.ts).
 */
import { LUMA_B, LUMA_G, LUMA_R, LUMA_UNIT } from "../../src/metrics/planes.ts";
import { lstarOfY, SRGB8_TO_LINEAR } from "../../src/metrics/scales.ts";

/**
 * WCAG 2 relative luminance Y (0–1) of an 8-bit sRGB colour.
 *
 * @example
 * relativeLuminance(128, 128, 128); // 0.21586050011389926
 * relativeLuminance(255, 255, 255); // 1
 */
export function relativeLuminance(r: number, g: number, b: number): number {
  return (
    0.2126 * (SRGB8_TO_LINEAR[r] as number) +
    0.7152 * (SRGB8_TO_LINEAR[g] as number) +
    0.0722 * (SRGB8_TO_LINEAR[b] as number)
  );
}

/**
 * CIE L* (0–100) of an 8-bit sRGB colour.
 *
 * @example
 * lstar(128, 128, 128); // 53.585…
 */
export function lstar(r: number, g: number, b: number): number {
  return lstarOfY(relativeLuminance(r, g, b));
}

/** rec709 luma 0–255 of an 8-bit sRGB colour (v1's scale). */
export function rec709(r: number, g: number, b: number): number {
  return (LUMA_R * r + LUMA_G * g + LUMA_B * b) / LUMA_UNIT;
}
