/**
 * `colorfulness`: Hasler & Süsstrunk, "Measuring colourfulness in natural images", Proc. SPIE 5007 (2003):
 * on 8-bit sRGB, rg = R − G and yb = (R + G)/2 − B; M = √(σ²rg + σ²yb) + 0.3 · √(μ²rg + μ²yb), with weighted
 * population statistics. The colour pass (colour-pass.ts) makes the sums in its one pass over the pixels; they are
 * exact integers (2·yb keeps them whole). Pure: numbers in, a plain object out.
 */
import type { z } from "zod";
import type { InsightsSchemas } from "../../../contract/schemas.ts";
import { round2 } from "./contrast.ts";

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
