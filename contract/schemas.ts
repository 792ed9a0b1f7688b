/**
 * The API contract as zod schemas: the one definition from which the parameter lists the validators use, the
 * TypeScript types, the OpenAPI document (the Worker's route declarations) and the tests' response checks
 * all derive. The request parameters' schemas are in analysis.ts, beside the parsers whose words they use.
 */
import { z } from "zod";
import { ERROR_CODES } from "./errors.ts";

export const MetricSchema = z
  .enum([
    "brightness",
    "median",
    "histogram",
    "contrast",
    "sharpness",
    "colorfulness",
    "colors",
    "edge_density",
    "overlay",
    "placeholder",
    "compression",
    "noise",
    "hash",
    "metadata",
    "crop",
    "accessibility",
    "thumbhash",
  ])
  .describe("A group of numbers to compute (`all`: every one). docs/METRICS.md defines each.");
/** The brightness scales (`algorithm=`): the brightness family of a response (score, average, median, histogram, edge bands) is on this scale. */
export const AlgorithmSchema = z
  .enum(["rec709", "luminance", "lstar"])
  .describe(
    "The brightness scale: rec709 (v1's gamma-encoded luma, 0–255), luminance (WCAG 2 relative luminance, linear light, 0–100), lstar (CIE L*, D65, 0–100).",
  );
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
const percent = z.number().min(0).max(100);
const hex = z.string().regex(/^#[0-9A-F]{6}$/);
const rgb = z.array(z.number().int().min(0).max(255)).length(3).describe("[R, G, B], 8-bit sRGB.");

export const ColorFamilySchema = z.enum([
  "red",
  "orange",
  "yellow",
  "green",
  "cyan",
  "blue",
  "purple",
  "pink",
  "brown",
  "black",
  "white",
  "grey",
]);

export const OverlayAdviceSchema = z
  .object({
    text_color: z
      .enum(["#000000", "#FFFFFF"])
      .describe("Black or white, whichever has the higher worst-case contrast."),
    contrast_ratio: z
      .number()
      .min(1)
      .max(21)
      .describe(
        "WCAG 2 contrast ratio of that text over the region's 10th–90th percentile relative luminance, worst case, 2 decimals.",
      ),
    wcag_aa: z.boolean().describe("contrast_ratio ≥ 4.5 (normal text)."),
    wcag_aa_large: z.boolean().describe("contrast_ratio ≥ 3 (large text)."),
  })
  .strict();

/**
 * The v2 insights: one object per metric, beside the v1 flat fields (docs/METRICS.md defines every number).
 */
export const InsightsSchemas = {
  contrast: z
    .object({
      rms: z.number().min(0).max(127.5).describe("Population standard deviation of luma (0–255), weighted."),
      score: score.describe("min(100, round(100 · rms / 127.5))."),
      p5: luma.describe("5th percentile of luma, the median's exact method."),
      p95: luma,
      range: luma.describe("p95 − p5."),
      clipped_shadows_percent: percent.describe("Share of luma ≤ 2."),
      clipped_highlights_percent: percent.describe("Share of luma ≥ 253."),
    })
    .strict(),
  sharpness: z
    .object({
      laplacian_variance: z
        .number()
        .min(0)
        .describe("Population variance of the 3×3 Laplacian of luma (0–255), edges replicated."),
      score: score.describe("Calibrated 0–100 (docs/METRICS.md)."),
      blurry: z.boolean().describe("laplacian_variance under the calibrated threshold."),
    })
    .strict(),
  colorfulness: z
    .object({
      value: z.number().min(0).describe("Hasler & Süsstrunk (2003) M."),
      label: z.enum([
        "not colorful",
        "slightly colorful",
        "moderately colorful",
        "averagely colorful",
        "quite colorful",
        "highly colorful",
        "extremely colorful",
      ]),
    })
    .strict(),
  colors: z
    .object({
      average: z.object({ hex, rgb }).strict().describe("The mean in linear light, re-encoded to sRGB."),
      dominant: z
        .array(
          z
            .object({
              hex,
              rgb,
              percent,
              name: z.string().describe("Nearest CSS named colour (CIEDE2000)."),
              family: ColorFamilySchema,
            })
            .strict(),
        )
        .max(10)
        .describe("Up to `colors` clusters found in CIELAB, largest first."),
    })
    .strict(),
  edge_density: z
    .object({ percent: percent.describe("Share of pixels whose Sobel gradient magnitude on luma is at least 64.") })
    .strict(),
  overlay: OverlayAdviceSchema.extend({
    bands: z
      .object({
        left: OverlayAdviceSchema.nullable(),
        right: OverlayAdviceSchema.nullable(),
        top: OverlayAdviceSchema.nullable(),
        bottom: OverlayAdviceSchema.nullable(),
      })
      .partial()
      .optional()
      .describe("With edge_mode: the same advice for each band."),
  }).strict(),
  placeholder: z
    .object({
      blurhash: z.string().min(6),
      x_components: z.number().int().min(1).max(9),
      y_components: z.number().int().min(1).max(9),
    })
    .strict(),
};

const hex64 = z.string().regex(/^[0-9a-f]{16}$/);
const integer = z.number().int();

/** What a file reveals about its maker: `metadata.privacy` lists those present (docs/METRICS.md names the tags). */
export const PrivacyItemSchema = z.enum(["location", "serial_number", "owner", "unique_id"]);

/** The colour-vision deficiencies `accessibility` simulates (Machado, Oliveira & Fernandes 2009, severity 1). */
export const DeficiencySchema = z.enum(["protanopia", "deuteranopia", "tritanopia"]);

/** One simulated colour-vision deficiency: the palette as such a viewer sees it, and the overlay advice again. */
export const DeficiencyViewSchema = z
  .object({
    dominant: z
      .array(z.object({ hex, rgb, percent }).strict())
      .max(10)
      .describe("colors.dominant as simulated, in the same order and with the same shares."),
    least_distinguishable: z
      .object({
        colors: z.array(hex).length(2).describe("The simulated pair, as in `dominant`."),
        delta_e: z.number().min(0).describe("Their CIEDE2000 difference, 2 decimals."),
      })
      .strict()
      .nullable()
      .describe("The pair of simulated dominant colours closest in CIEDE2000; null with fewer than two."),
    text_color: z.enum(["#000000", "#FFFFFF"]).describe("overlay.text_color, the advice for normal vision."),
    contrast_ratio: z
      .number()
      .min(1)
      .max(21)
      .describe("That text over the simulated image's 10th–90th percentile relative luminance, worst case."),
    wcag_aa: z.boolean().describe("contrast_ratio ≥ 4.5: the advised text still reads for this viewer."),
  })
  .strict();

/** A crop box in the oriented image's pixels, and its share of the image's detail. */
export const CropBoxSchema = z
  .object({
    left: integer.min(0),
    top: integer.min(0),
    width: size,
    height: size,
    detail_percent: percent.describe("The box's share of the image's detail (docs/METRICS.md), 1 decimal."),
  })
  .strict();

/** The v3 insights (docs/METRICS.md defines every number): the file, its noise, its identity, crops, accessibility. */
export const InsightsV3Schemas = {
  compression: z
    .object({
      quality: integer
        .min(1)
        .max(100)
        .nullable()
        .describe("A JPEG's IJG quality estimated from its quantisation tables (as ImageMagick's %Q); null otherwise."),
      quality_exact: z
        .boolean()
        .nullable()
        .describe("The tables are exactly libjpeg's at that quality; false: the nearest estimate; null: not a JPEG."),
      subsampling: z
        .enum(["4:4:4", "4:2:2", "4:2:0", "4:4:0", "4:1:1", "4:0:0", "other"])
        .nullable()
        .describe("A JPEG's chroma subsampling (4:0:0: grey); null otherwise."),
      progressive: z.boolean().nullable().describe("A progressive JPEG; null when not a JPEG."),
      blockiness: z
        .number()
        .min(0)
        .nullable()
        .describe(
          "Mean luma step across 8×8 block boundaries over that inside blocks, full resolution, 3 decimals (1: none).",
        ),
      bits_per_pixel: z.number().min(0).describe("The file's bits over its pixels (all frames), 3 decimals."),
    })
    .strict(),
  noise: z
    .object({
      sigma: z
        .number()
        .min(0)
        .describe("Standard deviation of the noise in 8-bit luma, Immerkær (1996), full resolution, 2 decimals."),
      measured_width: size.describe("The full-resolution region measured (docs/METRICS.md)."),
      measured_height: size,
    })
    .strict(),
  hash: z
    .object({
      perceptual: hex64.describe("64-bit DCT hash of the 32×32 luma, 16 hex digits."),
      difference: hex64.describe("64-bit difference hash of the 9×8 luma, 16 hex digits."),
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .describe("SHA-256 of the file's bytes."),
    })
    .strict(),
  metadata: z
    .object({
      space: z.string().describe("Colour space as stored: srgb, b-w, cmyk, rgb16, grey16…"),
      depth: integer.min(1).max(32).describe("Bits per sample as stored."),
      channels: integer.min(1).max(5).describe("Channels as stored, alpha included."),
      icc: z.string().nullable().describe("The embedded ICC profile's description; null without one."),
      dpi: z.number().min(0).nullable().describe("Pixels per inch as stored; null when the file says none."),
      orientation: integer.min(1).max(8).describe("EXIF orientation (1: as stored)."),
      pages: integer.min(1).describe("Frames (pages) in the file."),
      animation: z
        .object({
          loop: integer.min(0).describe("Times to play (0: forever)."),
          duration_ms: integer.min(0).describe("Σ frame delays."),
          delays_ms: z.array(integer.min(0)).max(1000).describe("Each frame's delay, in order."),
        })
        .strict()
        .nullable()
        .describe("Animated files only."),
      alpha: z.boolean().describe("The file has an alpha channel."),
      alpha_used: z.boolean().describe("Some analysed pixel is not fully opaque."),
      exif: z
        .object({
          make: z.string().nullable(),
          model: z.string().nullable(),
          lens: z.string().nullable(),
          taken_at: z
            .string()
            .nullable()
            .describe("DateTimeOriginal as stored, ISO 8601 (with its offset when the file gives one)."),
          exposure_time_s: z.number().min(0).nullable(),
          f_number: z.number().min(0).nullable(),
          iso: z.number().min(0).nullable(),
          focal_length_mm: z.number().min(0).nullable(),
          software: z.string().nullable(),
        })
        .strict()
        .nullable()
        .describe("Camera facts; null when the file has no EXIF."),
      gps: z.boolean().describe("The file carries a GPS position (never echoed)."),
      privacy: z
        .array(PrivacyItemSchema)
        .max(PrivacyItemSchema.options.length)
        .describe("What the file reveals about who made it, where: empty when nothing."),
    })
    .strict(),
  crop: z
    .record(z.string(), CropBoxSchema)
    .describe("For each ratio asked for (`crop=`), the best box (docs/METRICS.md)."),
  accessibility: z
    .object({
      protanopia: DeficiencyViewSchema,
      deuteranopia: DeficiencyViewSchema,
      tritanopia: DeficiencyViewSchema,
    })
    .strict(),
  thumbhash: z.string().min(1).describe("ThumbHash of the image, base64."),
};

export const AnalysisResponseSchema = z
  .object({
    brightness_score: score
      .optional()
      .describe("The average as a share of full scale, rounded: 0–100; with metrics=brightness."),
    average_luminance: luma
      .optional()
      .describe("Mean brightness on the `algorithm` scale (rec709: 0–255; luminance, lstar: 0–100), 2 decimals."),
    median_luminance: luma.optional().describe("Median brightness on the same scale, 2 decimals; with metrics=median."),
    histogram: z
      .array(HistogramBucketSchema)
      .length(10)
      .optional()
      .describe("Ten buckets that partition the scale (rec709: 0–255; others: 0–100)."),
    edge_brightness_score: score.nullable().optional().describe("With edge_mode; null when the bands are transparent."),
    edge_average_luminance: luma.nullable().optional(),
    edge_mode: EdgeModeSchema.optional(),
    width: size.describe("Width as stored (before EXIF orientation), like image-insights-api 1.7."),
    height: size.describe("Height as stored."),
    algorithm: AlgorithmSchema,
    cached: z.boolean().describe("Whether the numbers came from the edge cache."),
    processing_time_ms: z.number().min(0),
    format: AcceptedFormatSchema.describe("Found in the file's magic bytes."),
    oriented_width: size.describe("Width as people see it, after EXIF orientation."),
    oriented_height: size,
    analysed_width: size.describe("Width the numbers were computed on (longer side at most 512 px)."),
    analysed_height: size,
    contrast: InsightsSchemas.contrast.optional(),
    sharpness: InsightsSchemas.sharpness.optional(),
    colorfulness: InsightsSchemas.colorfulness.optional(),
    colors: InsightsSchemas.colors.optional(),
    edge_density: InsightsSchemas.edge_density.optional(),
    overlay: InsightsSchemas.overlay.optional(),
    placeholder: InsightsSchemas.placeholder.optional(),
    compression: InsightsV3Schemas.compression.optional(),
    noise: InsightsV3Schemas.noise.optional(),
    hash: InsightsV3Schemas.hash.optional(),
    metadata: InsightsV3Schemas.metadata.optional(),
    crop: InsightsV3Schemas.crop.optional(),
    accessibility: InsightsV3Schemas.accessibility.optional(),
    thumbhash: InsightsV3Schemas.thumbhash.optional(),
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
  reason: z
    .string()
    .optional()
    .describe(
      "Why it is unhealthy, where anyone may know it: no API key is configured and the API is not public, so every call is refused. Absent otherwise (an invalid setting is named in the log only).",
    ),
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
