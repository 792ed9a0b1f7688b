/**
 * What the OpenAPI document says that no route can: its info, servers, security schemes and tags' prose, the
 * named component schemas, and the error answers routes share. Every path, parameter, body and answer comes
 * from a route's own declaration (`createRoute` in each capability's route.ts), registered once in app.ts.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "zod";
import { UrlRequestSchema } from "../../../contract/analysis.ts";
import {
  ApiError,
  containerFailed,
  containerTimeout,
  misconfigured,
  tooLarge,
  unavailable,
} from "../../../contract/errors.ts";
import examples from "../../../contract/examples.json" with { type: "json" };
import {
  AnalysisResponseSchema,
  DeepHealthResponseSchema,
  ErrorEnvelopeSchema,
  HealthResponseSchema,
  ValidationEnvelopeSchema,
} from "../../../contract/schemas.ts";
import { SERVICE_NAME } from "../../../contract/service.ts";

/** The request ID every example shows. */
const EXAMPLE_REQUEST_ID = "5f0c2a9e-8d0b-4c1e-9a53-7e6f1b2c3d4e";

/**
 * The contract's schemas under the component names the document gives them: routes use these, so the
 * document refers to each with a `$ref` instead of repeating it.
 */
export const Named = {
  AnalysisResponse: AnalysisResponseSchema.openapi("AnalysisResponse"),
  ErrorEnvelope: ErrorEnvelopeSchema.openapi("ErrorEnvelope"),
  ValidationEnvelope: ValidationEnvelopeSchema.openapi("ValidationEnvelope"),
  UrlRequest: UrlRequestSchema.openapi("UrlRequest"),
  HealthResponse: HealthResponseSchema.openapi("HealthResponse"),
  DeepHealthResponse: DeepHealthResponseSchema.openapi("DeepHealthResponse"),
};

/** Who may call an operation: an API key in `X-API-Key`, or the same key as a bearer token. */
export const KEY_SECURITY: Array<Record<string, string[]>> = [{ apiKey: [] }, { bearer: [] }];

type Example = { summary: string; value: unknown };

/** An example error body from the code that produces it. */
const errorExample = (summary: string, error: ApiError): Example => ({
  summary,
  value: error.toEnvelope(EXAMPLE_REQUEST_ID),
});

/** A JSON answer with its schema and named examples. */
export function jsonAnswer<S extends z.ZodType>(description: string, schema: S, named: Record<string, Example> = {}) {
  const examples = Object.keys(named).length > 0 ? named : undefined;
  return { description, content: { "application/json": { schema, examples } } };
}

const retryAfter = {
  "Retry-After": { schema: { type: "integer" as const }, description: "Seconds to wait before retrying." },
};

/** The error answers every API operation may give. */
export const COMMON_ERRORS = {
  401: {
    ...jsonAnswer("No valid API key.", Named.ErrorEnvelope, {
      unauthorized: errorExample("missing or wrong key", new ApiError(401, "unauthorized", "Unauthorized")),
    }),
    headers: { "WWW-Authenticate": { schema: { type: "string" as const } } },
  },
  429: {
    ...jsonAnswer("Over the per-key rate limit.", Named.ErrorEnvelope, {
      rate_limited: errorExample(
        "over the limit",
        new ApiError(429, "rate_limited", "Too many requests, please slow down", {
          extra: { retry_after_seconds: 60 },
        }),
      ),
    }),
    headers: retryAfter,
  },
  503: {
    ...jsonAnswer(
      "No container could take the request, it is busy, it stopped with the request in it (`container_failed`, never retried elsewhere), or the service is misconfigured: retry after `Retry-After` seconds.",
      Named.ErrorEnvelope,
      {
        unavailable: errorExample("no container", unavailable()),
        failed: errorExample("the container stopped with the request in it", containerFailed()),
        misconfigured: errorExample("a setting of the service is invalid", misconfigured()),
      },
    ),
    headers: retryAfter,
  },
  504: {
    ...jsonAnswer("The container (or a URL's server) did not answer in time.", Named.ErrorEnvelope, {
      timeout: errorExample("container deadline", containerTimeout(30_000)),
    }),
    headers: retryAfter,
  },
} as const;

/** The 413 of both analysis routes. */
export const TOO_LARGE = jsonAnswer("The image is larger than MAX_UPLOAD_BYTES (5 MiB).", Named.ErrorEnvelope, {
  too_large: errorExample("a 6 MB upload", tooLarge(5 * 1024 * 1024, 6_000_000)),
});

/** The 422 of both analysis routes. */
export const UNPROCESSABLE = {
  description: "A missing or malformed field (FastAPI's list shape), more than 50 megapixels, or no visible pixel.",
  content: {
    "application/json": {
      schema: Named.ValidationEnvelope.or(Named.ErrorEnvelope),
      examples: { missing_image: examples.missing_image },
    },
  },
};

/** The 200 of both analysis routes. */
export const ANALYSED = {
  ...jsonAnswer("The numbers. Groups appear only when asked for.", Named.AnalysisResponse, {
    brightness: examples.brightness,
    everything: examples.everything,
    insights: examples.insights,
    lstar: examples.lstar,
    large: examples.large,
  }),
  headers: {
    ETag: {
      schema: { type: "string" as const },
      description: "Weak; a function of the image's bytes, the parameters and the engine version only.",
    },
    "Server-Timing": {
      schema: { type: "string" as const },
      description: "download, edge, then container, decode, analyse (or cache on a hit).",
    },
    "X-Request-Id": { schema: { type: "string" as const } },
  },
};

export { examples };

/**
 * Registers the components and security schemes on `app`, and serves the document at `/openapi.json`
 * with this deployment's own origin as its server.
 *
 * @example
 * serveDocument(app, "2.0.0");
 */
export function serveDocument(app: OpenAPIHono<never>, version: string): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: {
      title: SERVICE_NAME,
      version,
      description:
        "How bright an image is, and how that brightness is spread: Rec. 709 luma on 8-bit sRGB, computed on the image shrunk to at most 512 px. The successor of image-insights-api 1.7: same endpoints, fields and error envelope.",
    },
    servers: [{ url: new URL(c.req.url).origin, description: "This deployment." }],
    security: KEY_SECURITY,
    tags: [
      { name: "analysis", description: "How bright an image is, uploaded or downloaded from a public URL." },
      {
        name: "jobs",
        description:
          "Batch jobs: many images analysed in the background (Queues, a Durable Object per job, R2 for uploads), results as NDJSON or CSV, a signed webhook when done.",
      },
      { name: "service", description: "Health of the Worker and of its container instances." },
    ],
  }));
}
