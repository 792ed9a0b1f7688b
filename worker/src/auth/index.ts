/**
 * API keys, checked at the edge before anything else costs money.
 *
 * - Keys come from the secret `API_KEYS` (comma-separated: during a rotation the old and the new key are
 *   both valid), sent as `X-API-Key: <key>` or `Authorization: Bearer <key>` (RFC 6750 §2.1). Never from the
 *   query string, where keys end up in logs and browser history (RFC 6750 §5.3).
 * - Compared in constant time: both sides are hashed with SHA-256 first, so the comparison takes the same time
 *   whatever the length or content of the key presented, then `crypto.subtle.timingSafeEqual`; every
 *   configured key is compared, with no early exit.
 * - Fails closed: with no key configured every analysis is refused, except where the operator said
 *   otherwise: `ENVIRONMENT = "development"` (what `npm run dev` sets) or `PUBLIC_API = "true"`.
 * - One 401, byte-identical for a missing, short, long or wrong key apart from `request_id`, so an attacker
 *   learns nothing from it.
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../../contract/errors.ts";
import { SERVICE_NAME } from "../../../contract/service.ts";
import { configFor, type Env, type WorkerConfig } from "../config.ts";
import { sha256, sha256Hex } from "../digest.ts";
import { log } from "../log.ts";

/** Who a request is, for rate limiting: a hash prefix of its key (never the key), or its client address. */
export type Principal = { kind: "key"; id: string } | { kind: "ip"; id: string };

export type AuthVariables = { principal: Principal };

/**
 * The key a request presents, from `X-API-Key` or `Authorization: Bearer`, or null.
 *
 * @example
 * presentedKey(new Headers({ Authorization: "Bearer abc" })); // "abc"
 */
export function presentedKey(headers: Headers): string | null {
  const header = headers.get("X-API-Key");
  if (header) return header.trim();
  const authorization = headers.get("Authorization");
  const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return match?.[1] ?? null;
}

/**
 * Whether `presented` is one of `keys`, in time that depends on neither.
 *
 * @example
 * await isValidKey("k2", ["k1", "k2"]); // true
 */
export async function isValidKey(presented: string, keys: readonly string[]): Promise<boolean> {
  const digest = await sha256(presented);
  let valid = false;
  for (const key of keys) {
    // `|=` and no break: every key is compared, whichever matches.
    valid = crypto.subtle.timingSafeEqual(digest, await sha256(key)) || valid;
  }
  return valid;
}

function unauthorized(): ApiError {
  return new ApiError(401, "unauthorized", "Unauthorized", {
    headers: { "WWW-Authenticate": `Bearer realm="${SERVICE_NAME}"` },
  });
}

/** Whether the API is open without a key, and why: for the one log line that says so. */
export function openReason(config: WorkerConfig): "public" | "development" | null {
  if (config.publicApi) return "public";
  if (config.apiKeys.length === 0 && config.environment === "development") return "development";
  return null;
}

const announced = new WeakSet<object>();

/**
 * Requires a valid key unless the API is open, and records the request's principal for rate limiting.
 *
 * @example
 * app.post("/v1/image/analysis", authenticate(), handler);
 */
export function authenticate<E extends { Bindings: Env; Variables: AuthVariables }>(): MiddlewareHandler<E> {
  return async (c, next) => {
    const config = configFor(c.env);
    const presented = presentedKey(c.req.raw.headers);
    if (presented !== null && config.apiKeys.length > 0 && (await isValidKey(presented, config.apiKeys))) {
      c.set("principal", { kind: "key", id: (await sha256Hex(presented)).slice(0, 16) });
      return next();
    }
    const open = openReason(config);
    // A wrong key is refused even on an open API: a client that sends one is misconfigured and should hear it.
    if (open === null || (presented !== null && config.apiKeys.length > 0)) throw unauthorized();
    if (!announced.has(c.env)) {
      announced.add(c.env);
      log("warn", "the API is open: analysis requests need no key", { reason: open });
    }
    c.set("principal", { kind: "ip", id: c.req.header("CF-Connecting-IP") ?? "unknown" });
    return next();
  };
}
