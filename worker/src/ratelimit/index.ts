/**
 * Per-client rate limiting with the Workers Rate Limiting binding (`[[ratelimits]]` in wrangler.toml),
 * keyed by API key (a named key's id, whichever of its secrets is sent; a plain key's hash prefix, never the key)
 * or, where the API is open, by client address (an IPv6 client's /64: auth/address.ts).
 * Over the limit: 429 with `Retry-After` (RFC 6585 §4). 429 is only ever this: a container that is
 * overloaded answers 503.
 *
 * A limiter that fails (the binding throws) lets the request through with a logged warning: it fails open.
 * The limit protects cost, not access (keys do that, and fail closed), and the binding is itself a
 * best-effort counter; refusing every request while it is down would turn its outage into ours.
 */
import type { MiddlewareHandler } from "hono";
import { ApiError, retryAfter } from "../../../contract/errors.ts";
import type { AuthVariables } from "../auth/index.ts";
import { configFor } from "../config.ts";
import type { Env } from "../env.ts";
import { describeCause, log } from "../log.ts";

/**
 * @example
 * app.post("/v1/image/analysis", authenticate(), rateLimit(), handler);
 */
export function rateLimit<E extends { Bindings: Env; Variables: AuthVariables }>(): MiddlewareHandler<E> {
  return async (c, next) => {
    const limiter = c.env.RATE_LIMITER;
    if (limiter) {
      const principal = c.get("principal");
      const success = await limiter.limit({ key: `${principal.kind}:${principal.id}` }).then(
        (outcome) => outcome.success,
        (cause: unknown) => {
          log("warn", "rate limiter failed, request let through", { cause: describeCause(cause) });
          return true;
        },
      );
      if (!success) {
        const retryAfterS = configFor(c.env).rateLimitPeriodS;
        throw new ApiError(429, "rate_limited", "Too many requests, please slow down", {
          extra: { retry_after_seconds: retryAfterS },
          headers: retryAfter(retryAfterS),
        });
      }
    }
    return next();
  };
}
