/**
 * API keys, checked at the edge before anything else costs money.
 *
 * - Keys come from the secret `API_KEYS` (comma-separated: during a rotation the old and the new key are
 *   both valid), sent as `X-API-Key: <key>` or `Authorization: Bearer <key>` (RFC 6750 §2.1). Never from the
 *   query string, where keys end up in logs and browser history (RFC 6750 §5.3).
 * - A named key (`acme:<secret>`, config.ts `apiKeys`) is its id: every secret of `acme` is one principal,
 *   so its jobs, cache and rate limit outlive a rotation. A plain key is a hash prefix of itself, as always.
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
import { type ApiKey, configFor, type WorkerConfig } from "../config.ts";
import { sha256, sha256Hex } from "../digest.ts";
import type { Env } from "../env.ts";
import { log } from "../log.ts";
import { clientBucket } from "./address.ts";
import type { AuthVariables, Principal } from "./principal.ts";

export type { AuthVariables, Principal } from "./principal.ts";

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
 * The configured key whose secret is `presented`, or null, in time that depends on neither: every secret is
 * compared, whichever matches.
 *
 * @example
 * await matchingKey("k2", [{ id: null, secret: "k1" }, { id: "acme", secret: "k2" }]); // { id: "acme", secret: "k2" }
 */
export async function matchingKey(presented: string, keys: readonly ApiKey[]): Promise<ApiKey | null> {
  const digest = await sha256(presented);
  let match: ApiKey | null = null;
  for (const key of keys) {
    // No break: every secret is compared, whichever matches.
    const equal = crypto.subtle.timingSafeEqual(digest, await sha256(key.secret));
    match = equal ? key : match;
  }
  return match;
}

/**
 * The principal of a request that presented `key`. A named key's id is used as it is; a plain key's is the first
 * 16 hex digits of its SHA-256, as before named keys existed, so the jobs and cache of keys in use stay theirs.
 * The two never meet: config.ts refuses a named id of 16 lowercase hex digits.
 *
 * @example
 * await keyPrincipal({ id: "acme", secret: "k1" }); // { kind: "key", id: "acme" }
 * await keyPrincipal({ id: null, secret: "k1" }); // { kind: "key", id: "6ab9f1eb8f7d3388" }
 */
export async function keyPrincipal(key: ApiKey): Promise<Principal> {
  return { kind: "key", id: key.id ?? (await sha256Hex(key.secret)).slice(0, 16) };
}

/**
 * The principal of a request on an open API: its client's address, an IPv6 client's /64.
 *
 * @example
 * addressPrincipal("2001:db8:1:2::7"); // { kind: "ip", id: "2001:db8:1:2::/64" }
 */
export function addressPrincipal(connectingIp: string | undefined): Principal {
  return { kind: "ip", id: clientBucket(connectingIp ?? "unknown") };
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
    const key = presented !== null && config.apiKeys.length > 0 ? await matchingKey(presented, config.apiKeys) : null;
    if (key) {
      c.set("principal", await keyPrincipal(key));
      return next();
    }
    const open = openReason(config);
    // A wrong key is refused even on an open API: a client that sends one is misconfigured and should hear it.
    if (open === null || (presented !== null && config.apiKeys.length > 0)) throw unauthorized();
    if (!announced.has(c.env)) {
      announced.add(c.env);
      log("warn", "the API is open: analysis requests need no key", { reason: open });
    }
    c.set("principal", addressPrincipal(c.req.header("CF-Connecting-IP")));
    return next();
  };
}
