/**
 * One image's analysis, once it holds a decode slot: the decode (decode.ts), the brightness family
 * (metrics/analyse.ts), the insights of the analysed pixels (metrics/insights.ts), and the v3 insights of the
 * file itself, which need more than the analysed pixels: `compression` and `noise` the full-resolution image (a
 * second decode, only when one of them is asked for), `metadata` the file's own facts, `hash` the SHA-256 of its
 * bytes. app.ts admits, queues and answers; this computes.
 */
import type { AcceptedFormat, AnalysisParams } from "../../contract/analysis.ts";
import type { ContainerConfig } from "./config.ts";
import {
  alphaUsed,
  type DecodedImage,
  type DecodeOptions,
  decodeFullResolution,
  decodePixels,
  type FileFacts,
  type ImageHeader,
  readFileFacts,
} from "./decode.ts";
import { type Analysis, analyse } from "./metrics/analyse.ts";
import { type Compression, compression } from "./metrics/compression.ts";
import { fullResolutionSums } from "./metrics/full-resolution.ts";
import { type Hash, sha256Hex } from "./metrics/hash.ts";
import { type Insights, insights } from "./metrics/insights.ts";
import { anyTransparent, type Metadata, metadata } from "./metrics/metadata.ts";
import { type Noise, noise } from "./metrics/noise.ts";

/** Every insight beside the brightness family, in the response's order (app.ts `toResponse`). */
export type ImageInsights = Omit<Insights, "pictureHashes"> & {
  compression?: Compression;
  noise?: Noise;
  hash?: Hash;
  metadata?: Metadata;
};

export interface ImageAnalysis {
  image: DecodedImage;
  analysis: Analysis;
  extra: ImageInsights;
  /** Milliseconds spent decoding (both decodes) and computing. */
  timings: { decode: number; analyse: number };
}

/** The settings the engine reads. */
export type EngineConfig = Pick<
  ContainerConfig,
  "analysisMaxSidePx" | "maxInputPixels" | "processingTimeoutS" | "fullResolutionMaxSidePx"
>;

/** The formats whose files may hold more than one frame (a JPEG or a PNG here has one). */
const MULTI_FRAME_FORMATS: ReadonlySet<AcceptedFormat> = new Set(["gif", "webp", "avif"]);

/** `compression` and `noise` need the full-resolution image, a second decode. */
function needsFullResolution(params: AnalysisParams): boolean {
  return params.metrics.includes("compression") || params.metrics.includes("noise");
}

/**
 * How many decodes of the file an analysis makes at once: a progressive JPEG's each hold its DCT coefficients, so
 * its lane (app.ts) counts its `progressiveBytes` this many times.
 *
 * @example
 * jpegDecodes({ metrics: ["noise"], edgeMode: null, background: null }); // 2
 */
export function jpegDecodes(params: AnalysisParams): number {
  return needsFullResolution(params) ? 2 : 1;
}

/**
 * @example
 * const { image, analysis, extra } = await analyseImage(bytes, "jpeg", header, params, config);
 */
export async function analyseImage(
  bytes: Uint8Array,
  format: AcceptedFormat,
  header: ImageHeader,
  params: AnalysisParams,
  config: EngineConfig,
): Promise<ImageAnalysis> {
  const wants = (metric: (typeof params.metrics)[number]) => params.metrics.includes(metric);
  let t = performance.now();
  // The decodes run side by side on libvips' threads (one each: decode.ts), so the second costs the request
  // little time where a core is free (a progressive JPEG's lane counts both: `jpegDecodes`).
  const analysed: DecodeOptions = {
    format,
    maxSidePx: config.analysisMaxSidePx,
    maxInputPixels: config.maxInputPixels,
    background: params.background,
    timeoutS: config.processingTimeoutS,
  };
  // metadata.alpha_used: the analysed pixels say, unless they were flattened onto `background=`.
  const usesAlpha = async (image: DecodedImage, facts: FileFacts) =>
    params.background ? alphaUsed(bytes, analysed, facts.hasAlpha) : anyTransparent(image.pixels);
  const [image, full, facts] = await Promise.all([
    decodePixels(bytes, header, analysed),
    needsFullResolution(params)
      ? decodeFullResolution(bytes, header, {
          format,
          maxSidePx: config.fullResolutionMaxSidePx,
          maxInputPixels: config.maxInputPixels,
          timeoutS: config.processingTimeoutS,
        })
      : null,
    // compression reads the frame count from the facts only where a file can hold frames.
    wants("metadata") || (wants("compression") && MULTI_FRAME_FORMATS.has(format)) ? readFileFacts(bytes) : null,
  ]);
  const decodeMs = performance.now() - t;

  t = performance.now();
  const analysis = analyse(image.pixels, {
    median: wants("median"),
    histogram: wants("histogram"),
    edgeMode: params.edgeMode,
    algorithm: params.algorithm,
  });
  const { pictureHashes, ...pixelInsights } = insights(image.pixels, params.metrics, {
    colors: params.colors,
    edgeMode: params.edgeMode,
    crop: params.crop && {
      ratios: params.crop,
      oriented: { width: image.orientedWidth, height: image.orientedHeight },
    },
  });
  const { crop, accessibility, thumbhash, ...v2 } = pixelInsights;
  // Noise's and blockiness' sums in one pass over the full-resolution pixels.
  const fullSums = full && fullResolutionSums(full.pixels);
  const measured = fullSums && wants("noise") ? noise(fullSums) : null;
  // In the response's order: the v2 insights, then the v3 ones as the schema lists them.
  const extra: ImageInsights = {
    ...v2,
    ...(wants("compression") && {
      compression: compression(bytes, format, fullSums, {
        width: header.width,
        height: header.height,
        pages: facts?.pages ?? 1,
      }),
    }),
    ...(measured && { noise: measured }),
    ...(pictureHashes && { hash: { ...pictureHashes, sha256: sha256Hex(bytes) } }),
    ...(facts && wants("metadata") && { metadata: await metadata(bytes, facts, await usesAlpha(image, facts)) }),
    ...(crop && { crop }),
    ...(accessibility && { accessibility }),
    ...(thumbhash !== undefined && { thumbhash }),
  };
  return { image, analysis, extra, timings: { decode: decodeMs, analyse: performance.now() - t } };
}
