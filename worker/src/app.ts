/**
 * The Worker's Hono app: middleware in request order, then the routes. The Worker answers everything it can
 * on its own (health, every invalid request, cache hits) and sends a container only valid, uncached work.
 *
 * An analysis walks: request ID → security headers → CORS → API key → rate limit → upload checks →
 * KV cache → the image's Durable Object (coalesced there) → container → KV → caller.
 */
import { Hono } from "hono";
import type { AnalysisResponse } from "../../contract/analysis.ts";
import { ApiError, toErrorResponse } from "../../contract/errors.ts";
import { ANALYSIS_PATH, REQUEST_ID_HEADER, requestIdFrom } from "../../contract/service.ts";
import { type AuthVariables, authenticate } from "./auth/index.ts";
import { etagFor, readResult, resultKey } from "./cache/index.ts";
import { configFor, type Env } from "./config.ts";
import { corsPolicy, securityHeaders } from "./headers/index.ts";
import { health, probeInstances } from "./health/index.ts";
import { describeCause, log } from "./log.ts";
import { rateLimit } from "./ratelimit/index.ts";
import { analyseOnContainer } from "./routing/index.ts";
import { readUpload } from "./upload/index.ts";

type AppEnv = { Bindings: Env; Variables: AuthVariables & { requestId: string; startedAt: number } };

/** Milliseconds since `since`, to one decimal, for `Server-Timing` and `processing_time_ms`. */
function elapsedMs(since: number): number {
  return Math.round((performance.now() - since) * 10) / 10;
}

/**
 * Builds the Worker's app.
 *
 * @example
 * export default { fetch: createApp().fetch };
 */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    const startedAt = performance.now();
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    c.set("requestId", requestId);
    c.set("startedAt", startedAt);
    configFor(c.env); // a bad setting is reported on the first request, by onError, not deep inside a route
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

  // Waking containers costs money: `wake=1` needs a key.
  app.get(
    "/health",
    (c, next) => (c.req.query("wake") === "1" ? authenticate<AppEnv>()(c, next) : next()),
    async (c) => {
      if (c.req.query("deep") !== "1") return c.json(health());
      const instances = await probeInstances(c.env, configFor(c.env), c.req.query("wake") === "1");
      return c.json({ ...health(), instances });
    },
  );

  app.post(ANALYSIS_PATH, authenticate(), rateLimit(), async (c) => {
    const config = configFor(c.env);
    const requestId = c.get("requestId");
    const upload = await readUpload(c.req.raw, config);
    const key = await resultKey(upload.sha256, upload.params);
    const etag = etagFor(key);

    const hit = await readResult(c.env.RESULTS, key);
    if (hit) {
      const processingMs = elapsedMs(c.get("startedAt"));
      c.header("ETag", etag);
      c.header("Server-Timing", `edge;dur=${processingMs}, cache;desc="hit"`);
      return c.json({ ...hit, cached: true, processing_time_ms: processingMs } satisfies AnalysisResponse);
    }

    const answer = await analyseOnContainer(c.env, config, upload, key, requestId);
    const { response } = answer;
    if (response.status !== 200) {
      // The container's (or the Durable Object's) own envelope and headers, e.g. Retry-After.
      const headers = new Headers(response.headers);
      headers.delete("X-Coalesced");
      return c.newResponse(response.body, { status: response.status as 503, headers });
    }
    const body = await response.json<AnalysisResponse>();
    const edgeMs = Math.max(0, elapsedMs(c.get("startedAt")) - answer.durationMs);
    const containerTiming = response.headers.get("Server-Timing");
    c.header("ETag", etag);
    c.header(
      "Server-Timing",
      [`edge;dur=${edgeMs.toFixed(1)}`, `container;dur=${answer.durationMs.toFixed(1)}`, containerTiming]
        .filter(Boolean)
        .join(", "),
    );
    return c.json(body);
  });

  app.notFound(() => {
    throw new ApiError(404, "not_found", "Not Found");
  });

  app.onError((err, c) => {
    const requestId = c.get("requestId") ?? requestIdFrom(undefined);
    const { error, status, body, headers } = toErrorResponse(err, requestId);
    if (status >= 500) {
      log("error", error.message, {
        request_id: requestId,
        code: error.code,
        cause: describeCause(error.cause ?? err),
      });
    }
    return c.json(body, status as 400, { ...headers, [REQUEST_ID_HEADER]: requestId });
  });

  return app;
}
