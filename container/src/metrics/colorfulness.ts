/**
 * `colorfulness`: Hasler & Süsstrunk, "Measuring colourfulness in natural images", Proc. SPIE 5007 (2003):
 * on 8-bit sRGB, rg = R − G and yb = (R + G)/2 − B; M = √(σ²rg + σ²yb) + 0.3 · √(μ²rg + μ²yb), with weighted
 * population statistics. One pass over the pixels; the sums are exact integers (2·yb keeps them whole).
 * Pure: typed arrays in, a plain object out.
 */
import type { z } from "zod";
import type { InsightsSchemas } from "../../../contract/schemas.ts";
import { round2 } from "./contrast.ts";
import type { PixelImage, Weights } from "./planes.ts";

export type Colorfulness = z.infer<typeof InsightsSchemas.colorfulness>;
type Label = Colorfulness["label"];

/** The paper's categories: each label applies from its M up to the next one's. */
export const COLORFULNESS_LABELS: ReadonlyArray<readonly [number, Label]> = [
  [0, "not colorful"],
  [15, "slightly colorful"],
  [33, "moderately colorful"],
  [45, "averagely colorful"],
  [59, "quite colorful"],
  [82, "highly colorful"],
  [109, "extremely colorful"],
];

/**
 * The label of a colourfulness M: the highest category not above it.
 *
 * @example
 * colorfulnessLabel(14.99); // "not colorful"
 * colorfulnessLabel(33); // "moderately colorful"
 */
export function colorfulnessLabel(m: number): Label {
  let label: Label = "not colorful";
  for (const [from, name] of COLORFULNESS_LABELS) if (m >= from) label = name;
  return label;
}

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

/**
 * M from the weighted sums of rg = R − G and of 2·yb = R + G − 2B and their squares; `null` when `total` is 0.
 *
 * @example
 * colorfulnessOfSums(1, 255, 65_025, 255, 65_025); // { value: 85.53, label: "highly colorful" } (pure red)
 */
export function colorfulnessOfSums(
  total: number,
  sumRg: number,
  sumRg2: number,
  sumYb: number,
  sumYb2: number,
): Colorfulness | null {
  if (total === 0) return null;
  const meanRg = sumRg / total;
  const meanYb = sumYb / total / 2;
  const varRg = Math.max(0, sumRg2 / total - meanRg * meanRg);
  const varYb = Math.max(0, sumYb2 / total / 4 - meanYb * meanYb);
  const m = Math.sqrt(varRg + varYb) + 0.3 * Math.sqrt(meanRg * meanRg + meanYb * meanYb);
  const value = round2(m);
  return { value, label: colorfulnessLabel(value) };
}
