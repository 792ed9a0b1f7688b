/**
 * Micro-benchmark of the v2 metrics (issue #13) on the reference sample 2 at its analysed size (512×338, the
 * service's decode: ≤ 512 px, sRGB 8-bit), in a warm loop: the median time of each metric, and of all of them,
 * given the luma plane the brightness pass already makes (its cost is printed too, for a caller without it).
 *
 *   node --import tsx container/bench/metrics-v2.ts [iterations]
 */
import { readFileSync } from "node:fs";
import { colorfulness } from "../src/metrics/colorfulness.ts";
import { colors } from "../src/metrics/colors.ts";
import { contrast } from "../src/metrics/contrast.ts";
import { edgeDensity } from "../src/metrics/edge-density.ts";
import { neighbourhood } from "../src/metrics/neighbourhood.ts";
import { alphaPlane, lumaPlane, type PixelImage } from "../src/metrics/planes.ts";
import { scalePlane } from "../src/metrics/scales.ts";
import { sharpness } from "../src/metrics/sharpness.ts";
import { analysedPixels } from "../test/golden-v2/pixels.ts";
import { REFERENCE_DIR } from "../test/images.ts";

const iterations = Number(process.argv[2] ?? 300);
const pixels: PixelImage = await analysedPixels(new Uint8Array(readFileSync(`${REFERENCE_DIR}sample2-536x354.jpg`)));
const { width, height } = pixels;
const count = width * height;
const luma = lumaPlane(pixels);
const weights = alphaPlane(pixels);
const scratch = new Uint32Array(count);

const metrics: Record<string, () => unknown> = {
  contrast: () => contrast(luma, weights, count),
  "sharpness + edge_density (one pass)": () => {
    const stats = neighbourhood(luma, width, height, weights);
    return [sharpness(stats), edgeDensity(stats)];
  },
  colorfulness: () => colorfulness(pixels, weights),
  "colors (n = 5)": () => colors(pixels, weights, 5),
  "colors (n = 10)": () => colors(pixels, weights, 10),
};
const extras: Record<string, () => unknown> = {
  "luma plane (the brightness pass has it)": () => lumaPlane(pixels, scratch),
  "scale plane: luminance": () => scalePlane(pixels, "luminance", scratch),
  "scale plane: lstar": () => scalePlane(pixels, "lstar", scratch),
};

function time(run: () => unknown): number {
  for (let i = 0; i < 50; i++) run();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    run();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

console.log(`sample2-536x354.jpg analysed at ${width}×${height} (${count} px), median of ${iterations} warm runs`);
let total = 0;
for (const [name, run] of Object.entries(metrics)) {
  const ms = time(run);
  if (name !== "colors (n = 10)") total += ms;
  console.log(`${name.padEnd(42)} ${ms.toFixed(3)} ms`);
}
const all = time(() => {
  for (const [name, run] of Object.entries(metrics)) if (name !== "colors (n = 10)") run();
});
console.log(`${"sum of the above (colors n = 5)".padEnd(42)} ${total.toFixed(3)} ms`);
console.log(`${"all together, one loop (colors n = 5)".padEnd(42)} ${all.toFixed(3)} ms`);
for (const [name, run] of Object.entries(extras)) console.log(`${name.padEnd(42)} ${time(run).toFixed(3)} ms`);
