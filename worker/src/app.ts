/**
 * The Worker's Hono app: middleware in request order, then the routes. The Worker answers what it can on
 * its own (`/health`, errors) and sends analyses to a container Durable Object, streaming the upload.
 */
import { Hono } from "hono";
import { ApiError, toErrorResponse } from "../../contract/errors.ts";
import {
  ANALYSIS_PATH,
  type HealthResponse,
  REQUEST_ID_HEADER,
  requestIdFrom,
  SERVICE_NAME,
} from "../../contract/service.ts";
import pkg from "../../package.json" with { type: "json" };
import { configFor, type Env } from "./config.ts";
import { describeCause, log } from "./log.ts";

type AppEnv = { Bindings: Env; Variables: { requestId: string } };

/** The Durable Object name every analysis goes to (one instance until the edge spreads load). */
export const INSTANCE_NAME = "analyzer-0";

/**
 * Builds the Worker's app.
 *
 * @example
 * export default createApp();
 */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    const startedAt = performance.now();
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    c.set("requestId", requestId);
    configFor(c.env); // a bad setting is reported on the first request, by onError, not deep inside a route
    await next();
    c.header(REQUEST_ID_HEADER, requestId);
    log("info", "request", {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - startedAt) * 10) / 10,
    });
  });

  // Answered by the Worker itself: a health check must never wake (or pay for) a container.
  app.get("/health", (c) =>
    c.json({ status: "healthy", service: SERVICE_NAME, version: pkg.version } satisfies HealthResponse),
  );

  app.post(ANALYSIS_PATH, async (c) => {
    const headers = new Headers(c.req.raw.headers);
    headers.set(REQUEST_ID_HEADER, c.get("requestId"));
    // The body stays a stream from the caller to the container: the Worker never holds the upload.
    const res = await c.env.ANALYZER.getByName(INSTANCE_NAME).fetch(new Request(c.req.raw, { headers }));
    return c.newResponse(res.body, res);
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
