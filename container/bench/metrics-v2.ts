/**
 * Micro-benchmark of the v2 metrics (issue #13) on the 536×354 reference samples at their analysed size
 * (512×338, the service's decode: ≤ 512 px, sRGB 8-bit; sample 1 stays grey): what `insights()` costs for each
 * metric asked for alone, and for all of them at once (which share their passes: insights.ts), beside the
 * brightness pass every request makes. The cases run in rotation, one call each per round, so that load from
 * elsewhere hits them alike; the figure is the median of the rounds, in ms.
 *
 *   node --import tsx container/bench/metrics-v2.ts [rounds]
 */
import { readFileSync } from "node:fs";
import type { EdgeMode, Metric } from "../../contract/analysis.ts";
import { analyse } from "../src/metrics/analyse.ts";
import { insights } from "../src/metrics/insights.ts";
import { lumaPlane, type PixelImage } from "../src/metrics/planes.ts";
import { analysedPixels } from "../test/golden-v2/pixels.ts";
import { REFERENCE_DIR } from "../test/images.ts";

const rounds = Number(process.argv[2] ?? 400);
const WARMUP_ROUNDS = 50;
const V2: Metric[] = ["contrast", "sharpness", "edge_density", "colorfulness", "colors", "overlay", "placeholder"];

function cases(pixels: PixelImage): Record<string, () => unknown> {
  const ask =
    (metrics: Metric[], colors = 5, edgeMode: EdgeMode | null = null) =>
    () =>
      insights(pixels, metrics, { colors, edgeMode });
  const scratch = new Uint32Array(pixels.width * pixels.height);
  return {
    "brightness pass (analyse, every request)": () =>
      analyse(pixels, { median: false, histogram: false, edgeMode: null }),
    "v1 groups of metrics=all (+ median, histogram)": () =>
      analyse(pixels, { median: true, histogram: true, edgeMode: null }),
    "luma plane alone (for reference)": () => lumaPlane(pixels, scratch),
    contrast: ask(["contrast"]),
    "sharpness + edge_density (one pass)": ask(["sharpness", "edge_density"]),
    colorfulness: ask(["colorfulness"]),
    "colors (N = 5)": ask(["colors"]),
    "colors (N = 10)": ask(["colors"], 10),
    overlay: ask(["overlay"]),
    "overlay, edge_mode=all": ask(["overlay"], 5, "all"),
    placeholder: ask(["placeholder"]),
    "all seven (colors=5)": ask(V2),
    "all seven, edge_mode=all": ask(V2, 5, "all"),
  };
}

/** The median time of each case, in ms, the cases in rotation. */
function time(runs: Record<string, () => unknown>): Record<string, number> {
  const names = Object.keys(runs);
  const samples = names.map(() => [] as number[]);
  for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
    for (const [k, name] of names.entries()) {
      const t0 = performance.now();
      (runs[name] as () => unknown)();
      if (round >= WARMUP_ROUNDS) samples[k]?.push(performance.now() - t0);
    }
  }
  return Object.fromEntries(
    names.map((name, k) => {
      const sorted = (samples[k] as number[]).sort((a, b) => a - b);
      return [name, sorted[sorted.length >> 1] as number];
    }),
  );
}

const images: Array<[string, PixelImage]> = [
  ["sample2-536x354.jpg", await analysedPixels(new Uint8Array(readFileSync(`${REFERENCE_DIR}sample2-536x354.jpg`)))],
  [
    "sample1-536x354-grayscale.jpg",
    await analysedPixels(new Uint8Array(readFileSync(`${REFERENCE_DIR}sample1-536x354-grayscale.jpg`)), true),
  ],
];
const results = images.map(([name, pixels]) => [name, pixels, time(cases(pixels))] as const);
console.log(
  `v2 metrics, median of ${rounds} rounds, ms (${results.map(([n, p]) => `${n}: ${p.width}×${p.height}×${p.channels}`).join("; ")})`,
);
const names = Object.keys(results[0]?.[2] ?? {});
const width = Math.max(...names.map((n) => n.length));
console.log(`| ${"".padEnd(width)} | ${results.map(([n]) => n.slice(0, 7)).join(" | ")} |`);
console.log(`|${"-".repeat(width + 2)}|${results.map(() => "--------:").join("|")}|`);
for (const name of names) {
  console.log(
    `| ${name.padEnd(width)} | ${results.map(([, , r]) => (r[name] as number).toFixed(3).padStart(7)).join(" | ")} |`,
  );
}
