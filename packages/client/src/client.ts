/**
 * The typed client: `hono/client` over the API's routes, typed from the contract's schemas (the ones the Worker's
 * route declarations are built from), so that a caller of a deployed API gets typed parameters and answers without
 * the server's code. It runs wherever `fetch` does (Node, browsers, Workers, Deno, Bun).
 *
 * Why not `hc<AppType>` (the Worker exports its app's type): that type drags the Worker's sources and workerd's
 * globals into the caller's type check, and the Worker's dependencies into its install. The routes below mirror
 * the Worker's declarations (worker/src/{upload,source,jobs,health}/route.ts); the package's tests call each of
 * them against the real Worker and compare ROUTES with its /openapi.json.
 */
import type { Hono } from "hono";
import { hc } from "hono/client";
import type { z } from "zod";
import type { AnalysisQuerySchema, UrlRequestSchema } from "../../../contract/analysis.ts";
import type { Duplicates } from "../../../contract/duplicates.ts";
import type { ErrorEnvelope, ValidationEnvelope } from "../../../contract/errors.ts";
import type { Job, JobListSchema, JobRequest, WebhookSecretSchema } from "../../../contract/jobs.ts";
import type {
  AnalysisResponseBody,
  DeepHealthResponseSchema,
  HealthResponseSchema,
} from "../../../contract/schemas.ts";

/** The analysis parameters as a query (`metrics=brightness,median`, `colors=3`…): strings, as in a URL. */
export type AnalysisQuery = z.input<typeof AnalysisQuerySchema>;
/** The body of `POST /v1/image/analysis/url`: the image's URL and the same parameters. */
export type UrlRequest = z.input<typeof UrlRequestSchema>;
export type JobList = z.infer<typeof JobListSchema>;
export type WebhookSecret = z.infer<typeof WebhookSecretSchema>;
export type HealthResponse = z.infer<typeof HealthResponseSchema>;
export type DeepHealthResponse = z.infer<typeof DeepHealthResponseSchema>;
export type { AnalysisResponseBody, Duplicates, ErrorEnvelope, Job, JobRequest, ValidationEnvelope };

/** One answer of a route: its status, its body, and how the body is read. */
type Answer<Status extends number, Body, Format extends "json" | "text" = "json"> = {
  output: Body;
  outputFormat: Format;
  status: Status;
};
/** A route: what it takes, and every answer it gives by status; a refusal's body is the API's error envelope. */
type Route<Input, Answers, Refusal extends number> = { input: Input } & (
  | Answers
  | Answer<Refusal, ErrorEnvelope | ValidationEnvelope>
);
type JobParam = { param: { job_id: string } };

/** The API's routes as `hono/client` reads them (`client.v1.image.analysis.$post(…)`). */
export type ImageInsightsRoutes = {
  "/v1/image/analysis": {
    $post: Route<
      { query?: AnalysisQuery; form: { image: Blob } },
      Answer<200, AnalysisResponseBody>,
      400 | 401 | 413 | 415 | 422 | 429 | 503 | 504
    >;
  };
  "/v1/image/analysis/url": {
    $post: Route<
      { json: UrlRequest },
      Answer<200, AnalysisResponseBody>,
      400 | 401 | 413 | 415 | 422 | 429 | 503 | 504
    >;
  };
  "/v1/jobs": {
    /** JSON with URLs (`json`), or files (`form.images`) with the parameters in `query`. */
    $post: Route<
      { query?: AnalysisQuery; json?: JobRequest; form?: { images: Blob[]; callback_url?: string } },
      Answer<202, Job>,
      400 | 401 | 409 | 413 | 415 | 422 | 429
    >;
    $get: Route<{ query?: { cursor?: string; limit?: string } }, Answer<200, JobList>, 400 | 401 | 403 | 429>;
  };
  "/v1/jobs/:job_id": {
    $get: Route<JobParam, Answer<200, Job>, 401 | 404 | 429>;
    /** Cancels a running job (200, the job) or deletes a finished one (204). */
    $delete: Route<JobParam, Answer<200, Job> | Answer<204, null>, 401 | 404 | 429>;
  };
  "/v1/jobs/:job_id/results": {
    /**
     * NDJSON (one JobResultLine a line) or CSV: text either way. `zip`: a finished job's ZIP (results.csv,
     * results.ndjson, duplicates.json, manifest.json), read with `res.arrayBuffer()` or `res.body`; 409 before it ends.
     */
    $get: Route<
      JobParam & { query?: { format?: "ndjson" | "csv" | "zip" } },
      Answer<200, string, "text">,
      401 | 404 | 409 | 429
    >;
  };
  "/v1/jobs/:job_id/duplicates": {
    /** A finished job's exact and near duplicates; 409 `job_not_finished` before it ends. */
    $get: Route<JobParam, Answer<200, Duplicates>, 401 | 404 | 409 | 429>;
  };
  "/v1/webhooks/secret": { $get: Route<{}, Answer<200, WebhookSecret>, 401 | 404 | 429> };
  "/health": {
    $get: Route<
      { query?: { deep?: "1" } },
      Answer<200, HealthResponse | DeepHealthResponse> | Answer<503, HealthResponse>,
      401 | 429
    >;
  };
};

/** Every operation ImageInsightsRoutes types, by path (as /openapi.json writes it) and method. */
export const ROUTES = {
  "/v1/image/analysis": ["post"],
  "/v1/image/analysis/url": ["post"],
  "/v1/jobs": ["post", "get"],
  "/v1/jobs/{job_id}": ["get", "delete"],
  "/v1/jobs/{job_id}/results": ["get"],
  "/v1/jobs/{job_id}/duplicates": ["get"],
  "/v1/webhooks/secret": ["get"],
  "/health": ["get"],
} as const satisfies {
  [Path in keyof ImageInsightsRoutes as Path extends `${infer Head}:job_id${infer Tail}`
    ? `${Head}{job_id}${Tail}`
    : Path]: readonly (keyof ImageInsightsRoutes[Path] extends `$${infer Method}` ? Method : never)[];
};

export interface ClientOptions {
  /** The API key, sent as `X-API-Key`; none for a public deployment (`PUBLIC_API=true`). */
  apiKey?: string;
  /** Headers for every request (a tracing `X-Request-Id`, say). */
  headers?: Record<string, string>;
  /** Another `fetch`: a test's, or one through a proxy. */
  fetch?: typeof fetch;
}

/**
 * A typed client for the API at `baseUrl`: each route is a property path (`:job_id` for a path parameter) with
 * `$post`/`$get`/`$delete`, whose arguments and `res.json()` are typed, narrowed by `res.status`.
 *
 * @example
 * const api = createClient("https://insights.example.com", { apiKey: process.env.IMAGE_INSIGHTS_API_KEY });
 * const res = await api.v1.image.analysis.$post({ query: { metrics: "brightness" }, form: { image } });
 * if (res.status === 200) console.log((await res.json()).brightness_score);
 */
export function createClient(baseUrl: string, options: ClientOptions = {}) {
  const headers = { ...options.headers, ...(options.apiKey ? { "X-API-Key": options.apiKey } : {}) };
  return hc<Hono<{}, ImageInsightsRoutes>>(baseUrl, options.fetch ? { headers, fetch: options.fetch } : { headers });
}

export type ImageInsightsClient = ReturnType<typeof createClient>;
