/**
 * The v2 insights of one analysed image (docs/METRICS.md): the planes they read are made once, and only for the
 * metrics asked for; a metric not asked for costs nothing. Contrast reads the luma plane; sharpness and edge
 * density share one pass over it (neighbourhood.ts); colourfulness reads the pixels.
 */
import { DEFAULT_COLORS, type EdgeMode, type Metric } from "../../../contract/analysis.ts";
import type { InsightsSchemas } from "../../../contract/schemas.ts";
import { colorfulness } from "./colorfulness.ts";
import { colors } from "./colors.ts";
import { contrast } from "./contrast.ts";
import { edgeDensity } from "./edge-density.ts";
import { neighbourhood } from "./neighbourhood.ts";
import { overlay } from "./overlay.ts";
import { placeholder } from "./placeholder.ts";
import { alphaPlane, lumaPlane, type PixelImage } from "./planes.ts";
import { scalePlane } from "./scales.ts";
import { sharpness } from "./sharpness.ts";

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

// Reused planes: insights() is synchronous, so no two calls share them at once.
let lumaScratch: Uint32Array = new Uint32Array(0);
let alphaScratch = new Uint8Array(0);
let luminanceScratch: Uint32Array = new Uint32Array(0);

/**
 * @example
 * insights(pixels, ["contrast", "sharpness"]); // { contrast: { rms: …, score: … }, sharpness: { … } }
 * insights(pixels, ["colors"], { colors: 3 }); // { colors: { average: …, dominant: [3 clusters at most] } }
 */
export function insights(pixels: PixelImage, metrics: readonly Metric[], options: InsightOptions = {}): Insights {
  const out: Insights = {};
  const wants = (m: Metric) => metrics.includes(m);
  const needLuma = wants("contrast") || wants("sharpness") || wants("edge_density");
  const needPixels = wants("colorfulness") || wants("colors") || wants("overlay") || wants("placeholder");
  if (!needLuma && !needPixels) return out;
  const count = pixels.width * pixels.height;
  if (alphaScratch.length < count) alphaScratch = new Uint8Array(count);
  const weights = alphaPlane(pixels, alphaScratch);
  if (needLuma) {
    if (lumaScratch.length < count) lumaScratch = new Uint32Array(count);
    const luma = lumaPlane(pixels, lumaScratch);
    if (wants("contrast")) out.contrast = contrast(luma, weights, count) ?? undefined;
    if (wants("sharpness") || wants("edge_density")) {
      const stats = neighbourhood(luma, pixels.width, pixels.height, weights);
      if (wants("sharpness")) out.sharpness = sharpness(stats) ?? undefined;
      if (wants("edge_density")) out.edge_density = edgeDensity(stats) ?? undefined;
    }
  }
  if (wants("colorfulness")) out.colorfulness = colorfulness(pixels, weights) ?? undefined;
  if (wants("colors")) out.colors = colors(pixels, weights, options.colors ?? DEFAULT_COLORS) ?? undefined;
  if (wants("overlay")) {
    luminanceScratch = scalePlane(pixels, "luminance", luminanceScratch);
    const advice = overlay(luminanceScratch, weights, pixels.width, pixels.height, options.edgeMode ?? null);
    out.overlay = advice ?? undefined;
  }
  if (wants("placeholder")) out.placeholder = placeholder(pixels, weights) ?? undefined;
  return out;
}
