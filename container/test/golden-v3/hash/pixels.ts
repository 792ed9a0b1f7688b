/**
 * The golden images of the hash: the reference samples as the service analyses them (golden-v2/pixels.ts), the
 * same with transparency (RGBA and grey + alpha), and small made-up ones for the odd cases (smaller than the
 * grids, one pixel, narrow, flat, mirror-symmetric, exactly 9 × 8). Deterministic; nothing of it is committed.
 */
import { readFileSync } from "node:fs";
import type { PixelImage } from "../../../src/metrics/planes.ts";
import { analysedPixels, withAlphaRamp } from "../../golden-v2/pixels.ts";
import { REFERENCE_DIR } from "../../images.ts";

/** The reference files whose SHA-256 the golden values hold (sha256sum's). */
export const REFERENCE_FILES = [
  "sample1-536x354-grayscale.jpg",
  "sample2-536x354.jpg",
  "sample3-color-5000x3330.jpg",
] as const;

export function referenceBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${REFERENCE_DIR}${name}`));
}

/** A linear congruential generator's bytes: the same pixels on every machine. */
function noise(count: number, seed: number): Uint8Array {
  let state = seed;
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

/** A smooth picture with detail: a diagonal ramp, a disc and some noise, in `channels` channels. */
function made(width: number, height: number, channels: number, seed: number): PixelImage {
  const jitter = noise(width * height * channels, seed);
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const disc = (x - width * 0.6) ** 2 + (y - height * 0.4) ** 2 < (Math.min(width, height) * 0.3) ** 2 ? 90 : 0;
      for (let c = 0; c < channels; c++) {
        const i = (y * width + x) * channels + c;
        const ramp = ((x + 2 * y) * 160) / (width + 2 * height);
        data[i] = Math.min(255, Math.round(ramp + disc + c * 20 + ((jitter[i] as number) >> 4)));
      }
    }
  }
  return { data, width, height, channels };
}

/** The left half mirrored onto the right: every odd horizontal frequency of its DCT is exactly 0. */
function mirrored(pixels: PixelImage): PixelImage {
  const { width, height, channels } = pixels;
  const data = Uint8Array.from(pixels.data);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width / 2; x++) {
      for (let c = 0; c < channels; c++) {
        data[(y * width + (width - 1 - x)) * channels + c] = data[(y * width + x) * channels + c] as number;
      }
    }
  }
  return { data, width, height, channels };
}

/** Grey with an alpha that rises left to right (as withAlphaRamp), two channels. */
function greyAlpha(pixels: PixelImage): PixelImage {
  const { width, height } = pixels;
  const data = new Uint8Array(width * height * 2);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    data[i * 2] = pixels.data[i * pixels.channels] as number;
    data[i * 2 + 1] = x < width / 8 ? 0 : Math.round((255 * x) / (width - 1));
  }
  return { data, width, height, channels: 2 };
}

/** The hash's golden images, by name. */
export async function hashImages(): Promise<Record<string, PixelImage>> {
  const sample1 = await analysedPixels(referenceBytes("sample1-536x354-grayscale.jpg"), true);
  const sample2 = await analysedPixels(referenceBytes("sample2-536x354.jpg"));
  const sample3 = await analysedPixels(referenceBytes("sample3-color-5000x3330.jpg"));
  return {
    sample1,
    sample2,
    sample3,
    sample3_alpha: withAlphaRamp(sample3),
    sample1_grey_alpha: greyAlpha(sample1),
    sample2_mirrored: mirrored(sample2),
    made_5x3: made(5, 3, 3, 1),
    made_1x1: made(1, 1, 3, 2),
    made_37x512: made(37, 512, 3, 3),
    made_9x8: made(9, 8, 1, 4),
    made_100x7_rgba: made(100, 7, 4, 5),
    flat_64x64: { data: new Uint8Array(64 * 64 * 3).fill(117), width: 64, height: 64, channels: 3 },
  };
}
