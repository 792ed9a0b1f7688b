/**
 * The v2 insights of one analysed image (docs/METRICS.md), in as few passes over the pixels as the metrics
 * asked for need; a metric not asked for costs nothing:
 *
 * 1. the colour metrics read the pixels once (colour-pass.ts), and the same pass writes the luma plane, with
 *    contrast's coarse counts and deviation sums, when a luma metric is asked for too (otherwise `lumaPlane`
 *    makes the plane);
 * 2. sharpness and edge density read the luma plane once (neighbourhood.ts), and that pass makes contrast's fine
 *    counts; contrast without them reads the plane by itself.
 */
import { DEFAULT_COLORS, type EdgeMode, type Metric } from "../../../contract/analysis.ts";
import type { InsightsSchemas } from "../../../contract/schemas.ts";
import { type ColourResults, colourMetrics } from "./colour-pass.ts";
import { type ContrastSums, contrast, contrastOfSums, contrastSums, countContrast } from "./contrast.ts";
import { edgeDensity } from "./edge-density.ts";
import { neighbourhood } from "./neighbourhood.ts";
import { alphaPlane, lumaAt, lumaPlane, type PixelImage } from "./planes.ts";
import { sharpness } from "./sharpness.ts";
import { passMemory } from "./wasm.ts";

type Insight<K extends keyof typeof InsightsSchemas> = import("zod").z.infer<(typeof InsightsSchemas)[K]>;

export interface Insights {
  contrast?: Insight<"contrast">;
  sharpness?: Insight<"sharpness">;
  colorfulness?: Insight<"colorfulness">;
  colors?: Insight<"colors">;
  edge_density?: Insight<"edge_density">;
  overlay?: Insight<"overlay">;
  placeholder?: Insight<"placeholder">;
}

export interface InsightOptions {
  /** How many dominant colours, for `colors`. */
  colors?: number;
  /** The border bands, for `overlay`'s per-band advice. */
  edgeMode?: EdgeMode | null;
}

/**
 * @example
 * insights(pixels, ["contrast", "sharpness"]); // { contrast: { rms: …, score: … }, sharpness: { … } }
 * insights(pixels, ["colors"], { colors: 3 }); // { colors: { average: …, dominant: [3 clusters at most] } }
 */
export function insights(pixels: PixelImage, metrics: readonly Metric[], options: InsightOptions = {}): Insights {
  const wants = (m: Metric) => metrics.includes(m);
  const wantNeighbourhood = wants("sharpness") || wants("edge_density");
  const needLuma = wants("contrast") || wantNeighbourhood;
  const needPixels = wants("colorfulness") || wants("colors") || wants("overlay") || wants("placeholder");
  if (!needLuma && !needPixels) return {};
  const { width, height } = pixels;
  const count = width * height;
  // The planes in the WebAssembly passes' memory, where they read them in place (wasm.ts).
  const { weights: alphaScratch, plane: lumaScratch } = passMemory(count);
  const weights = alphaPlane(pixels, alphaScratch);
  // Contrast beside the neighbourhood metrics: its sums are made by the passes they make anyway.
  const sums: ContrastSums | null = wants("contrast") && wantNeighbourhood ? contrastSums(lumaAt(pixels, 0)) : null;

  // The colour pass writes the luma plane too when both kinds are asked for.
  const lumaMade = needPixels && needLuma;
  const colour: ColourResults = needPixels
    ? colourMetrics(pixels, weights, {
        colorfulness: wants("colorfulness"),
        colors: wants("colors") ? (options.colors ?? DEFAULT_COLORS) : undefined,
        overlay: wants("overlay") ? (options.edgeMode ?? null) : undefined,
        placeholder: wants("placeholder"),
        luma: lumaMade ? { plane: lumaScratch, contrast: sums } : undefined,
      })
    : {};

  const out: Insights = {};
  if (needLuma) {
    const luma = lumaMade ? lumaScratch : lumaPlane(pixels, lumaScratch);
    if (sums && !lumaMade) countContrast(luma, weights, count, sums);
    if (wantNeighbourhood) {
      const stats = neighbourhood(luma, width, height, weights, sums ?? undefined);
      if (sums) out.contrast = contrastOfSums(sums) ?? undefined;
      if (wants("sharpness")) out.sharpness = sharpness(stats) ?? undefined;
      if (wants("edge_density")) out.edge_density = edgeDensity(stats) ?? undefined;
    } else {
      out.contrast = contrast(luma, weights, count) ?? undefined;
    }
  }
  // In the order the response has always listed them.
  return {
    ...(out.contrast && { contrast: out.contrast }),
    ...(out.sharpness && { sharpness: out.sharpness }),
    ...(out.edge_density && { edge_density: out.edge_density }),
    ...(colour.colorfulness && { colorfulness: colour.colorfulness }),
    ...(colour.colors && { colors: colour.colors }),
    ...(colour.overlay && { overlay: colour.overlay }),
    ...(colour.placeholder && { placeholder: colour.placeholder }),
  };
}
