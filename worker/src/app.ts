/**
 * The Worker's app: middleware in request order, then the routes, each declared once in its capability's
 * route.ts (`@hono/zod-openapi`), from which validation, types, the typed client and `/openapi.json` come. The
 * Worker answers everything it can on its own (health, every invalid request, cache hits) and sends a
 * container only valid, uncached work. The pages (playground, docs, favicon) are static assets in
 * worker/public/, served without running the Worker at all.
 *
 * An analysis walks: request ID → security headers → CORS → settings → API key → rate limit → body and
 * parameter checks → KV cache → the image's Durable Object (coalesced there) → container → KV → caller.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { type AnalysisResponse, parseAnalysisParams } from "../../contract/analysis.ts";
import { ApiError, fieldError, misconfigured, toErrorResponse } from "../../contract/errors.ts";
import { REQUEST_ID_HEADER, requestIdFrom } from "../../contract/service.ts";
import pkg from "../../package.json" with { type: "json" };
import { analyseImage, analyseUrl, type Outcome, type RoadOptions } from "./analysis/index.ts";
import { type CachedResult, cachePartition } from "./cache/index.ts";
import { configFor, loadedConfig } from "./config.ts";
import type { AppEnv } from "./context.ts";
import { corsPolicy, securityHeaders } from "./headers/index.ts";
import { health, probeInstances } from "./health/index.ts";
import { healthRoute, rootRoute } from "./health/route.ts";
import { deleteJob, getJob, jobResults, listJobs, submitJob, webhookSecret } from "./jobs/http.ts";
import {
  deleteJobRoute,
  getJobRoute,
  jobResultsRoute,
  listJobsRoute,
  submitJobRoute,
  webhookSecretRoute,
} from "./jobs/route.ts";
import { describeCause, log } from "./log.ts";
import { serveDocument } from "./openapi/index.ts";
import { analyseUrlRoute } from "./source/route.ts";
import { checkImage } from "./upload/index.ts";
import { analyseUploadRoute } from "./upload/route.ts";

export type { AppEnv } from "./context.ts";

type Ctx = Context<AppEnv>;

/** The paths a health check may poll: they answer 503 `{"status":"unhealthy"}` on a misconfigured Worker. */
const HEALTH_PATHS = ["/", "/health"];

/** Milliseconds since `since`, to one decimal, for `Server-Timing` and `processing_time_ms`. */
function elapsedMs(since: number): number {
  return Math.round((performance.now() - since) * 10) / 10;
}

/**
 * The answer's body and headers. `processing_time_ms` means the same on a hit and a miss: the time this
 * request spent in the service, from the Worker receiving it to the answer being ready (a URL's download
 * included). `Server-Timing` splits it: `download`, `edge` (the Worker's own share), then either
 * `cache;desc="hit"` or `container` and the container's `decode` and `analyse`.
 */
function respond(
  c: Ctx,
  result: CachedResult,
  etag: string,
  timing: { downloadMs?: number; container?: { durationMs: number; serverTiming: string | null } },
): Response {
  const processingMs = elapsedMs(c.get("startedAt"));
  const containerMs = timing.container?.durationMs ?? 0;
  const edgeMs = Math.max(0, processingMs - containerMs - (timing.downloadMs ?? 0));
  c.header("ETag", etag);
  c.header(
    "Server-Timing",
    [
      timing.downloadMs === undefined ? null : `download;dur=${timing.downloadMs}`,
      `edge;dur=${edgeMs.toFixed(1)}`,
      ...(timing.container
        ? [`container;dur=${containerMs.toFixed(1)}`, timing.container.serverTiming]
        : ['cache;desc="hit"']),
    ]
      .filter(Boolean)
      .join(", "),
  );
  const cached = !timing.container;
  return c.json({ ...result, cached, processing_time_ms: processingMs } satisfies AnalysisResponse);
}

/** The road's options for this request: its cache partition (RESULT_CACHE_SCOPE), its ID, its waitUntil. */
function roadOf(c: Ctx): RoadOptions {
  return {
    partition: cachePartition(configFor(c.env).resultCacheScope, c.get("principal")),
    requestId: c.get("requestId"),
    waitUntil: (promise) => c.executionCtx.waitUntil(promise),
  };
}

/** An outcome of the road as this request's answer: the numbers, or the container's own error envelope. */
function answer(c: Ctx, outcome: Outcome): Response {
  if (!outcome.ok) return c.newResponse(outcome.body, { status: outcome.status as 503, headers: outcome.headers });
  return respond(c, outcome.result, outcome.etag, outcome);
}

/**
 * A route's answer as its declaration types it. The handlers build some answers themselves (a container's
 * own error envelope passed through, a cached result), all within the declared responses.
 */
const declared = (response: Response) => response as never;

/**
 * Builds the Worker's app.
 *
 * @example
 * export default { fetch: createApp().fetch };
 */
export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    // What zod refused is answered in the contract's own words: the parsers that the schemas' checks use
    // throw the reference service's error for a parameter; anything else is FastAPI's 422 list shape.
    defaultHook: (result, c) => {
      if (result.success) return;
      if (result.target === "query") parseAnalysisParams(new URL(c.req.url).searchParams);
      // A path that names no job in the right form names no job: 404, as for one that does not exist.
      if (result.target === "param") throw new ApiError(404, "not_found", "Not Found");
      const issue = result.error.issues[0];
      const field = issue?.path[0];
      const where = result.target === "json" || result.target === "form" ? "body" : result.target;
      throw fieldError(
        typeof field === "string" ? field : null,
        issue?.code ?? "invalid",
        issue?.message ?? "Invalid",
        where,
      );
    },
  });

  app.use(async (c, next) => {
    const startedAt = performance.now();
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    c.set("requestId", requestId);
    c.set("startedAt", startedAt);
    await next();
    c.header(REQUEST_ID_HEADER, requestId);
    log("info", "request", {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: elapsedMs(startedAt),
    });
  });
  app.use(securityHeaders());
  app.use(corsPolicy());
  // A bad setting answers every request here, after the headers above (so the answer still carries them):
  // health checks say unhealthy, everything else is a 503 `misconfigured`. The log names the variable, once.
  app.use(async (c, next) => {
    if ("error" in loadedConfig(c.env)) {
      if (HEALTH_PATHS.includes(c.req.path)) return c.json({ ...health(), status: "unhealthy" as const }, 503);
      throw misconfigured();
    }
    return next();
  });

  const api = app
    // The reference answers `GET /` like its health check (and its own tests check it).
    .openapi(rootRoute, (c) => c.json(health(), 200))
    .openapi(healthRoute, async (c) => {
      if (c.req.valid("query").deep !== "1") return c.json(health(), 200);
      return c.json({ ...health(), instances: await probeInstances(c.env, configFor(c.env)) }, 200);
    })
    .openapi(analyseUploadRoute, async (c) => {
      const config = configFor(c.env);
      const params = parseAnalysisParams(new URL(c.req.url).searchParams);
      const { image } = c.req.valid("form");
      const checked = await checkImage(image as File, config);
      return declared(answer(c, await analyseImage(c.env, config, { ...checked, params }, roadOf(c))));
    })
    .openapi(analyseUrlRoute, async (c) => {
      const { url, params } = c.get("urlRequest");
      return declared(answer(c, await analyseUrl(c.env, configFor(c.env), url, params, roadOf(c))));
    })
    .openapi(submitJobRoute, submitJob)
    .openapi(listJobsRoute, listJobs)
    .openapi(getJobRoute, getJob)
    .openapi(jobResultsRoute, jobResults)
    .openapi(deleteJobRoute, deleteJob)
    .openapi(webhookSecretRoute, webhookSecret);

  serveDocument(app as never, pkg.version);

  // A path that exists with another method is 405 with `Allow` (RFC 9110 §15.5.6), not 404.
  app.notFound((c) => {
    const allowed = new Set(app.routes.filter((r) => r.path === c.req.path && r.method !== "ALL").map((r) => r.method));
    if (allowed.size === 0) throw new ApiError(404, "not_found", "Not Found");
    if (allowed.has("GET")) allowed.add("HEAD");
    allowed.add("OPTIONS");
    const methods = [...allowed].sort();
    throw new ApiError(405, "method_not_allowed", "Method Not Allowed", {
      extra: { allowed_methods: methods },
      headers: { Allow: methods.join(", ") },
    });
  });

  app.onError((err, c) => {
    const requestId = c.get("requestId") ?? requestIdFrom(undefined);
    const { error, status, body, headers } = toErrorResponse(fromHono(err), requestId);
    if (status >= 500) {
      log("error", error.message, {
        request_id: requestId,
        code: error.code,
        cause: describeCause(error.cause ?? err),
      });
    }
    return c.json(body, status as 400, { ...headers, [REQUEST_ID_HEADER]: requestId });
  });

  return api;
}

/**
 * Hono's own refusals in our envelope: a body whose media type the route does not declare (415: e.g. the URL
 * route with something other than `application/json`), a malformed body (400). Anything else stays itself.
 */
function fromHono(err: unknown): unknown {
  if (!(err instanceof HTTPException)) return err;
  if (err.status === 415) {
    return new ApiError(415, "unsupported_media_type", "Unsupported Media Type", {
      extra: { detail: "Send the body with the Content-Type this operation declares (see /openapi.json)." },
      cause: err,
    });
  }
  if (err.status < 500) return fieldError(null, "invalid", err.message);
  return err;
}

/**
 * The API's type, for typed clients with `hono/client` (README: "A typed client").
 *
 * @example
 * const client = hc<AppType>("https://image-insights-api.example.workers.dev");
 */
export type AppType = ReturnType<typeof createApp>;
