/**
 * Headers every response carries: CORS for an API called from anywhere, and a few security headers.
 * No framework or library names (no `Server`, no `X-Powered-By`).
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { REQUEST_ID_HEADER } from "../../../contract/service.ts";
import { configFor, type Env, type WorkerConfig } from "../config.ts";

/** How long a browser may reuse a CORS preflight answer, in seconds. */
export const CORS_MAX_AGE_S = 600;

/**
 * `X-Content-Type-Options: nosniff` (a JSON error is never sniffed as HTML) and `Referrer-Policy:
 * no-referrer` (nothing of a URL leaks to where a page links).
 *
 * @example
 * app.use(securityHeaders());
 */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
  };
}

const corsFor = new WeakMap<WorkerConfig, MiddlewareHandler>();

/**
 * Any origin by default, without credentials (keys travel in headers, never cookies); an allow-list when
 * `CORS_ALLOW_ORIGINS` names origins.
 *
 * @example
 * app.use(corsPolicy());
 */
export function corsPolicy(): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const config = configFor(c.env);
    let handler = corsFor.get(config);
    if (!handler) {
      const allowed = config.corsAllowOrigins;
      handler = cors({
        origin: allowed.includes("*") ? "*" : (origin) => (allowed.includes(origin) ? origin : null),
        allowMethods: ["GET", "POST", "OPTIONS"],
        allowHeaders: ["Content-Type", "X-API-Key", "Authorization", REQUEST_ID_HEADER],
        exposeHeaders: [REQUEST_ID_HEADER, "Server-Timing", "ETag", "Retry-After"],
        maxAge: CORS_MAX_AGE_S,
        credentials: false,
      });
      corsFor.set(config, handler);
    }
    return handler(c, next);
  };
}
