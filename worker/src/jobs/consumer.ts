/**
 * The queue consumer: each message is one item of one job, analysed by the same pipeline as a single request
 * (cache first, coalescing, routing over CONTAINER_INSTANCES, the same deadlines) and recorded in its job,
 * once.
 *
 * - A delivery that fails in a way worth another try (no container, a container that died, a deadline) is
 *   retried by the queue with a growing delay; after `max_retries` it lands in the dead-letter queue, whose
 *   messages this same consumer records as failed with the last error. A job always ends.
 * - Anything else (a bad image, a refused URL) is the item's answer: recorded as failed, never retried.
 * - Batch capacity follows the instances: an invocation works on JOB_ITEMS_IN_FLIGHT_MAX items at once, and
 *   sends at most JOB_ITEMS_PER_INSTANCE of them to one instance at a time; a download or a cache hit takes no
 *   instance's place. The container puts single requests before job items (sent as `priority: "batch"`).
 * - A batch's jobs take turns: its items are started one job after another, not one job's all first.
 * - An invocation starts items for JOB_CONSUMER_BUDGET_MS only, so it always ends within a queue consumer's
 *   15 minutes; what it claimed and did not start goes back to its job (`handBack`), which sends it again.
 * - A `download_timeout` is tried twice at most: a server that is slow once may answer; one that is slow twice
 *   would only hold the queue.
 * - Every item is analysed with `hash` too (withHash), whatever the job's metrics: its perceptual hash and SHA-256
 *   are recorded with it for the job's duplicates; its result keeps `hash` only when the job asked for it.
 * - A batch's items of one job are claimed in one call to the job's Durable Object and recorded in few: each
 *   call is the Worker's own work, which is what bounds a job's pace where one thread runs the Worker
 *   (docs/BENCHMARK.md, "Batch jobs"). Once the job is cancelled, the batch's items not started are dropped.
 */
import { type AnalysisParams, type AnalysisResponse, VALID_METRICS } from "../../../contract/analysis.ts";
import { ApiError, internalError } from "../../../contract/errors.ts";
import { acceptedFormat, mediaTypeOf, SNIFF_BYTES } from "../../../contract/formats.ts";
import { elapsedMs } from "../../../contract/service.ts";
import { type AnalysisOutcome, analyseImage, analyseUrl } from "../analysis/index.ts";
import { instanceIndex } from "../analyzer/client.ts";
import { configFor, JOB_ITEMS_IN_FLIGHT_MAX, type WorkerConfig } from "../config.ts";
import { sha256Hex } from "../digest.ts";
import type { Env } from "../env.ts";
import { describeCause, log } from "../log.ts";
import type { BatchJob } from "./job.ts";
import type { Claim, ItemOutcome, JobMessage, LineError, RecordEntry } from "./messages.ts";

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

/** How many tries a `download_timeout` gets: one more than the first. */
const DOWNLOAD_TIMEOUT_TRIES = 2;

/** The queue's delay before the next try of a delivery: 2, 4, 8 … seconds, at most MAX_RETRY_DELAY_S. */
export function retryDelayS(attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_S, 2 ** Math.max(1, attempts));
}

/**
 * The parameters an item is analysed with: the job's, and `hash` (for the job's duplicates) whether the job asked
 * for it or not, in the metrics' canonical order (so the cache key is that of a request with the same metrics).
 *
 * @example
 * withHash({ metrics: ["brightness"], edgeMode: null, background: null }).metrics; // ["brightness", "hash"]
 */
export function withHash(params: AnalysisParams): AnalysisParams {
  if (params.metrics.includes("hash")) return params;
  return { ...params, metrics: VALID_METRICS.filter((m) => m === "hash" || params.metrics.includes(m)) };
}

/**
 * The analysis pipeline's outcome as a job item's outcome; `transient` when another try may succeed. The item's
 * hashes go with it; the result keeps `hash` only when the job asked for it.
 */
function itemOutcome(
  outcome: AnalysisOutcome,
  startedAt: number,
  params: AnalysisParams,
): ItemOutcome & { transient: boolean } {
  if (!outcome.ok) {
    return { ok: false, error: outcome.detail as LineError, transient: TRANSIENT_CODES.has(outcome.detail.code) };
  }
  const { hash, ...rest } = outcome.result;
  const result: AnalysisResponse = {
    ...(params.metrics.includes("hash") ? outcome.result : rest),
    cached: outcome.container === undefined,
    processing_time_ms: elapsedMs(startedAt),
  };
  const hashes = hash ? { perceptual: hash.perceptual, sha256: hash.sha256 } : undefined;
  return { ok: true, result, ...(hashes ? { hashes } : {}), transient: false };
}

/** An error thrown in the pipeline (a refused URL, a failed download) as a job item's outcome. */
function thrownOutcome(cause: unknown, requestId: string): ItemOutcome & { transient: boolean } {
  const error = cause instanceof ApiError ? cause : internalError(cause);
  const { detail } = error.toEnvelope(requestId) as { detail: LineError };
  return { ok: false, error: detail, transient: TRANSIENT_CODES.has(error.code) };
}

/**
 * At most `perInstance` container calls on one instance at once, for one invocation: the instance is the one
 * the image's hash picks (analyzer/client.ts), so capacity grows with CONTAINER_INSTANCES.
 */
class InstanceLanes {
  readonly #perInstance: number;
  readonly #instances: number;
  readonly #busy = new Map<number, number>();
  readonly #waiting = new Map<number, (() => void)[]>();

  constructor(perInstance: number, instances: number) {
    this.#perInstance = perInstance;
    this.#instances = instances;
  }

  readonly run = async <T>(sha256: string, call: () => Promise<T>): Promise<T> => {
    const instance = instanceIndex(sha256, this.#instances);
    if ((this.#busy.get(instance) ?? 0) >= this.#perInstance) {
      await new Promise<void>((resolve) => {
        const queue = this.#waiting.get(instance) ?? [];
        queue.push(resolve);
        this.#waiting.set(instance, queue);
      });
    } else {
      this.#busy.set(instance, (this.#busy.get(instance) ?? 0) + 1);
    }
    try {
      return await call();
    } finally {
      // The place passes to the next waiter of this instance, or is given up.
      const next = this.#waiting.get(instance)?.shift();
      if (next) next();
      else this.#busy.set(instance, (this.#busy.get(instance) ?? 1) - 1);
    }
  };
}

async function analyseItem(
  env: Env,
  config: WorkerConfig,
  claim: Claim,
  requestId: string,
  ctx: ExecutionContext,
  lanes: InstanceLanes,
): Promise<ItemOutcome & { transient: boolean }> {
  const startedAt = performance.now();
  const options = {
    partition: claim.partition,
    requestId,
    waitUntil: (p: Promise<unknown>) => ctx.waitUntil(p),
    priority: "batch" as const,
    lane: lanes.run,
  };
  const params = withHash(claim.params);
  try {
    const { item } = claim;
    if (item.kind === "url") {
      return itemOutcome(await analyseUrl(env, config, item.url as string, params, options), startedAt, claim.params);
    }
    // A small file came with its claim; a bigger one waits in R2.
    let bytes = item.bytes;
    let declaredType = item.mediaType ?? "";
    if (!bytes) {
      const object = await env.UPLOADS.get(item.uploadKey as string);
      if (!object) throw new ApiError(400, "empty_image", "The uploaded file is no longer stored");
      bytes = new Uint8Array(await object.arrayBuffer());
      declaredType ||= object.httpMetadata?.contentType ?? "";
    }
    const format = acceptedFormat(bytes.subarray(0, SNIFF_BYTES), declaredType);
    const file = new File([bytes], item.ref ?? "image", { type: mediaTypeOf(format) });
    // The hash taken when the job was submitted (jobs submitted before it was kept: taken now).
    const image = { file, sha256: item.sha256 ?? (await sha256Hex(bytes)), params };
    return itemOutcome(await analyseImage(env, config, image, options), startedAt, claim.params);
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

const retry = (message: Message<JobMessage>) => message.retry({ delaySeconds: retryDelayS(message.attempts) });

/**
 * Records one job's outcomes in as few calls as the pace allows: the first outcome goes at once, and those that
 * arrive while a call is under way go together in the next one. Nothing waits for company, so an item's result
 * is recorded as soon as it would be alone. `stop` turns true once the job says it was cancelled or deleted.
 */
class Recorder {
  stop = false;
  readonly #job: DurableObjectStub<BatchJob>;
  #waiting: { entry: RecordEntry; resolve: (recorded: boolean) => void; reject: (cause: unknown) => void }[] = [];
  #sending = false;

  constructor(job: DurableObjectStub<BatchJob>) {
    this.#job = job;
  }

  /** Resolves with whether this record counted (false: the item was finished already, or cancelled). */
  record(entry: RecordEntry): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ entry, resolve, reject });
      if (!this.#sending) void this.#send();
    });
  }

  async #send(): Promise<void> {
    this.#sending = true;
    while (this.#waiting.length > 0) {
      const group = this.#waiting.splice(0);
      try {
        const { recorded, stop } = await this.#job.recordMany(group.map((w) => w.entry));
        // Known before any delivery of the group goes on to its next item.
        this.stop ||= stop;
        group.forEach((w, i) => {
          w.resolve(recorded[i] === true);
        });
      } catch (cause) {
        // Each delivery of the group fails, and the queue tries it again.
        for (const w of group) w.reject(cause);
      }
    }
    this.#sending = false;
  }
}

/** A delivery with what it takes to analyse its item. */
interface Work {
  message: Message<JobMessage>;
  claim: Claim;
  recorder: Recorder;
}

/** Whether another try may cure this outcome: a transient error, and a slow server only once. */
function worthRetrying(outcome: ItemOutcome & { transient: boolean }, claim: Claim): boolean {
  if (!outcome.transient) return false;
  return outcome.ok || outcome.error.code !== "download_timeout" || claim.attempt < DOWNLOAD_TIMEOUT_TRIES;
}

/** Analyses one claimed item and records it; acknowledges the delivery, or hands it back for another try. */
async function deliver(
  work: Work,
  env: Env,
  config: WorkerConfig,
  ctx: ExecutionContext,
  lanes: InstanceLanes,
): Promise<void> {
  const { message, claim, recorder } = work;
  const { job_id: jobId, index } = message.body;
  const requestId = `${jobId}:${index}`;
  try {
    // The job was cancelled (or deleted) since the batch was claimed: its items are finished already.
    if (recorder.stop) {
      message.ack();
      return;
    }
    const outcome = await analyseItem(env, config, claim, requestId, ctx, lanes);
    if (worthRetrying(outcome, claim)) {
      if (!outcome.ok) await env.JOBS.getByName(jobId).noteFailure(index, outcome.error);
      log("warn", "job item will be retried", { request_id: requestId, attempts: message.attempts });
      retry(message);
      return;
    }
    const { transient: _transient, ...recorded } = outcome;
    await recorder.record({ index, outcome: recorded });
    // A fault here makes the queue deliver an item already recorded: its second record must change nothing.
    if (injectFault(config, message)) throw new Error("fault injected after the record (JOB_FAULT_RATE)");
    message.ack();
  } catch (cause) {
    log("warn", "job delivery failed", { request_id: requestId, cause: describeCause(cause) });
    retry(message);
  }
}

/**
 * Claims one job's deliveries of a batch in one call: the work to do, in the batch's order. A delivery whose
 * item needs nothing (finished, or its job cancelled or deleted) is acknowledged here; when the call fails,
 * every delivery is handed back to the queue.
 */
async function claimAll(jobId: string, messages: Message<JobMessage>[], env: Env, config: WorkerConfig) {
  const job = env.JOBS.getByName(jobId);
  const wanted: Message<JobMessage>[] = [];
  for (const message of messages) {
    if (injectFault(config, message)) {
      log("warn", "job delivery failed", {
        request_id: `${jobId}:${message.body.index}`,
        cause: "fault injected before the analysis (JOB_FAULT_RATE)",
      });
      retry(message);
    } else wanted.push(message);
  }
  if (wanted.length === 0) return [];
  let claims: (Claim | null)[];
  try {
    claims = await job.claimMany(wanted.map((m) => m.body.index));
  } catch (cause) {
    log("warn", "job items not claimed", { job_id: jobId, items: wanted.length, cause: describeCause(cause) });
    for (const message of wanted) retry(message);
    return [];
  }
  const recorder = new Recorder(job);
  const work: Work[] = [];
  wanted.forEach((message, i) => {
    const claim = claims[i];
    if (claim) work.push({ message, claim, recorder });
    else message.ack(); // finished already, or its job was cancelled or deleted
  });
  return work;
}

/** Runs `work` on every element, at most `limit` at once. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(lanes);
}

/** `Map.groupBy` (ES2024, beyond the Worker's ES2023 library types). */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

/** The groups' elements taking turns: the first of each group, then the second of each, and so on. */
export function takeTurns<T>(groups: readonly T[][]): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...groups.map((group) => group.length));
  for (let i = 0; i < longest; i++) for (const group of groups) if (i < group.length) out.push(group[i] as T);
  return out;
}

/**
 * Gives the claimed items an invocation had no time to start back to their jobs, which send them again, and
 * acknowledges their deliveries; a job that cannot be told gets them back through the queue's retry.
 */
async function handBackAll(unstarted: Work[], env: Env): Promise<void> {
  const byJob = groupBy(unstarted, (w) => w.message.body.job_id);
  await Promise.all(
    [...byJob].map(async ([jobId, works]) => {
      try {
        await env.JOBS.getByName(jobId).handBack(works.map((w) => w.message.body.index));
        for (const w of works) w.message.ack();
      } catch (cause) {
        log("warn", "job items not handed back", { job_id: jobId, cause: describeCause(cause) });
        for (const w of works) retry(w.message);
      }
    }),
  );
  log("info", "job items handed back: the consumer's time was up", { items: unstarted.length });
}

/**
 * The Worker's `queue` handler, for the job queue and its dead-letter queue.
 *
 * @example
 * export default { fetch, queue: consumeJobs };
 */
export async function consumeJobs(batch: MessageBatch<JobMessage>, env: Env, ctx: ExecutionContext): Promise<void> {
  const startedAt = Date.now();
  const config = configFor(env);
  if (batch.queue.endsWith("-dlq")) {
    for (const message of batch.messages) {
      await env.JOBS.getByName(message.body.job_id).giveUp(message.body.index);
      message.ack();
    }
    return;
  }
  // One claim per job in the batch, then the jobs' items in turns.
  const byJob = groupBy(batch.messages, (message) => message.body.job_id);
  const work = takeTurns(
    await Promise.all([...byJob].map(([jobId, messages]) => claimAll(jobId, messages, env, config))),
  );
  const lanes = new InstanceLanes(config.jobItemsPerInstance, config.containerInstances);
  const stopStartingAt = startedAt + config.jobConsumerBudgetMs;
  const unstarted: Work[] = [];
  await eachLimited(work, JOB_ITEMS_IN_FLIGHT_MAX, async (item) => {
    if (Date.now() >= stopStartingAt) unstarted.push(item);
    else await deliver(item, env, config, ctx, lanes);
  });
  if (unstarted.length > 0) await handBackAll(unstarted, env);
}
