/**
 * The images of the crop golden test, each with the oriented size its boxes are given in: the v2 golden images
 * (the three reference samples, a blurred one and one with an alpha ramp; golden-v2/pixels.ts makes them with
 * sharp as the service does) and synthetic ones made here from a fixed-seed generator, so the same every time.
 * Nothing of them is committed: values.json keeps each image's sha256.
 */
import type { PixelImage } from "../../../src/metrics/planes.ts";
import { goldenImages } from "../../golden-v2/pixels.ts";

/** Every ratio the golden test asks for: the defaults, the usual social ones and the two extremes (1:20, 20:1). */
export const GOLDEN_RATIOS = ["1:1", "4:5", "16:9", "1.91:1", "9:16", "3:2", "20:1", "1:20"] as const;

export interface CropGoldenImage {
  pixels: PixelImage;
  /** The full image's size as people see it: the boxes are in its pixels. */
  oriented: { width: number; height: number };
}

/** The off-centre square of `squareOffCentre`, in analysed pixels: [x0, y0, x1, y1) (the boxes must hold it). */
export const DETAILED_SQUARE = [40, 200, 80, 240] as const;

/** A fixed-seed generator of integers 0–255 (a linear congruential generator, glibc's constants). */
function bytes(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 24;
  };
}

/** An image of `channels` channels whose pixel (x, y) `paint` gives (`channels` values). */
function painted(
  width: number,
  height: number,
  channels: number,
  paint: (x: number, y: number) => readonly number[],
): PixelImage {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(paint(x, y).slice(0, channels), (y * width + x) * channels);
  }
  return { data, width, height, channels };
}

/**
 * A flat grey 400×300 picture with one 40×40 checkerboard (4 px cells) at DETAILED_SQUARE, low and to the left,
 * as a 1600×1200 image's analysed copy.
 */
export function squareOffCentre(): PixelImage {
  const [x0, y0, x1, y1] = DETAILED_SQUARE;
  return painted(400, 300, 3, (x, y) => {
    const inside = x >= x0 && x < x1 && y >= y0 && y < y1;
    const v = inside ? ((((x - x0) >> 2) + ((y - y0) >> 2)) & 1 ? 230 : 30) : 128;
    return [v, v, v];
  });
}

/** A portrait: a smooth sky-like vertical gradient, with a noisy "face" in the upper third, right of centre. */
export function portrait(): PixelImage {
  const next = bytes(11);
  return painted(240, 400, 3, (x, y) => {
    const face = (x - 150) ** 2 + (y - 120) ** 2 < 45 ** 2;
    const n = next();
    if (face) return [120 + (n >> 1), 90 + (n >> 2), 70 + (n >> 3)];
    return [90 + (y >> 3), 140 + (y >> 3), 230 - (y >> 3)];
  });
}

/** A very wide strip (12.8:1): grey noise of low amplitude everywhere, strong noise on x 300–360. */
export function wide(): PixelImage {
  const next = bytes(23);
  return painted(512, 40, 1, (x) => {
    const n = next();
    return [x >= 300 && x < 360 ? n : 120 + (n >> 5)];
  });
}

/** One grey level everywhere: no detail, so every box is centred and its share is its share of the area. */
export function flat(): PixelImage {
  return painted(300, 200, 3, () => [77, 77, 77]);
}

/**
 * Grey + alpha, 300×300: noise on the left half, fully transparent there; a fainter, opaque noisy patch on the
 * right. The detail that counts is the right patch's (and the opaque pixels beside the transparent ones).
 */
export function hiddenDetail(): PixelImage {
  const next = bytes(5);
  return painted(300, 300, 2, (x, y) => {
    const n = next();
    if (x < 150) return [n, 0];
    const patch = x >= 220 && x < 280 && y >= 30 && y < 90;
    return [patch ? 100 + (n >> 2) : 100, 255];
  });
}

/** Colour noise on an odd grid (257×191) for an odd oriented size (1001×743): the mapping's rounding. */
export function oddNoise(): PixelImage {
  const next = bytes(3);
  return painted(257, 191, 3, (x, y) => {
    const n = next();
    const busy = (x - 60) ** 2 + (y - 150) ** 2 < 40 ** 2;
    return busy ? [n, next(), next()] : [n >> 4, 100, 100];
  });
}

/** The crop golden images, by name. */
export async function cropGoldenImages(): Promise<Record<string, CropGoldenImage>> {
  const v2 = await goldenImages();
  const sample = { width: 536, height: 354 };
  const large = { width: 5000, height: 3330 };
  return {
    sample1: { pixels: v2.sample1 as PixelImage, oriented: sample },
    sample2: { pixels: v2.sample2 as PixelImage, oriented: sample },
    sample3: { pixels: v2.sample3 as PixelImage, oriented: large },
    sample2_blur2: { pixels: v2.sample2_blur2 as PixelImage, oriented: sample },
    sample3_alpha: { pixels: v2.sample3_alpha as PixelImage, oriented: large },
    square_off_centre: { pixels: squareOffCentre(), oriented: { width: 1600, height: 1200 } },
    portrait: { pixels: portrait(), oriented: { width: 3000, height: 5000 } },
    wide: { pixels: wide(), oriented: { width: 5120, height: 400 } },
    flat: { pixels: flat(), oriented: { width: 300, height: 200 } },
    hidden_detail: { pixels: hiddenDetail(), oriented: { width: 300, height: 300 } },
    odd_noise: { pixels: oddNoise(), oriented: { width: 1001, height: 743 } },
  };
}
