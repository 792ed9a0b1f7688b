/**
 * Headers every response carries: CORS for an API called from anywhere, and a few security headers.
 * No framework or library names (no `Server`, no `X-Powered-By`).
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { REQUEST_ID_HEADER } from "../../../contract/service.ts";
import { corsOrigins } from "../config.ts";
import type { Env } from "../env.ts";

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

const corsFor = new WeakMap<object, MiddlewareHandler>();

/**
 * Any origin by default, without credentials (keys travel in headers, never cookies); an allow-list when
 * `CORS_ALLOW_ORIGINS` names origins.
 *
 * @example
 * app.use(corsPolicy());
 */
export function corsPolicy(): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    // Read apart from the other settings, so a misconfigured Worker's 503 still carries CORS headers and
    // a browser can show it.
    let handler = corsFor.get(c.env);
    if (!handler) {
      const allowed = corsOrigins(c.env);
      handler = cors({
        origin: allowed.includes("*") ? "*" : (origin) => (allowed.includes(origin) ? origin : null),
        allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
        allowHeaders: ["Content-Type", "X-API-Key", "Authorization", "Idempotency-Key", REQUEST_ID_HEADER],
        exposeHeaders: [REQUEST_ID_HEADER, "Server-Timing", "ETag", "Retry-After", "Location"],
        maxAge: CORS_MAX_AGE_S,
        credentials: false,
      });
      corsFor.set(c.env, handler);
    }
    return handler(c, next);
  };
}
