/**
 * One batch job: a Durable Object (SQLite storage) that holds its items, their states and results, and is
 * the one place where an item's result is recorded, once. Its own class, with its own alarm (the container
 * Durable Object owns that one): the alarm sends items to the queue (again, if one was lost), retries the
 * webhook, and deletes the job when it expires.
 *
 * The life of an item: `create` (items `pending`) → once the key lets the job run (jobs/tenant.ts: its oldest
 * JOB_ACTIVE_JOBS_PER_KEY jobs), the job sends `{job_id, index}` to the queue (`queued`), never more than its
 * window (`jobWindow`) at once, and the next ones as items finish → the consumer claims it (`running`, for
 * JOB_ITEM_LEASE_S from the claim; nothing for an item finished, claimed by a live claim, or of a cancelled job)
 * → the analysis pipeline → records it (`succeeded` or `failed`; a second record of the same item changes
 * nothing, so a redelivered message can never count or store an item twice). The consumer claims a queue batch's
 * items in one call and records them in few (`claimMany`, `recordMany`): each call into this object is work for
 * the Worker.
 *
 * Platform faults never lose a job: the alarm is armed before anything that can fail, and each of its steps
 * (sending, the list entry, the key's budget, the webhook, the clean-up) is retried by the next alarm, never
 * left to a throw; an item is sent again only when its claim expired (its consumer died), never because it
 * waited in the queue; after JOB_ITEM_MAX_ATTEMPTS claims it is recorded as failed.
 *
 * A small uploaded file (INLINE_FILE_MAX_BYTES) is kept in its item's row rather than in R2, and handed out
 * with its claim: no R2 write, read or delete for it. Its bytes are dropped as soon as the item is finished.
 *
 * Around it: its rows and their queries (store.ts), the webhook (webhook.ts), the uploads (uploads.ts), and what
 * its callers send and get back (messages.ts).
 */
import { DurableObject } from "cloudflare:workers";
import type { AnalysisParams } from "../../../contract/analysis.ts";
import { type Duplicates, groupDuplicates, type IndexGroup } from "../../../contract/duplicates.ts";
import { ApiError } from "../../../contract/errors.ts";
import { NEAR_DUPLICATE_MAX_DISTANCE } from "../../../contract/hamming.ts";
import { JOBS_PATH, type Job, type JobResultLine } from "../../../contract/jobs.ts";
import type { AnalysisResponseBody } from "../../../contract/schemas.ts";
import { configFor, type Vars } from "../config.ts";
import { describeCause, log } from "../log.ts";
import type { Claim, JobMessage, JobSpec, LineError, RecordEntry } from "./messages.ts";
import { type ItemRow, indexKey, type JobRow, JobStore } from "./store.ts";
import type { TenantJobs } from "./tenant.ts";
import { deleteUploads } from "./uploads.ts";
import { deliverWebhook } from "./webhook.ts";

/** The most messages one `sendBatch` may carry. */
const QUEUE_BATCH_MAX = 100;
/**
 * How often an unfinished job's alarm looks at it anyway, in milliseconds: it asks its key whether it may run
 * yet, sends what a failed send left, and repairs what a failed step left. Cheap: a few reads.
 */
const JOB_CHECK_INTERVAL_MS = 60_000;
/** The first delay before an alarm whose step failed runs again, in milliseconds; it doubles, up to 5 minutes. */
const STEP_RETRY_BASE_MS = 5_000;
const STEP_RETRY_MAX_MS = 5 * 60_000;
/** How many result lines one call returns (the Worker streams page after page). */
export const RESULT_PAGE_SIZE = 200;

/** The error line of an item its job's cancellation kept from being analysed. */
function cancelledItem(index: number, job: JobRow): LineError {
  const error = new ApiError(409, "job_cancelled", "The job was cancelled before this item was analysed");
  return (error.toEnvelope(`${job.job_id}:${index}`) as { detail: LineError }).detail;
}

/** Whether two strings are equal, in time that depends on neither (a job token must not leak by timing). */
function sameText(a: string, b: string): boolean {
  const encoder = new TextEncoder();
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  return left.byteLength === right.byteLength && crypto.subtle.timingSafeEqual(left, right);
}

/**
 * The duplicates as a job keeps them: the groups' item indexes only. The items' ids are joined when they are read
 * (a thousand ids of 256 characters would not fit in a row twice).
 */
interface StoredDuplicates {
  threshold: number;
  compared: number;
  groups: IndexGroup[];
}

/** What a job that has not ended answers where its final record is asked for (its duplicates, its ZIP). */
export const UNFINISHED = "unfinished";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The bindings a job reads (env.ts's `Env` has them all; named here so that this module does not import env.ts,
 * which names this class).
 */
export interface JobBindings extends Vars {
  RESULTS: KVNamespace;
  UPLOADS: R2Bucket;
  JOB_QUEUE: Queue<JobMessage>;
  TENANTS: DurableObjectNamespace<TenantJobs>;
}

export class BatchJob extends DurableObject<JobBindings> {
  readonly #store: JobStore;
  /** Items being sent right now (marked `queued` once the send succeeded): never sent twice by two sends at once. */
  readonly #sending = new Set<number>();
  /** Alarms in a row whose steps failed: the next one waits longer. */
  #failedAlarms = 0;

  constructor(ctx: DurableObjectState, env: JobBindings) {
    super(ctx, env);
    this.#store = new JobStore(ctx.storage);
  }

  #view(job: JobRow): Job {
    const { done, succeeded, failed } = this.#store.counts();
    const self = `${JOBS_PATH}/${job.job_id}`;
    return {
      job_id: job.job_id,
      status: job.status,
      total: job.total,
      done,
      succeeded,
      failed,
      progress_percent: Math.round((done / job.total) * 1000) / 10,
      created_at: iso(job.created_at) as string,
      updated_at: iso(job.updated_at) as string,
      finished_at: iso(job.finished_at),
      expires_at: iso(job.expires_at) as string,
      links: { self, results: `${self}/results`, duplicates: `${self}/duplicates` },
    };
  }

  /**
   * The job as its owner sees it; null for anyone else, or when there is no such job. A job with an access
   * token (public deployments) also needs the token, compared in constant time.
   */
  #owned(owner: string, token: string | null | undefined): JobRow | null {
    const job = this.#store.job();
    if (!job || job.owner !== owner) return null;
    if (job.access_token === null) return job;
    return token && sameText(token, job.access_token) ? job : null;
  }

  /** The key's ledger of unfinished jobs (jobs/tenant.ts). */
  #tenant(job: JobRow) {
    return this.env.TENANTS.getByName(job.owner);
  }

  /**
   * Creates the job, or finds the one a retried submission already made. `sameRequest` false means the key
   * was used for another submission (a 409 for the caller). The job's items must already be counted against
   * its key (`TenantJobs.reserve`).
   *
   * @example
   * const { job, created } = await env.JOBS.getByName(spec.jobId).create(spec);
   */
  async create(
    spec: JobSpec,
  ): Promise<{ created: boolean; sameRequest: boolean; job: Job; accessToken: string | null }> {
    const existing = this.#store.job();
    if (existing) {
      const sameRequest = existing.owner === spec.owner && existing.fingerprint === spec.fingerprint;
      // A retried submission gets the job's token back (its first answer may have been lost); nobody else does.
      return {
        created: false,
        sameRequest,
        job: this.#view(existing),
        accessToken: sameRequest ? existing.access_token : null,
      };
    }
    const homeless = spec.items.findIndex((item) => item.kind === "upload" && !item.bytes && !item.uploadKey);
    if (homeless >= 0) throw new Error(`item ${homeless} is an upload with neither its bytes nor its R2 object`);
    const config = configFor(this.env);
    const now = Date.now();
    this.#store.create(spec, now, now + config.jobRetentionMs);
    // The alarm first: it sends the items, and repairs whatever fails from here on (the list entry below).
    await this.ctx.storage.setAlarm(now);
    await this.#listUnderOwner().catch((cause: unknown) =>
      log("warn", "job not listed yet (its alarm retries)", { job_id: spec.jobId, cause: describeCause(cause) }),
    );
    const job = this.#store.job() as JobRow;
    return { created: true, sameRequest: true, job: this.#view(job), accessToken: job.access_token };
  }

  /** Puts the job in its owner's list (`GET /v1/jobs`), once. */
  async #listUnderOwner(): Promise<void> {
    const job = this.#store.job();
    if (!job || job.indexed) return;
    const remainingS = Math.ceil((job.expires_at - Date.now()) / 1000);
    await this.env.RESULTS.put(indexKey(job.owner, job.created_at, job.job_id), job.job_id, {
      // KV's shortest expiration is 60 s; the entry of a job that expires sooner outlives it a little.
      expirationTtl: Math.max(60, remainingS),
    });
    this.#store.setFlag("indexed");
  }

  /**
   * The job for its owner, or null (never revealing that it exists to anyone else).
   *
   * @example
   * await env.JOBS.getByName(jobId).view("key:3f2a…"); // { job_id, status: "running", done: 10, … }
   */
  async view(owner: string, token?: string | null): Promise<Job | null> {
    const job = this.#owned(owner, token);
    return job ? this.#view(job) : null;
  }

  /** Whether this object holds a job (the key's ledger asks about reservations whose job it never heard of). */
  async exists(): Promise<boolean> {
    return this.#store.exists();
  }

  /**
   * Wakes the job now (its key let it run): its alarm sends its items.
   *
   * @example
   * await env.JOBS.getByName(jobId).wake();
   */
  async wake(): Promise<void> {
    const job = this.#store.job();
    if (job && (job.status === "queued" || job.status === "running")) await this.ctx.storage.setAlarm(Date.now());
  }

  /**
   * Hands items to the consumer (one call for a queue batch's items of this job), each in the order asked: a
   * claim, valid for JOB_ITEM_LEASE_S, or null for an item there is nothing to do for: finished, its job
   * cancelled, or claimed already by a claim still valid (a duplicate message: two claims of one item are never
   * valid at once). An item claimed JOB_ITEM_MAX_ATTEMPTS times already is recorded as failed instead.
   *
   * @example
   * const [claim] = await job.claimMany([7]); // { item: { kind: "url", url: "https://…" }, params, partition, attempt: 1 }
   */
  async claimMany(indexes: number[]): Promise<(Claim | null)[]> {
    const job = this.#store.job();
    if (!job || (job.status !== "queued" && job.status !== "running")) return indexes.map(() => null);
    const config = configFor(this.env);
    const now = Date.now();
    const leaseCutoff = now - config.jobItemLeaseS * 1000;
    const byIndex = new Map(this.#store.unfinishedItems(indexes).map((row) => [row.idx, row]));
    const claimed = new Map<number, ItemRow>();
    const exhausted: RecordEntry[] = [];
    for (const index of indexes) {
      const item = byIndex.get(index);
      if (!item || claimed.has(index)) continue;
      const liveClaim = item.state === "running" && (item.claimed_at ?? item.enqueued_at ?? 0) > leaseCutoff;
      if (liveClaim) continue;
      if (item.attempts >= config.jobItemMaxAttempts) {
        exhausted.push({ index, outcome: { ok: false, error: this.#lastError(job, item) } });
        continue;
      }
      claimed.set(index, item);
    }
    if (claimed.size > 0) this.#store.claim([...claimed.keys()], now, job.status === "queued");
    if (exhausted.length > 0) await this.recordMany(exhausted);
    // Parsed once for the whole call; each claim shares it (the consumer only reads it).
    const params = JSON.parse(job.params) as AnalysisParams;
    const handedOut = new Set<number>();
    return indexes.map((index) => {
      const item = claimed.get(index);
      // The same item twice in one call is one claim.
      if (!item || handedOut.has(index)) return null;
      handedOut.add(index);
      return {
        item: {
          ref: item.ref,
          source: item.source,
          kind: item.kind,
          ...(item.url ? { url: item.url } : {}),
          ...(item.upload_key ? { uploadKey: item.upload_key } : {}),
          ...(item.bytes ? { bytes: new Uint8Array(item.bytes) } : {}),
          ...(item.media_type ? { mediaType: item.media_type } : {}),
          ...(item.sha256 ? { sha256: item.sha256 } : {}),
        },
        params,
        partition: job.partition,
        attempt: item.attempts + 1,
      };
    });
  }

  /** The error an item ends with when its attempts are used up: its last attempt's, or a 503 in words. */
  #lastError(job: JobRow, item: ItemRow): LineError {
    if (item.error) return JSON.parse(item.error) as LineError;
    const error = new ApiError(
      503,
      "container_unavailable",
      `The image could not be analysed in ${item.attempts} attempts; submit it again later`,
    );
    return (error.toEnvelope(`${job.job_id}:${item.idx}`) as { detail: LineError }).detail;
  }

  /**
   * The job's analysis parameters, which decide its CSV's columns (contract/result-columns.ts); null for anyone
   * but its owner.
   *
   * @example
   * await job.params("key:3f2a…"); // { metrics: ["colors"], edgeMode: null, background: null, colors: 3 }
   */
  async params(owner: string, token?: string | null): Promise<AnalysisParams | null> {
    const job = this.#owned(owner, token);
    return job ? (JSON.parse(job.params) as AnalysisParams) : null;
  }

  /**
   * An attempt failed in a way another may cure, and the queue will deliver the item again: its claim ends now
   * (so the redelivery can claim it), and its error is kept for the record if no attempt succeeds.
   */
  async noteFailure(index: number, error: LineError): Promise<void> {
    if (!this.#store.exists()) return;
    this.#store.noteFailure(index, error);
  }

  /**
   * Items a consumer claimed and never started (its invocation's time ran out): they go back to be sent again,
   * their claims ended and not counted as attempts.
   *
   * @example
   * await job.handBack([40, 41]);
   */
  async handBack(indexes: number[]): Promise<void> {
    if (!this.#store.exists()) return;
    this.#store.handBack(indexes);
    this.#sendMore();
  }

  /**
   * Records an item the queue gave up on (it reached the dead-letter queue) as failed, with its last
   * attempt's error: a job always ends.
   *
   * @example
   * await job.giveUp(7); // true
   */
  async giveUp(index: number): Promise<boolean> {
    const job = this.#store.job();
    if (!job) return false;
    const item = this.#store.item(index);
    if (!item) return false;
    const entry = { index, outcome: { ok: false as const, error: this.#lastError(job, item) } };
    return (await this.recordMany([entry])).recorded[0] === true;
  }

  /**
   * Records items' outcomes, each once: an item already finished keeps its first outcome (false in
   * `recorded`). Each record makes room in the job's window for the next item to be sent. The last item's
   * record ends the job. `stop` says the job was cancelled or deleted: the consumer starts none of its items
   * any more.
   *
   * @example
   * await job.recordMany([{ index: 7, outcome: { ok: true, result } }]); // { recorded: [true], stop: false }
   */
  async recordMany(entries: RecordEntry[]): Promise<{ recorded: boolean[]; stop: boolean }> {
    const job = this.#store.job();
    if (!job) return { recorded: entries.map(() => false), stop: true };
    // Only an unfinished item changes: a second record of the same item writes nothing.
    const recorded = entries.map(({ index, outcome }) => this.#store.record(index, outcome));
    if (recorded.includes(true)) {
      const now = Date.now();
      this.#store.touch(now);
      if (job.status !== "cancelled" && this.#store.counts().done === job.total) await this.#finish("succeeded", now);
      else this.#sendMore();
    }
    return { recorded, stop: job.status === "cancelled" };
  }

  async #finish(status: "succeeded" | "cancelled", now: number): Promise<void> {
    this.#store.finish(status, now);
    const job = this.#store.job() as JobRow;
    log("info", "job finished", { job_id: job.job_id, status, total: job.total });
    // Grouped once, now that every item is final; one that fails here is grouped when first read.
    try {
      const startedAt = performance.now();
      const { groups, compared } = this.#groupDuplicates();
      log("info", "job duplicates grouped", {
        job_id: job.job_id,
        compared,
        groups: groups.length,
        ms: Math.round((performance.now() - startedAt) * 10) / 10,
      });
    } catch (cause) {
      log("warn", "job duplicates not grouped yet (grouped when read)", {
        job_id: job.job_id,
        cause: describeCause(cause),
      });
    }
    // One listing and one delete for all of them, rather than a delete per item on the way. One that fails
    // leaves them to the expiry's delete, and to the bucket's lifecycle rule.
    this.ctx.waitUntil(
      deleteUploads(this.env.UPLOADS, job.job_id).catch((cause: unknown) =>
        log("warn", "job uploads not deleted yet", { job_id: job.job_id, cause: describeCause(cause) }),
      ),
    );
    if (job.callback_url) this.#store.webhookDue(now);
    // The key's budget and its next job, now; the alarm tries again if this fails.
    await this.#release().catch((cause: unknown) =>
      log("warn", "job's items not released from its key yet", { job_id: job.job_id, cause: describeCause(cause) }),
    );
    await this.#schedule();
  }

  /** Tells the key's ledger the job has ended: its items stop counting, and its next job may run. */
  async #release(): Promise<void> {
    const job = this.#store.job();
    if (!job || job.released) return;
    await this.#tenant(job).release(job.job_id, configFor(this.env).jobActiveJobsPerKey);
    this.#store.setFlag("released");
  }

  /**
   * A page of finished items' lines, in item order, from `after` (exclusive); `next` is where the next page
   * starts, or null at the end.
   *
   * @example
   * const { lines, next } = await job.results("key:3f2a…", -1);
   */
  async results(
    owner: string,
    after: number,
    token?: string | null,
  ): Promise<{ lines: JobResultLine[]; next: number | null } | null> {
    const job = this.#owned(owner, token);
    if (!job) return null;
    const rows = this.#store.finishedItems(after, RESULT_PAGE_SIZE);
    const lines = rows.map((row): JobResultLine => {
      const base = { index: row.idx, id: row.ref, source: row.source };
      if (row.state === "succeeded") {
        return { ...base, status: "succeeded", result: JSON.parse(row.result as string) as AnalysisResponseBody };
      }
      if (row.state === "cancelled") return { ...base, status: "cancelled", error: cancelledItem(row.idx, job) };
      return { ...base, status: "failed", error: JSON.parse(row.error as string) as LineError };
    });
    const last = rows.at(-1);
    return { lines, next: rows.length === RESULT_PAGE_SIZE && last ? last.idx : null };
  }

  /** Groups the items' hashes (contract/duplicates.ts) and keeps the groups. */
  #groupDuplicates(): StoredDuplicates {
    const items = this.#store.hashedItems();
    const stored: StoredDuplicates = {
      threshold: NEAR_DUPLICATE_MAX_DISTANCE,
      compared: items.length,
      groups: groupDuplicates(items, NEAR_DUPLICATE_MAX_DISTANCE),
    };
    this.#store.setDuplicates(JSON.stringify(stored));
    return stored;
  }

  /** The finished job's duplicates, its items' ids joined. */
  #duplicates(job: JobRow): Duplicates {
    const stored = job.duplicates ? (JSON.parse(job.duplicates) as StoredDuplicates) : this.#groupDuplicates();
    const ids = this.#store.refs([...new Set(stored.groups.flatMap((group) => group.indexes))]);
    return {
      groups: stored.groups.map((group) => ({
        kind: group.kind,
        items: group.indexes.map((index) => ({ index, id: ids.get(index) ?? null })),
        max_distance: group.max_distance,
      })),
      threshold: stored.threshold,
      compared: stored.compared,
    };
  }

  /**
   * The job's exact and near duplicates (contract/duplicates.ts), grouped when it ended; `UNFINISHED` while it
   * runs; null for anyone but its owner.
   *
   * @example
   * await job.duplicates("key:3f2a…"); // { groups: [{ kind: "exact", items: [{ index: 0, id: "a.jpg" }, …], max_distance: 0 }], … }
   */
  async duplicates(owner: string, token?: string | null): Promise<Duplicates | typeof UNFINISHED | null> {
    const job = this.#owned(owner, token);
    if (!job) return null;
    if (job.status === "queued" || job.status === "running") return UNFINISHED;
    return this.#duplicates(job);
  }

  /**
   * What a finished job's ZIP holds besides its results (results.ts `jobArchive`): the job, its parameters and its
   * duplicates; `UNFINISHED` while it runs; null for anyone but its owner.
   *
   * @example
   * await job.archive("key:3f2a…"); // { job: { status: "succeeded", … }, params: { metrics: ["brightness"], … }, duplicates }
   */
  async archive(
    owner: string,
    token?: string | null,
  ): Promise<{ job: Job; params: AnalysisParams; duplicates: Duplicates } | typeof UNFINISHED | null> {
    const job = this.#owned(owner, token);
    if (!job) return null;
    if (job.status === "queued" || job.status === "running") return UNFINISHED;
    return {
      job: this.#view(job),
      params: JSON.parse(job.params) as AnalysisParams,
      duplicates: this.#duplicates(job),
    };
  }

  /**
   * Cancels a queued or running job: every item not finished yet ends as cancelled, at once (the job's counts
   * and results are final from here), and the consumer starts none of them any more (`recordMany` says `stop`,
   * `claimMany` hands out nothing). A job already finished is left as it is (its owner deletes it with
   * `remove`).
   *
   * @example
   * await job.cancel("key:3f2a…"); // { status: "cancelled", … }
   */
  async cancel(owner: string, token?: string | null): Promise<Job | null> {
    const job = this.#owned(owner, token);
    if (!job) return null;
    if (job.status === "queued" || job.status === "running") {
      const now = Date.now();
      // Claimed items too: the consumer claims a batch ahead of analysing it, and drops what it has not started.
      this.#store.cancelUnfinished();
      await this.#finish("cancelled", now);
    }
    return this.#view(this.#store.job() as JobRow);
  }

  /**
   * Deletes the job now: its rows, its uploads and its place in the owner's list.
   *
   * @example
   * await job.remove("key:3f2a…"); // true
   */
  async remove(owner: string, token?: string | null): Promise<boolean> {
    if (!this.#owned(owner, token)) return false;
    await this.#destroy();
    return true;
  }

  /**
   * Deletes the job: its uploads, its list entry and its place in its key's budget, each tried once (what fails
   * is logged and left to R2's lifecycle rule, KV's expiry and the ledger's check), then its rows, always: a
   * failing binding never keeps a job past its expiry.
   */
  async #destroy(): Promise<void> {
    const job = this.#store.job();
    if (job) {
      const steps: Array<[string, () => Promise<unknown>]> = [
        ["uploads", () => deleteUploads(this.env.UPLOADS, job.job_id)],
        ["list entry", () => this.env.RESULTS.delete(indexKey(job.owner, job.created_at, job.job_id))],
        ["key's budget", () => this.#release()],
      ];
      for (const [what, step] of steps) {
        await step().catch((cause: unknown) =>
          log("warn", `job's ${what} not deleted`, { job_id: job.job_id, cause: describeCause(cause) }),
        );
      }
      log("info", "job deleted", { job_id: job.job_id });
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#store.forget();
  }

  /**
   * Sends items to the queue while the job's window has room, once its key lets it run. An item is sent when it
   * was never sent, was handed back, or its claim expired (its consumer died): never because it waited in the
   * queue, however long the queue is.
   */
  async #send(now: number): Promise<void> {
    const job = this.#store.job();
    if (!job || (job.status !== "queued" && job.status !== "running")) return;
    const config = configFor(this.env);
    if (!job.admitted) {
      if (!(await this.#tenant(job).mayRun(job.job_id, config.jobActiveJobsPerKey))) return;
      this.#store.setFlag("admitted");
    }
    // A claim that outlived its lease belongs to a consumer that died: the item is sent again.
    const expired = this.#store.expireClaims(now - config.jobItemLeaseS * 1000);
    if (expired > 0) log("warn", "job item claims expired", { job_id: job.job_id, items: expired });
    const { inFlight, pending } = this.#store.sendCounts();
    const room = config.jobWindow - inFlight - this.#sending.size;
    if (room <= 0) return;
    // Sent half a window at a time (or the last ones): a send per finished item would make a queue batch, and so
    // a consumer invocation with its claim call, of one or two items each.
    if (room < Math.ceil(config.jobWindow / 2) && room < pending - this.#sending.size) return;
    const due = this.#store.pendingItems([...this.#sending], room);
    for (const idx of due) this.#sending.add(idx);
    try {
      for (let i = 0; i < due.length; i += QUEUE_BATCH_MAX) {
        const chunk = due.slice(i, i + QUEUE_BATCH_MAX);
        await this.env.JOB_QUEUE.sendBatch(chunk.map((index) => ({ body: { job_id: job.job_id, index } })));
        // Marked after the send: a send that fails leaves them pending, and the next try sends them.
        this.#store.markQueued(chunk, now);
      }
    } finally {
      for (const idx of due) this.#sending.delete(idx);
    }
    if (due.length > 0) log("info", "job items queued", { job_id: job.job_id, items: due.length });
  }

  /** Fills the window after a record, without holding up the caller; a failed send is retried by the alarm soon. */
  #sendMore(): void {
    this.ctx.waitUntil(
      this.#send(Date.now()).catch(async (cause: unknown) => {
        log("warn", "job items not sent yet", { job_id: this.#store.job()?.job_id, cause: describeCause(cause) });
        await this.ctx.storage.setAlarm(Date.now() + STEP_RETRY_BASE_MS);
      }),
    );
  }

  /** Tries the webhook when due (webhook.ts); a failed try is tried again later, with exponential backoff. */
  async #deliverWebhook(now: number): Promise<void> {
    const job = this.#store.job();
    if (!job?.callback_url || job.webhook_next_at === null || job.webhook_next_at > now) return;
    const target = {
      jobId: job.job_id,
      owner: job.owner,
      callbackUrl: job.callback_url,
      attempts: job.webhook_attempts,
    };
    const { attempts, nextAt } = await deliverWebhook(target, () => this.#view(job), configFor(this.env), now);
    this.#store.webhookTried(attempts, nextAt);
  }

  /**
   * The next alarm: the earliest of expiry, the next webhook try, and, while the job is unfinished, the first
   * claim to expire or the regular look (JOB_CHECK_INTERVAL_MS); a finished job whose list entry or release is
   * still owed looks again too.
   */
  async #schedule(): Promise<void> {
    const job = this.#store.job();
    if (!job) return;
    const now = Date.now();
    const times = [job.expires_at];
    if (job.webhook_next_at !== null) times.push(job.webhook_next_at);
    const unfinished = job.status === "queued" || job.status === "running";
    if (unfinished || !job.indexed || !job.released) times.push(now + JOB_CHECK_INTERVAL_MS);
    if (unfinished) {
      const first = this.#store.firstClaimAt();
      if (first !== null) times.push(first + configFor(this.env).jobItemLeaseS * 1000 + 1);
    }
    await this.ctx.storage.setAlarm(Math.max(now, Math.min(...times)));
  }

  override async alarm(): Promise<void> {
    const job = this.#store.job();
    if (!job) return;
    const now = Date.now();
    // Armed before anything that can fail: a thrown alarm is retried only a few times, this one for ever.
    const retryMs = Math.min(STEP_RETRY_MAX_MS, STEP_RETRY_BASE_MS * 2 ** this.#failedAlarms);
    await this.ctx.storage.setAlarm(now + retryMs);
    if (now >= job.expires_at) {
      await this.#destroy();
      return;
    }
    const steps: Array<[string, () => Promise<void>]> = [
      ["list entry", () => this.#listUnderOwner()],
      ["send", () => this.#send(now)],
      ["release", () => (job.status === "queued" || job.status === "running" ? Promise.resolve() : this.#release())],
      ["webhook", () => this.#deliverWebhook(now)],
    ];
    let failed = false;
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (cause) {
        failed = true;
        log("warn", "job step failed, retried by the next alarm", {
          job_id: job.job_id,
          step: what,
          retry_in_ms: retryMs,
          cause: describeCause(cause),
        });
      }
    }
    this.#failedAlarms = failed ? this.#failedAlarms + 1 : 0;
    if (!failed) await this.#schedule();
  }
}
