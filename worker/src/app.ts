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
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { parseAnalysisParams } from "../../contract/analysis.ts";
import { ApiError, fieldError, misconfigured, toErrorResponse } from "../../contract/errors.ts";
import { accessLog, requestIdOptions } from "../../contract/middleware.ts";
import { REQUEST_ID_HEADER, requestIdFrom } from "../../contract/service.ts";
import pkg from "../../package.json" with { type: "json" };
import { loadedConfig } from "./config.ts";
import type { AppEnv } from "./context.ts";
import { corsPolicy, securityHeaders } from "./headers/index.ts";
import { health } from "./health/index.ts";
import { healthHandler, healthRoute, rootHandler, rootRoute } from "./health/route.ts";
import {
  deleteJob,
  deleteJobRoute,
  getJob,
  getJobRoute,
  jobDuplicates,
  jobDuplicatesRoute,
  jobResults,
  jobResultsRoute,
  listJobs,
  listJobsRoute,
  submitJob,
  submitJobRoute,
  webhookSecret,
  webhookSecretRoute,
} from "./jobs/route.ts";
import { describeCause, log } from "./log.ts";
import { serveDocument } from "./openapi/index.ts";
import { analyseUrlHandler, analyseUrlRoute } from "./source/route.ts";
import { analyseUpload, analyseUploadRoute } from "./upload/route.ts";

export type { AppEnv } from "./context.ts";

/** The paths a health check may poll: they answer 503 `{"status":"unhealthy"}` on a misconfigured Worker. */
const HEALTH_PATHS = ["/", "/health"];

/**
 * Builds the Worker's app.
 *
 * @example
 * export default { fetch: createApp().fetch };
 */
export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    // What zod refused is answered in the contract's own words. The analysis parameters' own errors never get
    // here (the query schema's transform throws them); a parameter given twice does, refused for not being
    // one string: it is answered as the reference answers it, by its first value's parse. Anything else is
    // FastAPI's 422 list shape.
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

  app.use(requestId(requestIdOptions));
  app.use(accessLog(log));
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
    .openapi(rootRoute, rootHandler)
    .openapi(healthRoute, healthHandler)
    .openapi(analyseUploadRoute, analyseUpload)
    .openapi(analyseUrlRoute, analyseUrlHandler)
    .openapi(submitJobRoute, submitJob)
    .openapi(listJobsRoute, listJobs)
    .openapi(getJobRoute, getJob)
    .openapi(jobResultsRoute, jobResults)
    .openapi(jobDuplicatesRoute, jobDuplicates)
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
 * The API's type, for a `hono/client` typed from the Worker's own routes. The published client (packages/client,
 * `createClient`) types the same routes from the contract instead, so that it needs none of the Worker's sources.
 *
 * @example
 * const client = hc<AppType>("https://image-insights-api.example.workers.dev");
 */
export type AppType = ReturnType<typeof createApp>;
