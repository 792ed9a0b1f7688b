/**
 * The v2 insights of one analysed image (docs/METRICS.md), in as few passes over the pixels as the metrics
 * asked for need; a metric not asked for costs nothing:
 *
 * 1. the colour metrics read the pixels once (colour-pass.ts), and the same pass writes the luma plane, with
 *    contrast's coarse counts and deviation sums, when a luma metric is asked for too (otherwise `lumaPlane`
 *    makes the plane);
 * 2. sharpness and edge density read the luma plane once (neighbourhood.ts), and that pass makes contrast's fine
 *    counts; contrast without them reads the plane by itself;
 * 3. the v3 metrics of the pixels read them by themselves: `accessibility` (accessibility.ts, which simulates the
 *    dominant colours and the overlay advice of the colour pass: asked for alone, it has the pass make them),
 *    `crop` (crop.ts), `thumbhash` (thumbhash.ts) and the two perceptual hashes of `hash` (hash.ts; its SHA-256 is
 *    of the file, engine.ts).
 */
import { DEFAULT_COLORS, type EdgeMode, type Metric } from "../../../contract/analysis.ts";
import type { InsightsSchemas } from "../../../contract/schemas.ts";
import { type Accessibility, accessibility } from "./accessibility.ts";
import { type ColourResults, colourMetrics } from "./colour-pass.ts";
import { type ContrastSums, contrast, contrastOfSums, contrastSums, countContrast } from "./contrast.ts";
import { type Crop, cropHints } from "./crop.ts";
import { edgeDensity } from "./edge-density.ts";
import { type PictureHash, pictureHash } from "./hash.ts";
import { neighbourhood } from "./neighbourhood.ts";
import { alphaPlane, lumaAt, lumaPlane, type PixelImage, type Weights } from "./planes.ts";
import { sharpness } from "./sharpness.ts";
import { thumbhash } from "./thumbhash.ts";
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
  /** `hash` without its SHA-256, which is of the file (engine.ts adds it). */
  pictureHashes?: PictureHash;
  crop?: Crop;
  accessibility?: Accessibility;
  thumbhash?: string;
}

export interface InsightOptions {
  /** How many dominant colours, for `colors`. */
  colors?: number;
  /** The border bands, for `overlay`'s per-band advice. */
  edgeMode?: EdgeMode | null;
  /** `crop`'s ratios, and the size its boxes are given in: the image as people see it. */
  crop?: { ratios: readonly string[]; oriented: { width: number; height: number } };
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
  // accessibility simulates the dominant colours and the overlay advice: the pass makes them when it is asked for.
  const wantAccessibility = wants("accessibility");
  const wantColors = wants("colors") || wantAccessibility;
  const wantOverlay = wants("overlay") || wantAccessibility;
  const needPixels = wants("colorfulness") || wantColors || wantOverlay || wants("placeholder");
  // crop and the perceptual hashes read the luma plane and the weights: made once for all who need them.
  const wantPlanes = wants("hash") || wants("crop");
  if (!needLuma && !needPixels && !wantPlanes) return ownPassMetrics(pixels, wants, options);
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
        colors: wantColors ? (options.colors ?? DEFAULT_COLORS) : undefined,
        overlay: wantOverlay ? (wants("overlay") ? (options.edgeMode ?? null) : null) : undefined,
        placeholder: wants("placeholder"),
        luma: lumaMade ? { plane: lumaScratch, contrast: sums } : undefined,
      })
    : {};

  const out: Insights = {};
  const luma = lumaMade ? lumaScratch : needLuma || wantPlanes ? lumaPlane(pixels, lumaScratch) : null;
  if (needLuma && luma) {
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
  const own = ownPassMetrics(pixels, wants, options, luma ? { luma, weights } : undefined);
  const simulated =
    wantAccessibility && colour.colors && colour.overlay
      ? accessibility(pixels, colour.colors.dominant, colour.overlay.text_color)
      : undefined;
  // In the order the response has always listed them.
  return {
    ...(out.contrast && { contrast: out.contrast }),
    ...(out.sharpness && { sharpness: out.sharpness }),
    ...(out.edge_density && { edge_density: out.edge_density }),
    ...(colour.colorfulness && { colorfulness: colour.colorfulness }),
    ...(wants("colors") && colour.colors && { colors: colour.colors }),
    ...(wants("overlay") && colour.overlay && { overlay: colour.overlay }),
    ...(colour.placeholder && { placeholder: colour.placeholder }),
    ...own,
    ...(simulated && { accessibility: simulated }),
  };
}

/**
 * The v3 metrics that read the pixels by themselves (crop, thumbhash, the perceptual hashes), from the luma plane
 * and weights already made when given.
 */
function ownPassMetrics(
  pixels: PixelImage,
  wants: (m: Metric) => boolean,
  options: InsightOptions,
  planes?: { luma: Uint32Array; weights: Weights },
): Insights {
  const out: Insights = {};
  if (wants("hash")) out.pictureHashes = pictureHash(pixels, planes?.luma ?? null);
  if (wants("crop") && options.crop) {
    out.crop = cropHints(pixels, options.crop.ratios, options.crop.oriented, planes);
  }
  if (wants("thumbhash")) out.thumbhash = thumbhash(pixels);
  return out;
}
