/**
 * The analysis request's parameters and response, and their validators: one copy, used by the container
 * now and by the Worker's edge checks, so both answer a bad parameter with the same words.
 *
 * Validators follow one template (sharp's): "Expected … for <name> but received …" in the log, and the
 * reference service's public message and fields in the response.
 */
import { z } from "zod";
import { ApiError, fieldError } from "./errors.ts";
import {
  AcceptedFormatSchema,
  AlgorithmSchema,
  type AnalysisResponseBody,
  EdgeModeSchema,
  MetricSchema,
} from "./schemas.ts";

export const VALID_METRICS = MetricSchema.options;
export type Metric = z.infer<typeof MetricSchema>;

export const VALID_EDGE_MODES = EdgeModeSchema.options;
export type EdgeMode = z.infer<typeof EdgeModeSchema>;

/** An RGB colour to flatten transparent pixels onto, from `background=RRGGBB`. */
export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export const VALID_ALGORITHMS = AlgorithmSchema.options;
export type Algorithm = z.infer<typeof AlgorithmSchema>;
/** The scale when `algorithm` is absent: v1's, so that v1 requests keep their numbers and cache keys. */
export const DEFAULT_ALGORITHM: Algorithm = "rec709";

/** How many dominant colours `metrics=colors` finds by default, and at most. */
export const DEFAULT_COLORS = 5;
export const MAX_COLORS = 10;

export interface AnalysisParams {
  /** Sorted and without duplicates, so equal requests have equal parameters. */
  metrics: Metric[];
  edgeMode: EdgeMode | null;
  background: Rgb | null;
  /** How many dominant colours (1–MAX_COLORS), only with metrics=colors and only when not DEFAULT_COLORS. */
  colors?: number;
  /** The brightness scale, only when not DEFAULT_ALGORITHM (so v1 parameters and cache keys stay as they were). */
  algorithm?: Algorithm;
  /** The aspect ratios `metrics=crop` finds boxes for (`W:H`, as asked, without repeats), only with metrics=crop. */
  crop?: string[];
}

/** `metrics=all`: every metric. */
export const ALL_METRICS = "all";

/**
 * Parses `metrics`: comma-separated, trimmed, case-insensitive; `brightness` when absent or empty; `all` for
 * every metric.
 *
 * @example
 * parseMetrics(" Median,brightness "); // ["brightness", "median"]
 * parseMetrics("colour"); // throws 400 "Invalid metrics requested"
 */
export function parseMetrics(raw: string | null | undefined): Metric[] {
  const requested = (raw ?? "")
    .split(",")
    .map((m) => m.trim().toLowerCase())
    .filter((m) => m !== "");
  if (requested.length === 0) return ["brightness"];
  if (requested.includes(ALL_METRICS)) return [...VALID_METRICS];
  const invalid = requested.filter((m) => !(VALID_METRICS as readonly string[]).includes(m));
  if (invalid.length > 0) {
    throw new ApiError(400, "invalid_metrics", "Invalid metrics requested", {
      extra: { invalid_metrics: [...new Set(invalid)], valid_metrics: [...VALID_METRICS, ALL_METRICS] },
    });
  }
  return VALID_METRICS.filter((m) => requested.includes(m));
}

/**
 * Parses `edge_mode`: absent or empty is no edge analysis; otherwise one of `VALID_EDGE_MODES`, any case.
 *
 * @example
 * parseEdgeMode("LEFT_RIGHT"); // "left_right"
 * parseEdgeMode("diagonal"); // throws 400 "Invalid edge_mode requested"
 */
export function parseEdgeMode(raw: string | null | undefined): EdgeMode | null {
  const mode = (raw ?? "").trim().toLowerCase();
  if (mode === "") return null;
  if (!(VALID_EDGE_MODES as readonly string[]).includes(mode)) {
    throw new ApiError(400, "invalid_edge_mode", "Invalid edge_mode requested", {
      extra: { received: raw ?? "", valid_modes: VALID_EDGE_MODES },
    });
  }
  return mode as EdgeMode;
}

const HEX_COLOUR = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i;

/**
 * Parses `background`: `RRGGBB` hex (a leading `#` is tolerated), or absent.
 *
 * @example
 * parseBackground("ff8800"); // { r: 255, g: 136, b: 0 }
 * parseBackground("orange"); // throws 400 "Invalid background requested"
 */
export function parseBackground(raw: string | null | undefined): Rgb | null {
  const value = (raw ?? "").trim();
  if (value === "") return null;
  const match = HEX_COLOUR.exec(value);
  if (!match) {
    throw new ApiError(400, "invalid_background", "Invalid background requested", {
      extra: { received: raw ?? "", expected: "RRGGBB, six hexadecimal digits, e.g. ffffff" },
    });
  }
  const [, r, g, b] = match as unknown as [string, string, string, string];
  return { r: Number.parseInt(r, 16), g: Number.parseInt(g, 16), b: Number.parseInt(b, 16) };
}

/**
 * Parses `colors`: how many dominant colours, a whole number from 1 to MAX_COLORS; DEFAULT_COLORS when absent.
 *
 * @example
 * parseColors("3"); // 3
 * parseColors("12"); // throws 400 "Invalid colors requested"
 */
export function parseColors(raw: string | number | null | undefined): number {
  const text = String(raw ?? "").trim();
  if (text === "") return DEFAULT_COLORS;
  const n = /^\d{1,2}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= MAX_COLORS)) {
    throw new ApiError(400, "invalid_colors", "Invalid colors requested", {
      extra: { received: text, expected: `a whole number from 1 to ${MAX_COLORS}` },
    });
  }
  return n;
}

/**
 * Parses `algorithm`: the brightness scale, one of `VALID_ALGORITHMS`, any case; DEFAULT_ALGORITHM when absent.
 *
 * @example
 * parseAlgorithm("LStar"); // "lstar"
 * parseAlgorithm("hsp"); // throws 400 "Invalid algorithm requested"
 */
export function parseAlgorithm(raw: string | null | undefined): Algorithm {
  const value = (raw ?? "").trim().toLowerCase();
  if (value === "") return DEFAULT_ALGORITHM;
  if (!(VALID_ALGORITHMS as readonly string[]).includes(value)) {
    throw new ApiError(400, "invalid_algorithm", "Invalid algorithm requested", {
      extra: { received: raw ?? "", valid_algorithms: VALID_ALGORITHMS },
    });
  }
  return value as Algorithm;
}

/** The aspect ratios `metrics=crop` answers when `crop=` is absent: square, portrait 4:5, landscape 16:9. */
export const DEFAULT_CROP = ["1:1", "4:5", "16:9"] as const;
/** At most this many ratios in one `crop=`. */
export const MAX_CROP_RATIOS = 8;
/** A ratio's sides: positive numbers of at most 4 digits and 2 decimals; their quotient within 1:MAX_CROP_SPREAD… */
const CROP_RATIO = /^(\d{1,4}(?:\.\d{1,2})?):(\d{1,4}(?:\.\d{1,2})?)$/;
/** …and MAX_CROP_SPREAD:1: a box thinner than that is a line, not a crop. */
export const MAX_CROP_SPREAD = 20;

/** A ratio's canonical spelling: each side as a number prints it (`16.0:09` → `16:9`). */
function canonicalRatio(width: number, height: number): string {
  return `${width}:${height}`;
}

/**
 * Parses `crop`: comma-separated `W:H` aspect ratios (at most MAX_CROP_RATIOS), each side a positive number,
 * the ratio within 1:20 and 20:1; repeats dropped; DEFAULT_CROP when absent or empty.
 *
 * @example
 * parseCrop("1:1, 16:9"); // ["1:1", "16:9"]
 * parseCrop("0:1"); // throws 400 "Invalid crop requested"
 */
export function parseCrop(raw: string | null | undefined): string[] {
  const requested = (raw ?? "")
    .split(",")
    .map((r) => r.trim())
    .filter((r) => r !== "");
  if (requested.length === 0) return [...DEFAULT_CROP];
  const invalid = (reason: string, received: string) =>
    new ApiError(400, "invalid_crop", "Invalid crop requested", {
      extra: {
        received,
        expected: `${reason}: up to ${MAX_CROP_RATIOS} comma-separated ratios W:H of positive numbers, e.g. 1:1,16:9`,
      },
    });
  const ratios: string[] = [];
  for (const text of requested) {
    const match = CROP_RATIO.exec(text);
    const width = match ? Number(match[1]) : 0;
    const height = match ? Number(match[2]) : 0;
    if (!(width > 0 && height > 0)) throw invalid("Expected W:H with both sides above 0", text);
    if (width / height > MAX_CROP_SPREAD || height / width > MAX_CROP_SPREAD) {
      throw invalid(`Expected a ratio from 1:${MAX_CROP_SPREAD} to ${MAX_CROP_SPREAD}:1`, text);
    }
    const ratio = canonicalRatio(width, height);
    if (!ratios.includes(ratio)) ratios.push(ratio);
  }
  if (ratios.length > MAX_CROP_RATIOS) throw invalid(`Expected at most ${MAX_CROP_RATIOS} ratios`, raw ?? "");
  return ratios;
}

/**
 * The parameters that join only where they change an answer: `colors` with metrics=colors and not at its
 * default; `algorithm` when it is not the default scale.
 */
function withOptional(params: AnalysisParams, colors: number, algorithm: Algorithm, crop: string[]): AnalysisParams {
  // accessibility simulates the dominant colours: `colors=` changes its answer too.
  const usesColors = params.metrics.includes("colors") || params.metrics.includes("accessibility");
  let out = usesColors && colors !== DEFAULT_COLORS ? { ...params, colors } : params;
  if (algorithm !== DEFAULT_ALGORITHM) out = { ...out, algorithm };
  return params.metrics.includes("crop") ? { ...out, crop } : out;
}

/**
 * All of a request's analysis parameters from its query, validated in the reference's order.
 *
 * @example
 * parseAnalysisParams(new URL("https://x/v1/image/analysis?metrics=median&edge_mode=all").searchParams);
 */
export function parseAnalysisParams(query: { get(name: string): string | null }): AnalysisParams {
  const params = {
    metrics: parseMetrics(query.get("metrics")),
    edgeMode: parseEdgeMode(query.get("edge_mode")),
    background: parseBackground(query.get("background")),
  };
  return withOptional(
    params,
    parseColors(query.get("colors")),
    parseAlgorithm(query.get("algorithm")),
    parseCrop(query.get("crop")),
  );
}

/** A JSON body's optional string field: a list of strings is joined with commas; anything else is a 422. */
function stringField(fields: Record<string, unknown>, field: string): string | undefined {
  const value = fields[field];
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join(",");
  if (typeof value !== "string") throw fieldError(field, "string_type", "Input should be a valid string");
  return value;
}

/**
 * The analysis parameters of a JSON body (`metrics` also as a list), in the reference's order of checks.
 *
 * @example
 * parseAnalysisFields({ metrics: ["median"], edge_mode: "all" }); // { metrics: ["median"], edgeMode: "all", background: null }
 */
export function parseAnalysisFields(fields: Record<string, unknown>): AnalysisParams {
  const params = {
    metrics: parseMetrics(stringField(fields, "metrics")),
    edgeMode: parseEdgeMode(stringField(fields, "edge_mode")),
    background: parseBackground(stringField(fields, "background")),
  };
  const colors = typeof fields.colors === "number" ? fields.colors : stringField(fields, "colors");
  return withOptional(
    params,
    parseColors(colors),
    parseAlgorithm(stringField(fields, "algorithm")),
    parseCrop(stringField(fields, "crop")),
  );
}

export const MetricsParamSchema = z
  .string()
  .describe(`Comma-separated, any case: ${VALID_METRICS.join(", ")}. Default: brightness.`);
export const EdgeModeParamSchema = z
  .string()
  .describe(`${EdgeModeSchema.description} Any case: ${VALID_EDGE_MODES.join(", ")}.`);
export const BackgroundParamSchema = z
  .string()
  .describe(
    "RRGGBB (a leading # is allowed): flatten transparency onto this colour. Without it, pixels are weighted by opacity.",
  );

export const ColorsParamSchema = z
  .string()
  .describe(`How many dominant colours metrics=colors finds: 1–${MAX_COLORS}. Default: ${DEFAULT_COLORS}.`);

export const AlgorithmParamSchema = z
  .string()
  .describe(
    `${AlgorithmSchema.description} Any case. Default: ${DEFAULT_ALGORITHM}. docs/METRICS.md says when to use which.`,
  );

export const CropParamSchema = z
  .string()
  .describe(
    `Aspect ratios for metrics=crop, comma-separated W:H (at most ${MAX_CROP_RATIOS}, each from 1:${MAX_CROP_SPREAD} to ${MAX_CROP_SPREAD}:1). Default: ${DEFAULT_CROP.join(",")}.`,
  );

/**
 * The analysis parameters as a query string (`POST /v1/image/analysis`, `POST /v1/jobs`), validated once: the
 * fields document the parameters, and the transform parses them all with the parsers above, in the reference's
 * order and words (an invalid one throws its `ApiError`, which the Worker answers as it is). A route's handler
 * reads the result, an `AnalysisParams`, with `c.req.valid("query")`.
 */
export const AnalysisQuerySchema = z
  .object({
    metrics: MetricsParamSchema.optional(),
    edge_mode: EdgeModeParamSchema.optional(),
    background: BackgroundParamSchema.optional(),
    colors: ColorsParamSchema.optional(),
    algorithm: AlgorithmParamSchema.optional(),
    crop: CropParamSchema.optional(),
  })
  .transform((query) => parseAnalysisParams({ get: (name) => query[name as keyof typeof query] ?? null }));

/** The JSON body of `POST /v1/image/analysis/url`: the URL and the same parameters (metrics also as a list). */
export const UrlRequestSchema = z.object({
  url: z.string().min(1).describe("A public http(s) URL of a JPEG, PNG, WebP, AVIF or GIF image."),
  metrics: z
    .union([MetricsParamSchema, z.array(z.string())])
    .optional()
    .describe("Comma-separated, or a list."),
  edge_mode: EdgeModeParamSchema.optional(),
  background: BackgroundParamSchema.optional(),
  colors: z.union([ColorsParamSchema, z.number().int().min(1).max(MAX_COLORS)]).optional(),
  algorithm: AlgorithmParamSchema.optional(),
  crop: z
    .union([CropParamSchema, z.array(z.string())])
    .optional()
    .describe("Comma-separated, or a list."),
});

/**
 * The engine's version: part of every cache key, so that a change that would alter any number (a new
 * resampling kernel, a fixed formula) is bumped here and no stale result is served after a deploy.
 * 2: ties round half away from zero from the exact sums (34.425 → 34.43, not 34.42; audit item 8).
 * 3: a grey image with alpha is flattened onto `background=` in colour (it took the background's red as grey),
 *    and the v2 insights' definitions of this release.
 */
export const ENGINE_VERSION = "3";

/**
 * The parameters in one canonical query string: equal requests give equal strings (for cache keys and for
 * the request the Worker sends to a container).
 *
 * @example
 * canonicalQuery({ metrics: ["brightness", "median"], edgeMode: "all", background: null });
 * // "metrics=brightness,median&edge_mode=all"
 */
export function canonicalQuery(params: AnalysisParams): string {
  const parts = [`metrics=${params.metrics.join(",")}`];
  if (params.edgeMode) parts.push(`edge_mode=${params.edgeMode}`);
  if (params.background) {
    const { r, g, b } = params.background;
    parts.push(`background=${[r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("")}`);
  }
  if (params.colors !== undefined) parts.push(`colors=${params.colors}`);
  if (params.algorithm !== undefined) parts.push(`algorithm=${params.algorithm}`);
  if (params.crop !== undefined) parts.push(`crop=${params.crop.join(",")}`);
  return parts.join("&");
}

/** One bar of the histogram: the integer luma values it holds, and their share of the image. */
export type HistogramBucket = NonNullable<AnalysisResponseBody["histogram"]>[number];

/** The 200 answer of both analysis routes (schema and field meanings: contract/schemas.ts). */
export type AnalysisResponse = AnalysisResponseBody;

/** The formats analysed, as found in the file's first bytes (never from the client's Content-Type). */
export const ACCEPTED_FORMATS = AcceptedFormatSchema.options;
export type AcceptedFormat = z.infer<typeof AcceptedFormatSchema>;

/** Their media types, as `allowed_types` lists them in a 415. */
export const ALLOWED_TYPES = ["image/jpeg", "image/png", "image/webp", "image/avif", "image/gif"] as const;
