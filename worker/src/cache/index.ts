/**
 * Results cached at the edge in Workers KV, so a repeated analysis never wakes a container.
 *
 * KV, not the Cache API: the Cache API does nothing on `*.workers.dev`, which is where this service deploys,
 * while KV works on every route and is shared by every location.
 *
 * Only the numbers are stored, under a hashed key: never the image, and never a URL in clear (the reference
 * service promised its users that images are never stored; so do we). The key is SHA-256 over the engine
 * version, the cache partition (RESULT_CACHE_SCOPE), the image's own SHA-256 and the canonical parameters,
 * so any change to one of them is a miss.
 */
import {
  type AnalysisParams,
  type AnalysisResponse,
  canonicalQuery,
  ENGINE_VERSION,
} from "../../../contract/analysis.ts";
import type { Principal } from "../auth/principal.ts";
import { sha256Hex } from "../digest.ts";

/** What is stored: the response without the fields that describe one request rather than the image. */
export type CachedResult = Omit<AnalysisResponse, "cached" | "processing_time_ms">;

/** A cache hit: the numbers, and the ETag of the bytes and parameters they were computed from. */
export interface CacheHit {
  result: CachedResult;
  etag: string | null;
}

const KEY_PREFIX = "result:";

/**
 * Which part of the cache a request may see: `shared`, or one API key's own (`key:<id>` for a named key, whose
 * secrets share it; `key:<hash prefix>` for a plain one), so that a hit (`cached: true`) never tells one tenant
 * what another analysed (RESULT_CACHE_SCOPE, docs/SECURITY.md).
 *
 * @example
 * cachePartition("key", { kind: "key", id: "3f2a…" }); // "key:3f2a…"
 * cachePartition("shared", { kind: "key", id: "3f2a…" }); // "shared"
 */
export function cachePartition(scope: "key" | "shared", principal: Principal): string {
  return scope === "shared" ? "shared" : `${principal.kind}:${principal.id}`;
}

/**
 * The cache key of an analysis, which is also the key identical concurrent analyses are coalesced under.
 *
 * @example
 * await resultKey("9f86d0…", { metrics: ["brightness"], edgeMode: null, background: null }, "shared");
 * // "result:3a7bd3…"
 */
export async function resultKey(contentSha256: string, params: AnalysisParams, partition: string): Promise<string> {
  return KEY_PREFIX + (await sha256Hex(`${ENGINE_VERSION}|${partition}|${contentSha256}|${canonicalQuery(params)}`));
}

/**
 * The cache key of a URL's analysis: the normalised URL (fragment dropped, host lower-cased, default port
 * removed by WHATWG parsing) and the parameters, hashed, so no URL is ever stored in clear.
 *
 * @example
 * await urlResultKey(new URL("https://Example.com:443/a.png#x"), params, p) === await urlResultKey(new URL("https://example.com/a.png"), params, p); // true
 */
export async function urlResultKey(url: URL, params: AnalysisParams, partition: string): Promise<string> {
  const normalised = new URL(url);
  normalised.hash = "";
  return (
    KEY_PREFIX + (await sha256Hex(`${ENGINE_VERSION}|${partition}|url|${normalised.href}|${canonicalQuery(params)}`))
  );
}

/**
 * The ETag of an answer: a function of what its numbers come from (the engine version, the image's bytes,
 * the parameters) and nothing else, so it is the same on both routes, on hits and misses, and for every
 * tenant. Weak (RFC 9110 §8.8.1) because `processing_time_ms` and `cached` differ between two answers with
 * the same numbers.
 *
 * @example
 * await etagFor("9f86d0…", params); // 'W/"3a7bd3…"' (32 hex digits)
 */
export async function etagFor(contentSha256: string, params: AnalysisParams): Promise<string> {
  const digest = await sha256Hex(`${ENGINE_VERSION}|etag|${contentSha256}|${canonicalQuery(params)}`);
  return `W/"${digest.slice(0, 32)}"`;
}

/** The stored result for `key` and its ETag, or null. A read that fails is a miss, never an error for the caller. */
export async function readResult(kv: KVNamespace, key: string): Promise<CacheHit | null> {
  try {
    const { value, metadata } = await kv.getWithMetadata<CachedResult, { etag?: string }>(key, "json");
    return value ? { result: value, etag: metadata?.etag ?? null } : null;
  } catch {
    return null;
  }
}

/**
 * Stores a container's answer for `ttlS` seconds, its ETag beside it (KV metadata).
 *
 * @example
 * await storeResult(env.RESULTS, key, body, 86_400, etag);
 */
export async function storeResult(
  kv: KVNamespace,
  key: string,
  body: AnalysisResponse,
  ttlS: number,
  etag: string,
): Promise<void> {
  const { cached: _cached, processing_time_ms: _time, ...result } = body;
  await kv.put(key, JSON.stringify(result satisfies CachedResult), { expirationTtl: ttlS, metadata: { etag } });
}
