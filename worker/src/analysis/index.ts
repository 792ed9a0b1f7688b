/**
 * The analysis pipeline for one image, shared by the analysis routes and the batch consumer: the KV result cache by content,
 * then the image's container instance (routing, coalescing, deadlines), and for a URL, its own cache and the
 * safe download before that. Plain values in and out, no HTTP context: app.ts turns an outcome into an answer,
 * jobs/consumer.ts into a job item's result.
 */
import type { AnalysisParams, AnalysisResponse } from "../../../contract/analysis.ts";
import { type ApiError, containerFailed, type ErrorDetail } from "../../../contract/errors.ts";
import { mediaTypeOf } from "../../../contract/formats.ts";
import { elapsedMs } from "../../../contract/service.ts";
import { analyseOnContainer } from "../analyzer/client.ts";
import { type CachedResult, etagFor, readResult, resultKey, storeResult, urlResultKey } from "../cache/index.ts";
import type { WorkerConfig } from "../config.ts";
import { sha256Hex } from "../digest.ts";
import type { Env } from "../env.ts";
import { describeCause, log } from "../log.ts";
import { downloadImage, loggableUrl } from "../source/index.ts";
import { checkSourceUrl } from "../ssrf/index.ts";

/** KV's shortest expiration: a result allowed to live less than this is not cached. */
const KV_MIN_TTL_S = 60;

export interface CheckedImage {
  file: File;
  sha256: string;
  params: AnalysisParams;
}

export interface AnalysisOptions {
  /** The part of the result cache this caller may read and write (cache/index.ts `cachePartition`). */
  partition: string;
  requestId: string;
  /** Work that may finish after the answer (a KV write). */
  waitUntil(promise: Promise<unknown>): void;
  /** `batch` for a job item: the container serves single requests first, and job items on some of its slots only. */
  priority?: "batch";
  /**
   * Runs the container call when the caller allows it (the batch consumer: at most JOB_ITEMS_PER_INSTANCE of
   * its items on one instance at once), given the image's hash, which picks the instance. A cache hit and a
   * download never wait for it.
   */
  lane?: <T>(sha256: string, call: () => Promise<T>) => Promise<T>;
}

/** What the pipeline gives: the numbers (and where they came from), or the container's own error answer. */
export type AnalysisOutcome =
  | {
      ok: true;
      result: CachedResult;
      etag: string;
      /** Absent on a cache hit. */
      container?: { durationMs: number; serverTiming: string | null };
      downloadMs?: number;
    }
  | { ok: false; status: number; headers: Headers; detail: ErrorDetail; body: string; downloadMs?: number };

/**
 * A checked image's numbers: from the KV cache by content when it can, else from its container instance.
 * `store: false` keeps the result out of every cache (the image's server said `no-store` or `private`).
 *
 * @example
 * const outcome = await analyseImage(env, config, { file, sha256, params }, { partition, requestId, waitUntil });
 */
export async function analyseImage(
  env: Env,
  config: WorkerConfig,
  image: CheckedImage,
  options: AnalysisOptions & { store?: boolean },
): Promise<AnalysisOutcome> {
  const key = await resultKey(image.sha256, image.params, options.partition);
  const etag = await etagFor(image.sha256, image.params);
  const hit = await readResult(env.RESULTS, key);
  if (hit) return { ok: true, result: hit.result, etag };

  const cache = { key, etag: options.store === false ? null : etag };
  const call = () => analyseOnContainer(env, config, image, cache, options.requestId, options.priority);
  const { response, durationMs } = await (options.lane ? options.lane(image.sha256, call) : call());
  const body = await response.text();
  if (response.status !== 200) {
    // The container's (or the Durable Object's) own envelope and headers, e.g. Retry-After.
    const detail = readJson<{ detail?: ErrorDetail }>(body, response.status)?.detail;
    if (!detail?.code) throw answeredBroken(response.status);
    return { ok: false, status: response.status, headers: new Headers(response.headers), detail, body };
  }
  const answer = readJson<AnalysisResponse>(body, response.status);
  if (!answer) throw answeredBroken(response.status);
  const { cached: _cached, processing_time_ms: _time, ...result } = answer;
  return { ok: true, result, etag, container: { durationMs, serverTiming: response.headers.get("Server-Timing") } };
}

/** A body that should be JSON, or `null` when it is not (the caller says what that means). */
function readJson<T>(body: string, status: number): T | null {
  try {
    return JSON.parse(body) as T;
  } catch {
    log("warn", "container answer is not JSON", { status, body: body.slice(0, 200) });
    return null;
  }
}

/**
 * What the caller gets when the way to the container answered something that is not the API's (a proxy's plain
 * text, a cut-off body): the analysis did not end, as when its container stops, so 503 `container_failed`, never
 * a bare 500.
 */
function answeredBroken(status: number): ApiError {
  return containerFailed({ cause: new Error(`the container's side answered ${status} without the API's JSON`) });
}

/**
 * An image URL's numbers: from the URL's own cache, else downloaded under every SSRF rule (which throw the
 * API's errors) and analysed like an upload; the result is cached by URL for no longer than its server allows.
 *
 * @example
 * const outcome = await analyseUrl(env, config, "https://example.com/a.jpg", params, { partition, requestId, waitUntil });
 */
export async function analyseUrl(
  env: Env,
  config: WorkerConfig,
  rawUrl: string,
  params: AnalysisParams,
  options: AnalysisOptions,
): Promise<AnalysisOutcome> {
  const { url } = checkSourceUrl(rawUrl, config); // refuse what the text alone shows, before any lookup
  const urlKey = await urlResultKey(url, params, options.partition);
  const hit = await readResult(env.RESULTS, urlKey);
  // The ETag stored beside a URL's result is its content's, so it equals the miss's (cache/index.ts).
  if (hit?.etag) return { ok: true, result: hit.result, etag: hit.etag };

  const downloadStartedAt = performance.now();
  const downloaded = await downloadImage(url.href, {
    maxBytes: config.maxUploadBytes,
    deadlineMs: config.urlFetchTimeoutMs,
    resolverUrl: config.dnsResolverUrl,
    allowedPrivateOrigins: config.allowedPrivateOrigins,
    urlAllowedPorts: config.urlAllowedPorts,
  });
  const downloadMs = elapsedMs(downloadStartedAt);
  log("info", "downloaded", {
    request_id: options.requestId,
    source: loggableUrl(url),
    bytes: downloaded.bytes.length,
    duration_ms: downloadMs,
  });
  const file = new File([downloaded.bytes], "image", { type: mediaTypeOf(downloaded.format) });
  const sha256 = await sha256Hex(downloaded.bytes);
  // An image whose server forbids caching (`no-store`, `private`) stays out of every cache, the content-keyed
  // one included.
  const store = !downloaded.uncacheable;
  const outcome = await analyseImage(env, config, { file, sha256, params }, { ...options, store });

  // Cached for no longer than the server allows.
  const ttlS = Math.min(config.urlResultTtlS, downloaded.maxAgeS ?? config.urlResultTtlS);
  if (outcome.ok && store && ttlS >= KV_MIN_TTL_S) {
    const body = { ...outcome.result, cached: false, processing_time_ms: 0 } satisfies AnalysisResponse;
    options.waitUntil(
      storeResult(env.RESULTS, urlKey, body, ttlS, outcome.etag).catch((cause: unknown) =>
        log("warn", "URL result not cached", { request_id: options.requestId, cause: describeCause(cause) }),
      ),
    );
  }
  return { ...outcome, downloadMs };
}
