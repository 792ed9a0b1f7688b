/**
 * The analysed pixels of the v2 golden images, made the way the service makes them (longer side ≤ 512 px,
 * EXIF-oriented, 8-bit sRGB; a grey JPEG stays one channel), with sharp, for the tests, the benchmark and the
 * calibration. The metric modules themselves never see sharp.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import type { PixelImage } from "../../src/metrics/planes.ts";
import { REFERENCE_DIR } from "../images.ts";

export const MAX_SIDE_PX = 512;

/** Decodes `bytes` to the analysed pixels: ≤ 512 px, oriented, sRGB (or grey) 8-bit. */
export async function analysedPixels(bytes: Uint8Array, grey = false): Promise<PixelImage> {
  const { data, info } = await sharp(bytes, { autoOrient: true })
    .resize({ width: MAX_SIDE_PX, height: MAX_SIDE_PX, fit: "inside", withoutEnlargement: true })
    .toColourspace(grey ? "b-w" : "srgb")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), ...info };
}

/** The same pixels blurred with a Gaussian of `sigma` px (at the analysed size), edges extended. */
export async function blurred(pixels: PixelImage, sigma: number): Promise<PixelImage> {
  const { data, info } = await sharp(pixels.data, {
    raw: { width: pixels.width, height: pixels.height, channels: pixels.channels as 1 | 2 | 3 | 4 },
  })
    .blur(sigma)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), ...info };
}

/** An `x0, y0, w, h` crop of the analysed-size resize of `bytes` taken at full resolution first. */
export async function cropThenAnalyse(bytes: Uint8Array, left: number, top: number, size: number): Promise<PixelImage> {
  const crop = await sharp(bytes, { autoOrient: true })
    .extract({ left, top, width: size, height: size })
    .png()
    .toBuffer();
  return analysedPixels(new Uint8Array(crop));
}

/** sha256 of the pixel bytes, so that goldens are known to be of the same pixels. */
export function pixelsHash(pixels: PixelImage): string {
  return createHash("sha256").update(pixels.data).digest("hex");
}

/**
 * Writes each image's pixels into `dir` as `<name>.raw`, what a golden script reads, and `manifest.json`: each
 * image's size, layout and sha256 with `extra`'s fields, shaped by `wrap`. Returns the manifest.
 *
 * @example
 * exportGoldenPixels("/tmp/golden-v3-hash", await hashImages());
 */
export function exportGoldenPixels(
  dir: string,
  images: Record<string, PixelImage>,
  extra: (name: string, pixels: PixelImage) => object = () => ({}),
  wrap: (entries: Record<string, object>) => object = (entries) => entries,
): object {
  mkdirSync(dir, { recursive: true });
  const entries: Record<string, object> = {};
  for (const [name, pixels] of Object.entries(images)) {
    writeFileSync(join(dir, `${name}.raw`), pixels.data);
    const { width, height, channels } = pixels;
    entries[name] = { width, height, channels, sha256: pixelsHash(pixels), ...extra(name, pixels) };
  }
  const manifest = wrap(entries);
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The v2 golden images, by name: the reference samples, an alpha-weighted variant and a blurred one. */
export async function goldenImages(): Promise<Record<string, PixelImage>> {
  const file = (name: string) => new Uint8Array(readFileSync(`${REFERENCE_DIR}${name}`));
  const sample1 = await analysedPixels(file("sample1-536x354-grayscale.jpg"), true);
  const sample2 = await analysedPixels(file("sample2-536x354.jpg"));
  const sample3 = await analysedPixels(file("sample3-color-5000x3330.jpg"));
  return {
    sample1: sample1,
    sample2: sample2,
    sample3: sample3,
    sample2_blur2: await blurred(sample2, 2),
    sample3_alpha: withAlphaRamp(sample3),
  };
}

/**
 * Photos for the dominant colours' quality claim (docs/METRICS.md): 24 crops of sample 3 of random sizes and
 * places, their saturation scaled by 0.3 to 1.8 and their hue turned, each analysed as the service would; from
 * a fixed-seed generator, so the same every time (their sha256 are in values.json).
 */
export async function qualityImages(): Promise<Record<string, PixelImage>> {
  const photo = readFileSync(`${REFERENCE_DIR}sample3-color-5000x3330.jpg`);
  let state = 7;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const out: Record<string, PixelImage> = {};
  for (let k = 0; k < 24; k++) {
    const width = 400 + Math.floor(random() * 2000);
    const height = 300 + Math.floor(random() * 1500);
    const left = Math.floor(random() * (5000 - width));
    const top = Math.floor(random() * (3330 - height));
    const crop = await sharp(photo)
      .extract({ left, top, width, height })
      .modulate({ saturation: 0.3 + random() * 1.5, hue: Math.floor(random() * 360) })
      .png()
      .toBuffer();
    out[`crop${String(k).padStart(2, "0")}`] = await analysedPixels(new Uint8Array(crop));
  }
  return out;
}

/** RGB pixels with an alpha that rises left to right, 0 at x = 0 to 255 at the right edge, and a clear band. */
export function withAlphaRamp(pixels: PixelImage): PixelImage {
  const { width, height } = pixels;
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    data.set(pixels.data.subarray(i * 3, i * 3 + 3), i * 4);
    data[i * 4 + 3] = x < width / 8 ? 0 : Math.round((255 * x) / (width - 1));
  }
  return { data, width, height, channels: 4 };
}
