/**
 * The OpenAPI 3.1 document, derived from the zod schemas (contract/schemas.ts) and from real answers on the
 * reference samples (contract/examples.json): nothing in it is written twice. Served at `GET /openapi.json`.
 */
import { z } from "zod";
import { ApiError, containerFailed, containerTimeout, misconfigured, tooLarge, unavailable } from "./errors.ts";
import examples from "./examples.json" with { type: "json" };
import {
  AnalysisResponseSchema,
  DeepHealthResponseSchema,
  EdgeModeSchema,
  ErrorEnvelopeSchema,
  HealthResponseSchema,
  UrlRequestSchema,
  ValidationEnvelopeSchema,
} from "./schemas.ts";
import { ANALYSIS_PATH, URL_ANALYSIS_PATH } from "./service.ts";

/** A zod schema as an OpenAPI 3.1 component (JSON Schema 2020-12, without its own `$schema`). */
export function componentSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema) as Record<string, unknown>;
  return rest;
}

const EXAMPLE_REQUEST_ID = "5f0c2a9e-8d0b-4c1e-9a53-7e6f1b2c3d4e";
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: string, named: Record<string, { summary: string; value: unknown }> = {}) => ({
  "application/json": { schema: ref(schema), ...(Object.keys(named).length ? { examples: named } : {}) },
});
/** An example error body from the code that produces it. */
const errorExample = (summary: string, error: ApiError) => ({ summary, value: error.toEnvelope(EXAMPLE_REQUEST_ID) });

const analysisQuery = [
  {
    name: "metrics",
    in: "query",
    description: "Comma-separated, any case: brightness (default), median, histogram.",
    schema: { type: "string", example: "brightness,median,histogram" },
  },
  { name: "edge_mode", in: "query", schema: componentSchema(EdgeModeSchema) },
  {
    name: "background",
    in: "query",
    description: "RRGGBB: flatten transparency onto this colour. Without it, pixels are weighted by opacity.",
    schema: { type: "string", pattern: "^#?[0-9a-fA-F]{6}$" },
  },
];

const commonErrors = {
  "401": {
    description: "No valid API key.",
    headers: { "WWW-Authenticate": { schema: { type: "string" } } },
    content: json("ErrorEnvelope", {
      unauthorized: errorExample("missing or wrong key", new ApiError(401, "unauthorized", "Unauthorized")),
    }),
  },
  "413": {
    description: "The image is larger than MAX_UPLOAD_BYTES (5 MiB).",
    content: json("ErrorEnvelope", {
      too_large: errorExample("a 6 MB upload", tooLarge(5 * 1024 * 1024, 6_000_000)),
    }),
  },
  "422": {
    description: "No `image` field (FastAPI's shape), more than 50 megapixels, or no visible pixel.",
    content: {
      "application/json": {
        schema: { oneOf: [ref("ValidationEnvelope"), ref("ErrorEnvelope")] },
        examples: { missing_image: examples.missing_image },
      },
    },
  },
  "429": { description: "Over the per-key rate limit.", content: json("ErrorEnvelope") },
  "503": {
    description:
      "No container could take the request, it is busy, it stopped with the request in it (`container_failed`), or the service is misconfigured: retry after `Retry-After` seconds.",
    headers: { "Retry-After": { schema: { type: "integer" } } },
    content: json("ErrorEnvelope", {
      unavailable: errorExample("no container", unavailable()),
      failed: errorExample("the container stopped with the request in it", containerFailed()),
      misconfigured: errorExample("a setting of the service is invalid", misconfigured()),
    }),
  },
  "504": {
    description: "The container (or a URL's server) did not answer in time.",
    headers: { "Retry-After": { schema: { type: "integer" } } },
    content: json("ErrorEnvelope", { timeout: errorExample("container deadline", containerTimeout(30_000)) }),
  },
};

const analysisResponses = {
  "200": {
    description: "The numbers. Groups appear only when asked for.",
    headers: {
      ETag: { schema: { type: "string" }, description: "Weak; equal for equal images and parameters." },
      "Server-Timing": { schema: { type: "string" }, description: "edge, container, decode, analyse (and download)." },
      "X-Request-Id": { schema: { type: "string" } },
    },
    content: json("AnalysisResponse", {
      brightness: examples.brightness,
      everything: examples.everything,
      large: examples.large,
    }),
  },
};

/**
 * @example
 * const doc = openApiDocument("https://image-insights-api.example.workers.dev", "2.0.0");
 */
export function openApiDocument(serverUrl: string, version: string): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "image-insights-api",
      version,
      description:
        "How bright an image is, and how that brightness is spread: Rec. 709 luma on 8-bit sRGB, computed on the image shrunk to at most 512 px. The successor of image-insights-api 1.7: same endpoints, fields and error envelope.",
    },
    servers: [{ url: serverUrl }],
    security: [{ apiKey: [] }, { bearer: [] }],
    paths: {
      [ANALYSIS_PATH]: {
        post: {
          summary: "Analyse an uploaded image",
          operationId: "analyseUpload",
          parameters: analysisQuery,
          requestBody: {
            required: true,
            content: {
              "multipart/form-data": {
                schema: {
                  type: "object",
                  required: ["image"],
                  properties: {
                    image: { type: "string", format: "binary", description: "JPEG, PNG, WebP, AVIF or GIF." },
                  },
                },
              },
            },
          },
          responses: {
            ...analysisResponses,
            "400": {
              description: "Invalid parameters, an empty file, or a file that is not a decodable image.",
              content: json("ErrorEnvelope", { invalid_metrics: examples.invalid_metrics }),
            },
            "415": {
              description: "A format other than JPEG, PNG, WebP, AVIF or GIF (decided by the file's bytes).",
              content: json("ErrorEnvelope", { unsupported_type: examples.unsupported_type }),
            },
            ...commonErrors,
          },
        },
      },
      [URL_ANALYSIS_PATH]: {
        post: {
          summary: "Analyse an image downloaded from a public URL",
          operationId: "analyseUrl",
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: ref("UrlRequest"),
                example: { url: "https://example.com/photo.jpg", metrics: "brightness,median" },
              },
            },
          },
          responses: {
            ...analysisResponses,
            "400": {
              description:
                "Empty URL, another scheme, a private or local address, or an upstream answer other than 200.",
              content: json("ErrorEnvelope"),
            },
            "415": {
              description: "The downloaded bytes are not an accepted image format.",
              content: json("ErrorEnvelope"),
            },
            ...commonErrors,
          },
        },
      },
      "/health": {
        get: {
          summary: "Health of the Worker (and, with deep=1, of each container instance)",
          description:
            "Open without a key. `deep=1` reads each instance's state without starting or waking a container; it needs a key and is rate limited like the API.",
          operationId: "health",
          security: [{}, { apiKey: [] }, { bearer: [] }],
          parameters: [{ name: "deep", in: "query", schema: { type: "string", enum: ["1"] } }],
          responses: {
            "200": {
              description: "Healthy.",
              content: {
                "application/json": { schema: { oneOf: [ref("HealthResponse"), ref("DeepHealthResponse")] } },
              },
            },
            "503": {
              description: 'A setting of the service is invalid: `{"status":"unhealthy"}`.',
              content: json("HealthResponse"),
            },
          },
        },
      },
    },
    components: {
      securitySchemes: {
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
        bearer: { type: "http", scheme: "bearer" },
      },
      schemas: {
        AnalysisResponse: componentSchema(AnalysisResponseSchema),
        ErrorEnvelope: componentSchema(ErrorEnvelopeSchema),
        ValidationEnvelope: componentSchema(ValidationEnvelopeSchema),
        UrlRequest: componentSchema(UrlRequestSchema),
        HealthResponse: componentSchema(HealthResponseSchema),
        DeepHealthResponse: componentSchema(DeepHealthResponseSchema),
      },
    },
  };
}
