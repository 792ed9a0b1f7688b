/**
 * The queue consumer: each message is one item of one job, analysed on the same road as a single request
 * (cache first, coalescing, routing over CONTAINER_INSTANCES, the same deadlines) and recorded in its job,
 * once.
 *
 * - A delivery that fails in a way worth another try (no container, a container that died, a deadline) is
 *   retried by the queue with a growing delay; after `max_retries` it lands in the dead-letter queue, whose
 *   messages this same consumer records as failed with the last error. A job always ends.
 * - Anything else (a bad image, a refused URL) is the item's answer: recorded as failed, never retried.
 * - At most JOB_CONSUMER_CONCURRENCY items of a batch at once (and `max_concurrency` batches, wrangler.toml),
 *   so a big job leaves room for single requests.
 */
import type { AnalysisResponse } from "../../../contract/analysis.ts";
import { ApiError, internalError } from "../../../contract/errors.ts";
import { acceptedFormat, mediaTypeOf, SNIFF_BYTES } from "../../../contract/formats.ts";
import { analyseImage, analyseUrl, type Outcome } from "../analysis/index.ts";
import { configFor, type Env, type WorkerConfig } from "../config.ts";
import { sha256Hex } from "../digest.ts";
import { describeCause, log } from "../log.ts";
import type { Claim, ItemOutcome, JobMessage } from "./index.ts";

/** The longest delay before a failed delivery is tried again, in seconds. */
const MAX_RETRY_DELAY_S = 60;
/** Error codes that another try may cure: the container or the network, not the image. */
const TRANSIENT_CODES = new Set([
  "container_unavailable",
  "container_failed",
  "container_timeout",
  "overloaded",
  "download_timeout",
  "internal_error",
]);

/** The queue's delay before the next try of a delivery: 2, 4, 8 … seconds, at most MAX_RETRY_DELAY_S. */
export function retryDelayS(attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_S, 2 ** Math.max(1, attempts));
}

type LineError = Extract<ItemOutcome, { ok: false }>["error"];

/** The outcome of the road as a job item's outcome; `transient` when another try may succeed. */
function itemOutcome(outcome: Outcome, startedAt: number): ItemOutcome & { transient: boolean } {
  if (!outcome.ok) {
    return { ok: false, error: outcome.detail as LineError, transient: TRANSIENT_CODES.has(outcome.detail.code) };
  }
  const result: AnalysisResponse = {
    ...outcome.result,
    cached: outcome.container === undefined,
    processing_time_ms: Math.round((performance.now() - startedAt) * 10) / 10,
  };
  return { ok: true, result, transient: false };
}

/** An error thrown on the road (a refused URL, a failed download) as a job item's outcome. */
function thrownOutcome(cause: unknown, requestId: string): ItemOutcome & { transient: boolean } {
  const error = cause instanceof ApiError ? cause : internalError(cause);
  const { detail } = error.toEnvelope(requestId) as { detail: LineError };
  return { ok: false, error: detail, transient: TRANSIENT_CODES.has(error.code) };
}

async function analyseItem(
  env: Env,
  config: WorkerConfig,
  claim: Claim,
  requestId: string,
  ctx: ExecutionContext,
): Promise<ItemOutcome & { transient: boolean }> {
  const startedAt = performance.now();
  const road = { partition: claim.partition, requestId, waitUntil: (p: Promise<unknown>) => ctx.waitUntil(p) };
  try {
    if (claim.item.kind === "url") {
      return itemOutcome(await analyseUrl(env, config, claim.item.url as string, claim.params, road), startedAt);
    }
    const object = await env.UPLOADS.get(claim.item.uploadKey as string);
    if (!object) throw new ApiError(400, "empty_image", "The uploaded file is no longer stored");
    const bytes = new Uint8Array(await object.arrayBuffer());
    const format = acceptedFormat(bytes.subarray(0, SNIFF_BYTES), object.httpMetadata?.contentType ?? "");
    const file = new File([bytes], claim.item.ref ?? "image", { type: mediaTypeOf(format) });
    const image = { file, sha256: await sha256Hex(bytes), params: claim.params };
    return itemOutcome(await analyseImage(env, config, image, road), startedAt);
  } catch (cause) {
    return thrownOutcome(cause, requestId);
  }
}

/**
 * Whether to fail this delivery on purpose (JOB_FAULT_RATE, tests only: refused in production). Only a first
 * delivery is failed, so the faults exercise redelivery without using up an item's retries.
 */
const injectFault = (config: WorkerConfig, message: Message<JobMessage>) =>
  config.jobFaultRate > 0 && message.attempts === 1 && Math.random() < config.jobFaultRate;

async function deliver(message: Message<JobMessage>, env: Env, config: WorkerConfig, ctx: ExecutionContext) {
  const { job_id: jobId, index } = message.body;
  const job = env.JOBS.getByName(jobId);
  const requestId = `${jobId}:${index}`;
  try {
    if (injectFault(config, message)) throw new Error("fault injected before the analysis (JOB_FAULT_RATE)");
    const claim = await job.claim(index);
    if (!claim) {
      message.ack(); // finished already, or its job was cancelled or deleted
      return;
    }
    const outcome = await analyseItem(env, config, claim, requestId, ctx);
    if (outcome.transient) {
      if (!outcome.ok) await job.noteFailure(index, outcome.error);
      log("warn", "job item will be retried", { request_id: requestId, attempts: message.attempts });
      message.retry({ delaySeconds: retryDelayS(message.attempts) });
      return;
    }
    const { transient: _transient, ...recorded } = outcome;
    await job.record(index, recorded);
    // A fault here makes the queue deliver an item already recorded: its second record must change nothing.
    if (injectFault(config, message)) throw new Error("fault injected after the record (JOB_FAULT_RATE)");
    message.ack();
  } catch (cause) {
    log("warn", "job delivery failed", { request_id: requestId, cause: describeCause(cause) });
    message.retry({ delaySeconds: retryDelayS(message.attempts) });
  }
}

/** Runs `work` on every element, at most `limit` at once. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(lanes);
}

/**
 * The Worker's `queue` handler, for the job queue and its dead-letter queue.
 *
 * @example
 * export default { fetch, queue: consumeJobs };
 */
export async function consumeJobs(batch: MessageBatch<JobMessage>, env: Env, ctx: ExecutionContext): Promise<void> {
  const config = configFor(env);
  if (batch.queue.endsWith("-dlq")) {
    for (const message of batch.messages) {
      await env.JOBS.getByName(message.body.job_id).giveUp(message.body.index);
      message.ack();
    }
    return;
  }
  await eachLimited(batch.messages, config.jobConsumerConcurrency, (message) => deliver(message, env, config, ctx));
}
