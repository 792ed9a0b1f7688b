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
import { colourMetrics } from "../src/metrics/colour-pass.ts";
import { contrast } from "../src/metrics/contrast.ts";
import { edgeDensity } from "../src/metrics/edge-density.ts";
import { neighbourhood } from "../src/metrics/neighbourhood.ts";
import { overlay, overlayFromPixels } from "../src/metrics/overlay.ts";
import { placeholder } from "../src/metrics/placeholder.ts";
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
  "overlay (overlayFromPixels)": () => overlayFromPixels(pixels, weights, null),
  "overlay, edge_mode=all": () => overlayFromPixels(pixels, weights, "all"),
  "overlay from a luminance plane, plane included": () =>
    overlay(scalePlane(pixels, "luminance", scratch), weights, width, height, null),
  placeholder: () => placeholder(pixels, weights),
};
metrics["colourMetrics: the four colour metrics in one pass"] = () =>
  colourMetrics(pixels, weights, { colorfulness: true, colors: 5, overlay: null, placeholder: true });
metrics["contrast + neighbourhood + colourMetrics"] = () => {
  contrast(luma, weights, count);
  const stats = neighbourhood(luma, width, height, weights);
  sharpness(stats);
  edgeDensity(stats);
  colourMetrics(pixels, weights, { colorfulness: true, colors: 5, overlay: null, placeholder: true });
};
/** Variants, timed apart and left out of the total. */
const VARIANTS = new Set([
  "colourMetrics: the four colour metrics in one pass",
  "contrast + neighbourhood + colourMetrics",
  "colors (n = 10)",
  "overlay, edge_mode=all",
  "overlay from a luminance plane, plane included",
]);
metrics["colors (n = 10)"] = () => colors(pixels, weights, 10);
const extras: Record<string, () => unknown> = {
  "luma plane (the brightness pass has it)": () => lumaPlane(pixels, scratch),
  "scale plane: luminance": () => scalePlane(pixels, "luminance", scratch),
  "scale plane: lstar": () => scalePlane(pixels, "lstar", scratch),
};

/** The median and the fastest of `iterations` warm runs, in ms. */
function time(run: () => unknown): [number, number] {
  for (let i = 0; i < 50; i++) run();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    run();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return [samples[Math.floor(samples.length / 2)] as number, samples[0] as number];
}

console.log(
  `sample2-536x354.jpg analysed at ${width}×${height} (${count} px), ${iterations} warm runs: median (fastest)`,
);
const show = (name: string, [median, fastest]: [number, number]) =>
  console.log(`${name.padEnd(44)} ${median.toFixed(3)} ms (${fastest.toFixed(3)})`);
let total = 0;
for (const [name, run] of Object.entries(metrics)) {
  const ms = time(run);
  if (!VARIANTS.has(name)) total += ms[0];
  show(name, ms);
}
const all = time(() => {
  for (const [name, run] of Object.entries(metrics)) if (!VARIANTS.has(name)) run();
});
console.log(`${"sum of the medians (colors n = 5, no bands)".padEnd(44)} ${total.toFixed(3)} ms`);
show("all of them in one loop", all);
for (const [name, run] of Object.entries(extras)) show(name, time(run));
