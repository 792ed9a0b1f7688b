/**
 * The JavaScript reference of `colorfulness`'s sums, one pass over the pixels: what the colour pass (WebAssembly:
 * container/wasm/passes.ts, colour-pass.ts) is held to, and the easy way for a test to get one image's
 * colourfulness.
 */
import { type Colorfulness, colorfulnessOfSums } from "../../src/metrics/colorfulness.ts";
import type { PixelImage, Weights } from "../../src/metrics/planes.ts";

/**
 * The colourfulness M of the analysed pixels (1–2 channels: grey, 0), 2 decimals, and its label (of the rounded
 * value, so that the two never disagree); `null` when no pixel is visible.
 *
 * @example
 * colorfulness({ data: Uint8Array.of(255, 0, 0), width: 1, height: 1, channels: 3 }, null);
 * // { value: 85.53, label: "highly colorful" }: rg = 255, yb = 127.5, σ = 0, 0.3 · √(255² + 127.5²)
 */
export function colorfulness(pixels: PixelImage, weights: Weights): Colorfulness | null {
  const { data, width, height, channels } = pixels;
  const count = width * height;
  let total = 0;
  let sumRg = 0;
  let sumRg2 = 0;
  let sumYb = 0; // of 2·yb = R + G − 2B
  let sumYb2 = 0;
  if (channels < 3) {
    total = weights ? weights.reduce((a, w) => a + w, 0) : count;
  } else if (weights) {
    for (let i = 0, o = 0; i < count; i++, o += channels) {
      const w = weights[i] as number;
      const r = data[o] as number;
      const g = data[o + 1] as number;
      const rg = r - g;
      const yb = r + g - 2 * (data[o + 2] as number);
      total += w;
      sumRg += w * rg;
      sumRg2 += w * rg * rg;
      sumYb += w * yb;
      sumYb2 += w * yb * yb;
    }
  } else {
    for (let o = 0, end = count * channels; o < end; o += channels) {
      const r = data[o] as number;
      const g = data[o + 1] as number;
      const rg = r - g;
      const yb = r + g - 2 * (data[o + 2] as number);
      sumRg += rg;
      sumRg2 += rg * rg;
      sumYb += yb;
      sumYb2 += yb * yb;
    }
    total = count;
  }
  return colorfulnessOfSums(total, sumRg, sumRg2, sumYb, sumYb2);
}
