/**
 * Calibration of `sharpness`: sharp photos (the reference samples and crops of sample 3 at several places and
 * scales), each blurred with a Gaussian of known σ at the analysed size (sharp's blur, σ in analysed pixels), and
 * the Laplacian variance, score and `blurry` flag of each. The table goes into docs/METRICS.md.
 *
 * The blur is computed here (separable Gaussian, radius ⌈4σ⌉, edges replicated, in float, rounded back to 8 bits
 * like any blurred photo): libvips' gaussblur leaves σ = 0.5 unchanged (its mask rounds to one tap).
 *
 *   node --import tsx container/bench/calibrate-sharpness.ts [--markdown]
 */
import { readFileSync } from "node:fs";
import { neighbourhood } from "../src/metrics/neighbourhood.ts";
import { lumaPlane, type PixelImage } from "../src/metrics/planes.ts";
import { sharpness } from "../src/metrics/sharpness.ts";
import { analysedPixels, cropThenAnalyse } from "../test/golden-v2/pixels.ts";
import { REFERENCE_DIR } from "../test/images.ts";

export const SIGMAS = [0, 0.5, 1, 2, 3, 5];

/**
 * `pixels` blurred with a Gaussian of `sigma` px: each channel, rows then columns, edges replicated.
 *
 * @example
 * gaussianBlur(pixels, 2);
 */
export function gaussianBlur(pixels: PixelImage, sigma: number): PixelImage {
  const { data, width, height, channels } = pixels;
  const radius = Math.ceil(4 * sigma);
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const norm = kernel.reduce((a, b) => a + b, 0);
  const taps = kernel.map((k) => k / norm);
  const clamp = (v: number, n: number) => (v < 0 ? 0 : v >= n ? n - 1 : v);
  const across = new Float64Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let t = -radius; t <= radius; t++) {
          sum += (taps[t + radius] as number) * (data[(y * width + clamp(x + t, width)) * channels + c] as number);
        }
        across[(y * width + x) * channels + c] = sum;
      }
    }
  }
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let t = -radius; t <= radius; t++) {
          sum += (taps[t + radius] as number) * (across[(clamp(y + t, height) * width + x) * channels + c] as number);
        }
        out[(y * width + x) * channels + c] = Math.round(sum);
      }
    }
  }
  return { data: out, width, height, channels };
}

const file = (name: string) => new Uint8Array(readFileSync(`${REFERENCE_DIR}${name}`));
const sample3 = file("sample3-color-5000x3330.jpg");
const photos: Array<[string, Promise<PixelImage>]> = [
  ["sample1 (grey, 536×354)", analysedPixels(file("sample1-536x354-grayscale.jpg"), true)],
  ["sample2 (536×354)", analysedPixels(file("sample2-536x354.jpg"))],
  ["sample3 (5000×3330)", analysedPixels(sample3)],
  ["sample3 crop 1600² top left", cropThenAnalyse(sample3, 0, 0, 1600)],
  ["sample3 crop 1600² centre", cropThenAnalyse(sample3, 1700, 865, 1600)],
  ["sample3 crop 1600² bottom right", cropThenAnalyse(sample3, 3400, 1730, 1600)],
  ["sample3 crop 512² centre (1:1)", cropThenAnalyse(sample3, 2244, 1409, 512)],
  ["sample3 crop 512² left (1:1)", cropThenAnalyse(sample3, 300, 1400, 512)],
];

const markdown = process.argv.includes("--markdown");
const rows: string[][] = [];
for (const [name, pending] of photos) {
  const pixels = await pending;
  for (const sigma of SIGMAS) {
    const image = sigma === 0 ? pixels : gaussianBlur(pixels, sigma);
    const stats = neighbourhood(lumaPlane(image), image.width, image.height, null);
    const s = sharpness(stats);
    rows.push([name, String(sigma), (s?.laplacian_variance ?? 0).toFixed(2), String(s?.score), String(s?.blurry)]);
  }
}
if (markdown) {
  console.log("| image | σ | laplacian_variance | score | blurry |");
  console.log("|---|---:|---:|---:|---|");
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
} else {
  for (const row of rows) console.log(row.map((c, i) => (i === 0 ? c.padEnd(34) : c.padStart(10))).join(""));
}
