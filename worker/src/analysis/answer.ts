/**
 * The analysis routes' HTTP side: a request's options for the pipeline (index.ts), and the pipeline's outcome as
 * the answer, with `ETag`, `Server-Timing` and `processing_time_ms`. Both analysis handlers (upload/route.ts,
 * source/route.ts) end here.
 */
import type { Context } from "hono";
import type { AnalysisResponse } from "../../../contract/analysis.ts";
import { elapsedMs } from "../../../contract/service.ts";
import { type CachedResult, cachePartition } from "../cache/index.ts";
import { configFor } from "../config.ts";
import type { AppEnv } from "../context.ts";
import type { AnalysisOptions, AnalysisOutcome } from "./index.ts";

/**
 * The answer's body and headers. `processing_time_ms` means the same on a hit and a miss: the time this
 * request spent in the service, from the Worker receiving it to the answer being ready (a URL's download
 * included). `Server-Timing` splits it: `download`, `edge` (the Worker's own share), then either
 * `cache;desc="hit"` or `container` and the container's `decode` and `analyse`.
 */
function respond(
  c: Context<AppEnv>,
  result: CachedResult,
  etag: string,
  timing: { downloadMs?: number; container?: { durationMs: number; serverTiming: string | null } },
): Response {
  const processingMs = elapsedMs(c.get("startedAt"));
  const containerMs = timing.container?.durationMs ?? 0;
  const edgeMs = Math.max(0, processingMs - containerMs - (timing.downloadMs ?? 0));
  c.header("ETag", etag);
  c.header(
    "Server-Timing",
    [
      timing.downloadMs === undefined ? null : `download;dur=${timing.downloadMs}`,
      `edge;dur=${edgeMs.toFixed(1)}`,
      ...(timing.container
        ? [`container;dur=${containerMs.toFixed(1)}`, timing.container.serverTiming]
        : ['cache;desc="hit"']),
    ]
      .filter(Boolean)
      .join(", "),
  );
  const cached = !timing.container;
  return c.json({ ...result, cached, processing_time_ms: processingMs } satisfies AnalysisResponse);
}

/**
 * The pipeline's options for this request: its cache partition (RESULT_CACHE_SCOPE), its ID, its waitUntil.
 *
 * @example
 * const outcome = await analyseUrl(c.env, config, url, params, analysisOptions(c));
 */
export function analysisOptions(c: Context<AppEnv>): AnalysisOptions {
  return {
    partition: cachePartition(configFor(c.env).resultCacheScope, c.get("principal")),
    requestId: c.get("requestId"),
    waitUntil: (promise) => c.executionCtx.waitUntil(promise),
  };
}

/**
 * An outcome of the pipeline as this request's answer: the numbers, or the container's own error envelope.
 *
 * @example
 * return answer(c, await analyseImage(c.env, config, image, analysisOptions(c)));
 */
export function answer(c: Context<AppEnv>, outcome: AnalysisOutcome): Response {
  if (!outcome.ok) return c.newResponse(outcome.body, { status: outcome.status as 503, headers: outcome.headers });
  return respond(c, outcome.result, outcome.etag, outcome);
}

/**
 * A route's answer as its declaration types it. The handlers build some answers themselves (a container's
 * own error envelope passed through, a cached result), all within the declared responses.
 */
export const declared = (response: Response) => response as never;
