/**
 * The full-resolution pixels of the `noise` golden images (and the fixed image of the `thumbhash` golden string),
 * made deterministically: the reference samples decoded with sharp at full resolution (sample 3, 5000 × 3330, as
 * its centred 1024 × 1024 window), flat grey with seeded Gaussian noise of known σ, sample 2 with the same noise
 * added, and smooth gradients. The metric modules never see sharp.
 */
import sharp from "sharp";
import type { PixelImage } from "../../../src/metrics/planes.ts";
import { referenceSample } from "../../images.ts";

/** The side of the centred window of sample 3 (the service measures a centred window of large images too). */
export const SAMPLE3_WINDOW_PX = 1024;

/** Decodes `bytes` at full resolution, stored orientation, 8-bit sRGB (grey stays one channel). */
export async function fullResolution(bytes: Uint8Array, grey = false): Promise<PixelImage> {
  const { data, info } = await sharp(bytes)
    .toColourspace(grey ? "b-w" : "srgb")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), ...info };
}

/** The centred `side` × `side` window of `pixels` (the whole of a side shorter than `side`). */
export function centredWindow(pixels: PixelImage, side: number): PixelImage {
  const { width, height, channels } = pixels;
  const w = Math.min(side, width);
  const h = Math.min(side, height);
  const left = Math.floor((width - w) / 2);
  const top = Math.floor((height - h) / 2);
  const data = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++) {
    const from = ((top + y) * width + left) * channels;
    data.set(pixels.data.subarray(from, from + w * channels), y * w * channels);
  }
  return { data, width: w, height: h, channels };
}

/**
 * A seeded generator of standard normal numbers: mulberry32 (T. Ettinger, public domain) for uniforms, the
 * Box–Muller transform for normals. The same `seed` gives the same numbers on every platform.
 */
export function normals(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return () => {
    const u = 1 - uniform(); // (0, 1]: log(u) is finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

/** `pixels` with Gaussian noise of `sigma` levels added to every channel independently, rounded and clipped. */
export function withNoise(pixels: PixelImage, sigma: number, seed: number): PixelImage {
  const next = normals(seed);
  const data = new Uint8Array(pixels.data.length);
  for (let i = 0; i < data.length; i++) {
    data[i] = Math.min(255, Math.max(0, Math.round((pixels.data[i] as number) + sigma * next())));
  }
  return { ...pixels, data };
}

/** A flat image of one grey level (1 channel) or one colour (3 channels). */
export function flat(width: number, height: number, levels: readonly number[]): PixelImage {
  const channels = levels.length;
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = levels[i % channels] as number;
  return { data, width, height, channels };
}

/** A smooth RGB gradient: red rises across, green down, blue along the diagonal (about ½ level per pixel). */
export function gradient(width: number, height: number): PixelImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = Math.round(20 + (200 * x) / (width - 1));
      data[o + 1] = Math.round(30 + (180 * y) / (height - 1));
      data[o + 2] = Math.round(40 + (160 * (x + y)) / (width + height - 2));
    }
  }
  return { data, width, height, channels: 3 };
}

export { pixelsHash } from "../../golden-v2/pixels.ts";

/**
 * What was added to each synthetic image: Gaussian noise of a nominal `sigma` on top of `clean` (a flat colour's
 * levels, or the name of another golden image). The reference samples, the gradient and the flat image carry none.
 */
export const ADDED_NOISE: Record<string, { sigma: number; clean: number[] | string }> = {
  grey_sigma2: { sigma: 2, clean: [128] },
  grey_sigma5: { sigma: 5, clean: [128] },
  grey_sigma10: { sigma: 10, clean: [128] },
  colour_sigma5: { sigma: 5, clean: [140, 110, 90] },
  sample2_sigma5: { sigma: 5, clean: "sample2" },
};

/** The `noise` golden images, by name (ADDED_NOISE says which carry noise of a known σ). */
export async function noiseGoldenImages(): Promise<Record<string, PixelImage>> {
  const sample2 = await fullResolution(referenceSample("sample2-536x354.jpg"));
  const sample3 = await fullResolution(referenceSample("sample3-color-5000x3330.jpg"));
  return {
    sample1: await fullResolution(referenceSample("sample1-536x354-grayscale.jpg"), true),
    sample2,
    sample3_window: centredWindow(sample3, SAMPLE3_WINDOW_PX),
    grey_sigma2: withNoise(flat(512, 512, [128]), 2, 2),
    grey_sigma5: withNoise(flat(512, 512, [128]), 5, 5),
    grey_sigma10: withNoise(flat(512, 512, [128]), 10, 10),
    colour_sigma5: withNoise(flat(512, 384, [140, 110, 90]), 5, 55),
    sample2_sigma5: withNoise(sample2, 5, 25),
    gradient: gradient(512, 384),
    flat: flat(64, 48, [77]),
  };
}
