/**
 * The API contract as zod schemas: the one definition from which the parameter lists the validators use, the
 * TypeScript types, the OpenAPI document (the Worker's route declarations) and the tests' response checks
 * all derive. The request parameters' schemas are in analysis.ts, beside the parsers whose words they use.
 */
import { z } from "zod";
import { ERROR_CODES } from "./errors.ts";

export const MetricSchema = z.enum(["brightness", "median", "histogram"]).describe("A group of numbers to compute.");
export const EdgeModeSchema = z
  .enum(["left_right", "top_bottom", "all"])
  .describe("Which border bands to average: max(1, floor(10 %)) of the analysed image's width or height.");
export const AcceptedFormatSchema = z.enum(["jpeg", "png", "webp", "avif", "gif"]);

export const HistogramBucketSchema = z.object({
  range: z
    .string()
    .regex(/^\d{1,3}-\d{1,3}$/)
    .describe("The integer luma values the bucket holds, e.g. 0-25."),
  percent: z.number().min(0).max(100).describe("Share of the image's (opacity-weighted) pixels, 1 decimal."),
});

const score = z.number().int().min(0).max(100);
const luma = z.number().min(0).max(255);
const size = z.number().int().min(1);

export const AnalysisResponseSchema = z
  .object({
    brightness_score: score.optional().describe("round(average_luminance / 255 × 100); with metrics=brightness."),
    average_luminance: luma.optional().describe("Mean Rec. 709 luma, 0–255, 2 decimals; with metrics=brightness."),
    median_luminance: luma.optional().describe("Median luma, 2 decimals; with metrics=median."),
    histogram: z.array(HistogramBucketSchema).length(10).optional().describe("Ten buckets that partition 0–255."),
    edge_brightness_score: score.nullable().optional().describe("With edge_mode; null when the bands are transparent."),
    edge_average_luminance: luma.nullable().optional(),
    edge_mode: EdgeModeSchema.optional(),
    width: size.describe("Width as stored (before EXIF orientation), like image-insights-api 1.7."),
    height: size.describe("Height as stored."),
    algorithm: z.literal("rec709"),
    cached: z.boolean().describe("Whether the numbers came from the edge cache."),
    processing_time_ms: z.number().min(0),
    format: AcceptedFormatSchema.describe("Found in the file's magic bytes."),
    oriented_width: size.describe("Width as people see it, after EXIF orientation."),
    oriented_height: size,
    analysed_width: size.describe("Width the numbers were computed on (longer side at most 512 px)."),
    analysed_height: size,
  })
  .strict();

const publicValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]);

export const ErrorEnvelopeSchema = z
  .object({
    detail: z
      .object({
        error: z.string().describe("The message, as image-insights-api 1.7 words it."),
        code: z.enum(ERROR_CODES).describe("A stable machine code."),
        request_id: z.string().min(1),
      })
      .catchall(publicValue)
      .describe("Public fields only: never a stack, a path or a library's message."),
  })
  .strict();

export const ValidationEnvelopeSchema = z
  .object({
    detail: z
      .array(
        z
          .object({
            type: z.string(),
            loc: z.array(z.string()),
            msg: z.string(),
            code: z.literal("validation_error"),
            request_id: z.string().min(1),
          })
          .strict(),
      )
      .min(1),
  })
  .strict()
  .describe("FastAPI's request-validation shape, as the reference service answers a missing or malformed field.");

export const HealthResponseSchema = z.object({
  status: z.enum(["healthy", "unhealthy"]).describe("`unhealthy` (with 503) when a setting of the service is invalid."),
  service: z.literal("image-insights-api"),
  version: z.string(),
});

export const DeepHealthResponseSchema = HealthResponseSchema.extend({
  instances: z.array(
    z.object({
      name: z.string(),
      state: z.enum(["stopped", "healthy", "unhealthy"]),
      latency_ms: z.number().min(0).optional(),
    }),
  ),
});

export type AnalysisResponseBody = z.infer<typeof AnalysisResponseSchema>;
