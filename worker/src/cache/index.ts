/**
 * Results cached at the edge in Workers KV, so a repeated analysis never wakes a container.
 *
 * KV, not the Cache API: the Cache API does nothing on `*.workers.dev`, which is where this service deploys,
 * while KV works on every route and is shared by every location.
 *
 * Only the numbers are stored, under a hashed key: never the image, and never a URL in clear (the reference
 * service promised its users that images are never stored; so do we). The key is SHA-256 over the engine
 * version, the image's own SHA-256 and the canonical parameters, so any change to one of them is a miss.
 */
import {
  type AnalysisParams,
  type AnalysisResponse,
  canonicalQuery,
  ENGINE_VERSION,
} from "../../../contract/analysis.ts";
import { sha256Hex } from "../digest.ts";

/** What is stored: the response without the fields that describe one request rather than the image. */
export type CachedResult = Omit<AnalysisResponse, "cached" | "processing_time_ms">;

const KEY_PREFIX = "result:";

/**
 * The cache key of an analysis.
 *
 * @example
 * await resultKey("9f86d0…", { metrics: ["brightness"], edgeMode: null, background: null });
 * // "result:3a7bd3…"
 */
export async function resultKey(contentSha256: string, params: AnalysisParams): Promise<string> {
  return KEY_PREFIX + (await sha256Hex(`${ENGINE_VERSION}|${contentSha256}|${canonicalQuery(params)}`));
}

/**
 * The cache key of a URL's analysis: the normalised URL (fragment dropped, host lower-cased, default port
 * removed by WHATWG parsing) and the parameters, hashed, so no URL is ever stored in clear.
 *
 * @example
 * await urlResultKey(new URL("https://Example.com:443/a.png#x"), params) === await urlResultKey(new URL("https://example.com/a.png"), params); // true
 */
export async function urlResultKey(url: URL, params: AnalysisParams): Promise<string> {
  const normalised = new URL(url);
  normalised.hash = "";
  return KEY_PREFIX + (await sha256Hex(`${ENGINE_VERSION}|url|${normalised.href}|${canonicalQuery(params)}`));
}

/**
 * A weak ETag for a result: equal for equal images and parameters. Weak (RFC 9110 §8.8.1) because
 * `processing_time_ms` and `cached` differ between two answers with the same numbers.
 *
 * @example
 * etagFor("result:3a7bd3…"); // 'W/"3a7bd3…"' (32 hex digits)
 */
export function etagFor(key: string): string {
  return `W/"${key.slice(KEY_PREFIX.length, KEY_PREFIX.length + 32)}"`;
}

/** The stored result for `key`, or null. A read that fails is a miss, never an error for the caller. */
export async function readResult(kv: KVNamespace, key: string): Promise<CachedResult | null> {
  try {
    return await kv.get<CachedResult>(key, "json");
  } catch {
    return null;
  }
}

/**
 * Stores a container's answer for `ttlS` seconds.
 *
 * @example
 * await storeResult(env.RESULTS, key, body, 86_400);
 */
export async function storeResult(kv: KVNamespace, key: string, body: AnalysisResponse, ttlS: number): Promise<void> {
  const { cached: _cached, processing_time_ms: _time, ...result } = body;
  await kv.put(key, JSON.stringify(result satisfies CachedResult), { expirationTtl: ttlS });
}
