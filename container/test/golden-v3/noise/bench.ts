/**
 * The cost of `noise` and `thumbhash` on this machine: each timed over a loop after a warm-up, the median of 5
 * such loops. `noise` on the 536 × 354 colour sample at full resolution, on sample 3 (5000 × 3330, 16.7 MP) and on
 * a 4000 × 3000 (12 MP) noisy image; `thumbhash` on the sample's analysed pixels (512 × 338).
 *
 *   node --import tsx container/test/golden-v3/noise/bench.ts
 */
import { noise } from "../../../src/metrics/noise.ts";
import type { PixelImage } from "../../../src/metrics/planes.ts";
import { thumbhash } from "../../../src/metrics/thumbhash.ts";
import { analysedPixels } from "../../golden-v2/pixels.ts";
import { referenceSample } from "../../images.ts";
import { flat, fullResolution, withNoise } from "./pixels.ts";

function time(what: string, iterations: number, run: () => unknown): void {
  for (let i = 0; i < Math.max(20, iterations / 5); i++) run();
  const loops: number[] = [];
  for (let k = 0; k < 5; k++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) run();
    loops.push((performance.now() - start) / iterations);
  }
  loops.sort((a, b) => a - b);
  console.log(
    `${what}: ${(loops[2] as number).toFixed(3)} ms (median of 5 loops of ${iterations}; ${loops.map((v) => v.toFixed(3)).join(", ")})`,
  );
}

const sample = referenceSample("sample2-536x354.jpg");
const full: PixelImage = await fullResolution(sample);
const analysed = await analysedPixels(sample);
time(`noise, sample 2 full resolution ${full.width}×${full.height}`, 400, () => noise(full));
time(`thumbhash, sample 2 analysed ${analysed.width}×${analysed.height}`, 400, () => thumbhash(analysed));
const big = await fullResolution(referenceSample("sample3-color-5000x3330.jpg"));
time(`noise, sample 3 full resolution ${big.width}×${big.height}`, 10, () => noise(big));
const twelve = withNoise(flat(4000, 3000, [120, 130, 140]), 5, 12);
time("noise, 4000×3000 RGB with σ 5", 10, () => noise(twelve));
