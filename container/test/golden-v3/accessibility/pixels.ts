/**
 * The images of accessibility's golden test: the v2 golden images (the reference samples as analysed, sample 3 with
 * an alpha ramp) and two synthetic ones, made here deterministically: red and green that deuteranopia nearly merges,
 * and blue and yellow, the pair tritanopia brings closest of the three colours it is shown with.
 */
import type { PixelImage } from "../../../src/metrics/planes.ts";
import { goldenImages } from "../../golden-v2/pixels.ts";

/** #DC3232 and #3D981E: ΔE00 68.9 to normal vision, 0.14 under deuteranopia (Machado 2009), and a blue. */
export const RED_GREEN: ReadonlyArray<readonly [number, number, number]> = [
  [220, 50, 50],
  [61, 152, 30],
  [30, 60, 200],
];
/** #7062E6 and #8A9019: ΔE00 70.3 to normal vision, 25.3 under tritanopia (about 60 under the other two), and black. */
export const BLUE_YELLOW: ReadonlyArray<readonly [number, number, number]> = [
  [112, 98, 230],
  [138, 144, 25],
  [0, 0, 0],
];

/**
 * A 96 × 64 RGB image of vertical stripes of `colours` (widths 3 : 2 : 1 of the width), each pixel's channels moved
 * by −2 to +2 by a fixed-seed generator so that the luminance percentiles fall between values.
 *
 * @example
 * stripes(RED_GREEN); // { data: Uint8Array(18432), width: 96, height: 64, channels: 3 }
 */
export function stripes(colours: ReadonlyArray<readonly [number, number, number]>): PixelImage {
  const width = 96;
  const height = 64;
  const data = new Uint8Array(width * height * 3);
  let state = 23;
  const jitter = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 24) % 5;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = (x < width / 2 ? colours[0] : x < (5 * width) / 6 ? colours[1] : colours[2]) as readonly number[];
      for (let c = 0; c < 3; c++) {
        data[(y * width + x) * 3 + c] = Math.min(255, Math.max(0, (colour[c] as number) + jitter() - 2));
      }
    }
  }
  return { data, width, height, channels: 3 };
}

/** Every image of the golden test, by name. */
export async function accessibilityImages(): Promise<Record<string, PixelImage>> {
  const v2 = await goldenImages();
  return {
    sample1: v2.sample1 as PixelImage,
    sample2: v2.sample2 as PixelImage,
    sample3: v2.sample3 as PixelImage,
    sample3_alpha: v2.sample3_alpha as PixelImage,
    red_green: stripes(RED_GREEN),
    blue_yellow: stripes(BLUE_YELLOW),
  };
}
