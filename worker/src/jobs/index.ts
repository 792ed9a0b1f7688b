/**
 * One batch job: a Durable Object (SQLite storage) that holds its items, their states and results, and is
 * the one place where an item's result is recorded, once. Its own class, with its own alarm (the container
 * Durable Object owns that one): the alarm sends items to the queue (again, if one was lost), retries the
 * webhook, and deletes the job when it expires.
 *
 * The road of an item: `create` (items `pending`) → alarm sends `{job_id, index}` to the queue → the consumer
 * claims it (`running`; nothing for an item already finished or a cancelled job) → the single-image road →
 * records it (`succeeded` or `failed`; a second record of the same item changes nothing, so a redelivered
 * message can never count or store an item twice). The consumer claims a queue batch's items in one call and
 * records them in few (`claimMany`, `recordMany`): each call into this object is work for the Worker.
 *
 * A small uploaded file (INLINE_FILE_MAX_BYTES) is kept in its item's row rather than in R2, and handed out
 * with its claim: no R2 write, read or delete for it. Its bytes are dropped as soon as the item is finished.
 */
import { DurableObject } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import type { AnalysisParams } from "../../../contract/analysis.ts";
import { ApiError } from "../../../contract/errors.ts";
import { JOBS_PATH, type Job, type JobResultLine, type JobStatus } from "../../../contract/jobs.ts";
import type { AnalysisResponseBody } from "../../../contract/schemas.ts";
import { configFor, type Env } from "../config.ts";
import { describeCause, log } from "../log.ts";
import { checkSourceUrl, resolvePublic } from "../ssrf/index.ts";

/** What the queue carries: one item of one job. */
export interface JobMessage {
  job_id: string;
  index: number;
}

export interface JobItemSpec {
  /** The caller's reference (or the file's name), or null. */
  ref: string | null;
  /** The URL, or `upload:<file name>`. */
  source: string;
  kind: "url" | "upload";
  url?: string;
  /** The R2 key of an uploaded file kept in R2. */
  uploadKey?: string;
  /** A small uploaded file's bytes, kept in the item's row (INLINE_FILE_MAX_BYTES). */
  bytes?: Uint8Array;
  /** An uploaded file's media type, from its magic bytes (checked when the job was submitted). */
  mediaType?: string;
  /** An uploaded file's SHA-256 (hex), computed when the job was submitted. */
  sha256?: string;
}

export interface JobSpec {
  jobId: string;
  /** Who may see the job: the principal's `kind:id` (auth/index.ts). */
  owner: string;
  /** SHA-256 of the submission (items and parameters), to tell a retried submission from another one. */
  fingerprint: string;
  params: AnalysisParams;
  /** The result cache partition of the owner (RESULT_CACHE_SCOPE). */
  partition: string;
  callbackUrl: string | null;
  items: JobItemSpec[];
}

/** What the consumer needs to analyse one item. */
export interface Claim {
  item: JobItemSpec;
  params: AnalysisParams;
  partition: string;
  /** How many times this item has been claimed, this one included. */
  attempt: number;
}

export type ItemOutcome = { ok: true; result: AnalysisResponseBody } | { ok: false; error: LineError };

/** One item's outcome, for `recordMany`. */
export interface RecordEntry {
  index: number;
  outcome: ItemOutcome;
}

type ItemState = "pending" | "running" | "succeeded" | "failed" | "cancelled";

/** The items' columns for uploaded files' checked facts and small files' bytes (added after the first release). */
const INLINE_COLUMNS = ["media_type TEXT", "sha256 TEXT", "bytes BLOB"];

/** R2 keys of a job's uploads start with this. */
export const uploadPrefix = (jobId: string) => `jobs/${jobId}/`;
/** The KV key that lists a job under its owner, newest first (keys sort by inverted creation time). */
export const indexKey = (owner: string, createdAt: number, jobId: string) =>
  `job-index:${owner}:${String(Number.MAX_SAFE_INTEGER - createdAt).padStart(16, "0")}:${jobId}`;

/**
 * The largest uploaded file kept in its item's row instead of R2, in bytes. A claim carries the bytes of a
 * queue batch's items (at most 100 on Cloudflare), so 100 × this stays well under a Durable Object call's
 * 32 MiB; a SQLite row may hold 2 MB.
 */
export const INLINE_FILE_MAX_BYTES = 128 * 1024;
/**
 * The most bytes of small files one job keeps in its rows, in bytes: they travel in the one call that creates
 * the job (a Durable Object call carries at most 32 MiB) and sit in the Worker's memory until then. The files
 * beyond go to R2.
 */
export const INLINE_JOB_MAX_BYTES = 16 * 1024 * 1024;

/** The most messages one `sendBatch` may carry. */
const QUEUE_BATCH_MAX = 100;
/** How long one webhook delivery may take, in milliseconds. */
const WEBHOOK_TIMEOUT_MS = 10_000;
/** How many result lines one call returns (the Worker streams page after page). */
export const RESULT_PAGE_SIZE = 200;

/** The error line of an item its job's cancellation kept from being analysed. */
function cancelledItem(index: number, job: JobRow): LineError {
  const error = new ApiError(409, "job_cancelled", "The job was cancelled before this item was analysed");
  return (error.toEnvelope(`${job.job_id}:${index}`) as { detail: LineError }).detail;
}

/** The `error` of a result line: an error envelope's `detail`. */
type LineError = Extract<JobResultLine, { status: "failed" | "cancelled" }>["error"];

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

interface JobRow {
  job_id: string;
  owner: string;
  fingerprint: string;
  params: string;
  partition: string;
  callback_url: string | null;
  status: JobStatus;
  total: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  expires_at: number;
  webhook_attempts: number;
  webhook_next_at: number | null;
  [key: string]: SqlStorageValue;
}

interface ItemRow {
  idx: number;
  ref: string | null;
  source: string;
  kind: "url" | "upload";
  url: string | null;
  upload_key: string | null;
  media_type: string | null;
  sha256: string | null;
  bytes: ArrayBuffer | null;
  state: ItemState;
  enqueued_at: number | null;
  attempts: number;
  result: string | null;
  error: string | null;
  [key: string]: SqlStorageValue;
}

/** How many items are finished, and how. */
interface Tally {
  done: number;
  succeeded: number;
  failed: number;
}

export class BatchJob extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  #tablesExist = false;
  /** The counts of `#counts`, or null until they are next read from the rows. */
  #tally: Tally | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
  }

  /**
   * Whether this object holds a job. Asking about an ID that was never created writes nothing: the tables are
   * made by `create` only.
   */
  #exists(): boolean {
    // Once the tables are there they stay until `#destroy`, which forgets this: asked once per instance.
    if (this.#tablesExist) return true;
    if (this.#sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'job'").toArray().length === 0) {
      return false;
    }
    this.#upgrade();
    this.#tablesExist = true;
    return true;
  }

  #migrate(): void {
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS job (
      one INTEGER PRIMARY KEY CHECK (one = 1), job_id TEXT NOT NULL, owner TEXT NOT NULL, fingerprint TEXT NOT NULL,
      params TEXT NOT NULL, partition TEXT NOT NULL, callback_url TEXT, status TEXT NOT NULL, total INTEGER NOT NULL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER, expires_at INTEGER NOT NULL,
      webhook_attempts INTEGER NOT NULL DEFAULT 0, webhook_next_at INTEGER)`);
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS items (
      idx INTEGER PRIMARY KEY, ref TEXT, source TEXT NOT NULL, kind TEXT NOT NULL, url TEXT, upload_key TEXT,
      state TEXT NOT NULL, enqueued_at INTEGER, attempts INTEGER NOT NULL DEFAULT 0, result TEXT, error TEXT,
      ${INLINE_COLUMNS.join(", ")})`);
  }

  /** A job created before small files were kept in its rows gets their columns (empty: its files are in R2). */
  #upgrade(): void {
    const columns = this.#sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('items')").toArray();
    if (columns.some((c) => c.name === "bytes")) return;
    for (const column of INLINE_COLUMNS) this.#sql.exec(`ALTER TABLE items ADD COLUMN ${column}`);
  }

  #job(): JobRow | null {
    if (!this.#exists()) return null;
    return this.#sql.exec<JobRow>("SELECT * FROM job").toArray()[0] ?? null;
  }

  /**
   * The items' counts: taken from the rows once per instance, then kept up to date by `recordMany` (this object
   * is the only writer of its rows). Counting the rows on every record made a 1,000-item job's records
   * quadratic, and was most of this object's own work per item.
   */
  #counts(): Tally {
    if (!this.#tally) {
      const row = this.#sql
        .exec<{ done: number; succeeded: number; failed: number }>(
          `SELECT SUM(state IN ('succeeded','failed','cancelled')) AS done, SUM(state = 'succeeded') AS succeeded,
           SUM(state = 'failed') AS failed FROM items`,
        )
        .one();
      this.#tally = { done: row.done ?? 0, succeeded: row.succeeded ?? 0, failed: row.failed ?? 0 };
    }
    return this.#tally;
  }

  #view(job: JobRow): Job {
    const { done, succeeded, failed } = this.#counts();
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
      links: { self, results: `${self}/results` },
    };
  }

  /** The job as its owner sees it; null for anyone else, or when there is no such job. */
  #owned(owner: string): JobRow | null {
    const job = this.#job();
    return job && job.owner === owner ? job : null;
  }

  /**
   * Creates the job, or finds the one a retried submission already made. `sameRequest` false means the key
   * was used for another submission (a 409 for the caller).
   *
   * @example
   * const { job, created } = await env.JOBS.getByName(spec.jobId).create(spec);
   */
  async create(spec: JobSpec): Promise<{ created: boolean; sameRequest: boolean; job: Job }> {
    const existing = this.#job();
    if (existing) {
      return {
        created: false,
        sameRequest: existing.owner === spec.owner && existing.fingerprint === spec.fingerprint,
        job: this.#view(existing),
      };
    }
    const config = configFor(this.env);
    const now = Date.now();
    const expiresAt = now + config.jobRetentionMs;
    this.ctx.storage.transactionSync(() => {
      this.#migrate();
      this.#sql.exec(
        `INSERT INTO job (one, job_id, owner, fingerprint, params, partition, callback_url, status, total, created_at,
         updated_at, expires_at) VALUES (1, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)`,
        spec.jobId,
        spec.owner,
        spec.fingerprint,
        JSON.stringify(spec.params),
        spec.partition,
        spec.callbackUrl,
        spec.items.length,
        now,
        now,
        expiresAt,
      );
      spec.items.forEach((item, idx) => {
        this.#sql.exec(
          `INSERT INTO items (idx, ref, source, kind, url, upload_key, media_type, sha256, bytes, state)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
          idx,
          item.ref,
          item.source,
          item.kind,
          item.url ?? null,
          item.uploadKey ?? null,
          item.mediaType ?? null,
          item.sha256 ?? null,
          item.bytes ? item.bytes.slice().buffer : null,
        );
      });
    });
    await this.env.RESULTS.put(indexKey(spec.owner, now, spec.jobId), spec.jobId, {
      expirationTtl: Math.ceil(config.jobRetentionMs / 1000),
    });
    // The alarm sends the items to the queue: if sending fails half-way, the alarm runs again.
    await this.ctx.storage.setAlarm(now);
    const job = this.#job() as JobRow;
    return { created: true, sameRequest: true, job: this.#view(job) };
  }

  /**
   * The job for its owner, or null (never revealing that it exists to anyone else).
   *
   * @example
   * await env.JOBS.getByName(jobId).view("key:3f2a…"); // { job_id, status: "running", done: 10, … }
   */
  async view(owner: string): Promise<Job | null> {
    const job = this.#owned(owner);
    return job ? this.#view(job) : null;
  }

  /**
   * Hands items to the consumer (one call for a queue batch's items of this job), each in the order asked: a
   * claim, or null for an item that is finished or whose job was cancelled (nothing to do).
   *
   * @example
   * const [claim] = await job.claimMany([7]); // { item: { kind: "url", url: "https://…" }, params, partition, attempt: 1 }
   */
  async claimMany(indexes: number[]): Promise<(Claim | null)[]> {
    const job = this.#job();
    if (!job || job.status === "cancelled") return indexes.map(() => null);
    const wanted = JSON.stringify(indexes);
    const rows = this.#sql
      .exec<ItemRow>(
        `SELECT * FROM items WHERE idx IN (SELECT value FROM json_each(?)) AND state IN ('pending','running')`,
        wanted,
      )
      .toArray();
    if (rows.length === 0) return indexes.map(() => null);
    this.#sql.exec(
      `UPDATE items SET state = 'running', attempts = attempts + 1
       WHERE idx IN (SELECT DISTINCT value FROM json_each(?)) AND state IN ('pending','running')`,
      wanted,
    );
    if (job.status === "queued") this.#sql.exec("UPDATE job SET status = 'running', updated_at = ?", Date.now());
    // Parsed once for the whole call; each claim shares it (the consumer only reads it).
    const params = JSON.parse(job.params) as AnalysisParams;
    const byIndex = new Map(rows.map((row) => [row.idx, row]));
    return indexes.map((index) => {
      const item = byIndex.get(index);
      if (!item) return null;
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

  /**
   * The job's analysis parameters, which decide its CSV's columns (contract/result-columns.ts); null for anyone
   * but its owner.
   *
   * @example
   * await job.params("key:3f2a…"); // { metrics: ["colors"], edgeMode: null, background: null, colors: 3 }
   */
  async params(owner: string): Promise<AnalysisParams | null> {
    const job = this.#owned(owner);
    return job ? (JSON.parse(job.params) as AnalysisParams) : null;
  }

  /** Keeps the error of an attempt that will be retried, for the dead-letter queue to record if none succeeds. */
  async noteFailure(index: number, error: LineError): Promise<void> {
    if (!this.#exists()) return;
    this.#sql.exec("UPDATE items SET error = ? WHERE idx = ? AND state = 'running'", JSON.stringify(error), index);
  }

  /**
   * Records an item the queue gave up on (it reached the dead-letter queue) as failed, with its last
   * attempt's error: a job always ends.
   *
   * @example
   * await job.giveUp(7); // true
   */
  async giveUp(index: number): Promise<boolean> {
    if (!this.#exists()) return false;
    const row = this.#sql.exec<{ error: string | null }>("SELECT error FROM items WHERE idx = ?", index).toArray()[0];
    if (!row) return false;
    const job = this.#job() as JobRow;
    const error = row.error
      ? (JSON.parse(row.error) as LineError)
      : (
          new ApiError(503, "container_unavailable", "The image could not be analysed, please retry").toEnvelope(
            `${job.job_id}:${index}`,
          ) as { detail: LineError }
        ).detail;
    return (await this.recordMany([{ index, outcome: { ok: false, error } }])).recorded[0] === true;
  }

  /**
   * Records items' outcomes, each once: an item already finished keeps its first outcome (false in
   * `recorded`). The last item's record ends the job and schedules its webhook. `stop` says the job was
   * cancelled or deleted: the consumer starts none of its items any more.
   *
   * @example
   * await job.recordMany([{ index: 7, outcome: { ok: true, result } }]); // { recorded: [true], stop: false }
   */
  async recordMany(entries: RecordEntry[]): Promise<{ recorded: boolean[]; stop: boolean }> {
    const job = this.#job();
    if (!job) return { recorded: entries.map(() => false), stop: true };
    const tally = this.#counts(); // read before the rows change
    const recorded = entries.map(({ index, outcome }) => {
      // Only an unfinished item changes: a second record of the same item writes nothing.
      const { rowsWritten } = this.#sql.exec(
        `UPDATE items SET state = ?, result = ?, error = ?, bytes = NULL
         WHERE idx = ? AND state IN ('pending','running')`,
        outcome.ok ? "succeeded" : "failed",
        outcome.ok ? JSON.stringify(outcome.result) : null,
        outcome.ok ? null : JSON.stringify(outcome.error),
        index,
      );
      if (rowsWritten === 0) return false;
      tally.done++;
      if (outcome.ok) tally.succeeded++;
      else tally.failed++;
      return true;
    });
    if (recorded.includes(true)) {
      const now = Date.now();
      this.#sql.exec("UPDATE job SET updated_at = ?", now);
      if (job.status !== "cancelled" && tally.done === job.total) await this.#finish("succeeded", now);
    }
    return { recorded, stop: job.status === "cancelled" };
  }

  async #finish(status: "succeeded" | "cancelled", now: number): Promise<void> {
    this.#sql.exec("UPDATE job SET status = ?, finished_at = ?, updated_at = ?", status, now, now);
    const job = this.#job() as JobRow;
    log("info", "job finished", { job_id: job.job_id, status, total: job.total });
    // One listing and one delete for all of them, rather than a delete per item on the way.
    this.ctx.waitUntil(this.#deleteUploads(job.job_id));
    if (job.callback_url) {
      this.#sql.exec("UPDATE job SET webhook_next_at = ?", now);
      await this.#schedule();
    }
  }

  /**
   * A page of finished items' lines, in item order, from `after` (exclusive); `next` is where the next page
   * starts, or null at the end.
   *
   * @example
   * const { lines, next } = await job.results("key:3f2a…", -1);
   */
  async results(owner: string, after: number): Promise<{ lines: JobResultLine[]; next: number | null } | null> {
    const job = this.#owned(owner);
    if (!job) return null;
    const rows = this.#sql
      .exec<ItemRow>(
        `SELECT * FROM items WHERE idx > ? AND state IN ('succeeded','failed','cancelled') ORDER BY idx LIMIT ?`,
        after,
        RESULT_PAGE_SIZE,
      )
      .toArray();
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

  /**
   * Cancels a queued or running job: every item not finished yet ends as cancelled, at once (the job's counts
   * and results are final from here), and the consumer starts none of them any more (`recordMany` says `stop`,
   * `claimMany` hands out nothing). A job already finished is left as it is (its owner deletes it with
   * `remove`).
   *
   * @example
   * await job.cancel("key:3f2a…"); // { status: "cancelled", … }
   */
  async cancel(owner: string): Promise<Job | null> {
    const job = this.#owned(owner);
    if (!job) return null;
    if (job.status === "queued" || job.status === "running") {
      const now = Date.now();
      // Claimed items too: the consumer claims a batch ahead of analysing it, and drops what it has not started.
      this.#sql.exec("UPDATE items SET state = 'cancelled', bytes = NULL WHERE state IN ('pending','running')");
      this.#tally = null;
      await this.#finish("cancelled", now);
    }
    return this.#view(this.#job() as JobRow);
  }

  /**
   * Deletes the job now: its rows, its uploads and its place in the owner's list.
   *
   * @example
   * await job.remove("key:3f2a…"); // true
   */
  async remove(owner: string): Promise<boolean> {
    if (!this.#owned(owner)) return false;
    await this.#destroy();
    return true;
  }

  /** Deletes every upload of the job: when it ends (none is needed any more) and when it is deleted. */
  async #deleteUploads(jobId: string): Promise<void> {
    let cursor: string | undefined;
    do {
      const listed = await this.env.UPLOADS.list({ prefix: uploadPrefix(jobId), cursor });
      if (listed.objects.length > 0) await this.env.UPLOADS.delete(listed.objects.map((o) => o.key));
      cursor = listed.truncated ? listed.cursor : undefined;
    } while (cursor);
  }

  async #destroy(): Promise<void> {
    const job = this.#job();
    if (job) {
      await this.#deleteUploads(job.job_id);
      await this.env.RESULTS.delete(indexKey(job.owner, job.created_at, job.job_id));
      log("info", "job deleted", { job_id: job.job_id });
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#tablesExist = false;
    this.#tally = null;
  }

  /** Sends to the queue every unfinished item never sent, or sent longer than JOB_ITEM_LEASE_S ago. */
  async #enqueueDue(now: number): Promise<void> {
    const job = this.#job();
    if (!job || job.status === "cancelled" || job.status === "succeeded") return;
    const leaseMs = configFor(this.env).jobItemLeaseS * 1000;
    const due = this.#sql
      .exec<{ idx: number }>(
        `SELECT idx FROM items WHERE state IN ('pending','running') AND (enqueued_at IS NULL OR enqueued_at <= ?)
         ORDER BY idx`,
        now - leaseMs,
      )
      .toArray();
    for (let i = 0; i < due.length; i += QUEUE_BATCH_MAX) {
      const chunk = due.slice(i, i + QUEUE_BATCH_MAX);
      await this.env.JOB_QUEUE.sendBatch(chunk.map(({ idx }) => ({ body: { job_id: job.job_id, index: idx } })));
      // Marked after the send: a send that fails leaves them due, and the alarm's retry sends them again.
      this.#sql.exec(
        "UPDATE items SET enqueued_at = ? WHERE idx IN (SELECT value FROM json_each(?))",
        now,
        JSON.stringify(chunk.map(({ idx }) => idx)),
      );
    }
    if (due.length > 0) log("info", "job items queued", { job_id: job.job_id, items: due.length });
  }

  /** POSTs the signed webhook when due; on failure schedules the next try, with exponential backoff. */
  async #deliverWebhook(now: number): Promise<void> {
    const job = this.#job();
    if (!job?.callback_url || job.webhook_next_at === null || job.webhook_next_at > now) return;
    const config = configFor(this.env);
    const attempt = job.webhook_attempts + 1;
    const delivered = await this.#post(job, config).catch((cause: unknown) => {
      log("warn", "webhook failed", { job_id: job.job_id, attempt, cause: describeCause(cause) });
      return false;
    });
    if (delivered || attempt >= config.webhookMaxAttempts) {
      if (!delivered) log("error", "webhook given up", { job_id: job.job_id, attempts: attempt });
      this.#sql.exec("UPDATE job SET webhook_attempts = ?, webhook_next_at = NULL", attempt);
      return;
    }
    const delayMs = config.webhookRetryBaseS * 1000 * 2 ** (attempt - 1);
    this.#sql.exec("UPDATE job SET webhook_attempts = ?, webhook_next_at = ?", attempt, now + delayMs);
  }

  async #post(job: JobRow, config: ReturnType<typeof configFor>): Promise<boolean> {
    if (!config.webhookSecret) throw new Error("WEBHOOK_SECRET is not set");
    // The same SSRF rules as an image URL, on every try: a name that now resolves to a private address is refused.
    const { url, host, allowed } = checkSourceUrl(job.callback_url as string, config);
    const signal = AbortSignal.timeout(WEBHOOK_TIMEOUT_MS);
    if (host.kind === "name" && !allowed) await resolvePublic(host.name, config.dnsResolverUrl, signal);
    const view = this.#view(job);
    const payload = JSON.stringify({ type: `job.${view.status}`, timestamp: view.updated_at, data: view });
    // One ID per event, the same on every try, so the receiver can drop a duplicate (Standard Webhooks).
    const id = `msg_${job.job_id}_${view.status}`;
    const sentAt = new Date();
    const signature = new Webhook(config.webhookSecret).sign(id, sentAt, payload);
    const response = await fetch(url, {
      method: "POST",
      redirect: "manual", // a redirect is not followed: it could lead anywhere
      signal,
      headers: {
        "Content-Type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
        "webhook-signature": signature,
      },
      body: payload,
    });
    await response.body?.cancel();
    return response.status >= 200 && response.status < 300;
  }

  /** The next alarm: the earliest of expiry, the next lease check of unfinished items, the next webhook try. */
  async #schedule(): Promise<void> {
    const job = this.#job();
    if (!job) return;
    const times = [job.expires_at];
    if (job.status === "queued" || job.status === "running") {
      times.push(Date.now() + configFor(this.env).jobItemLeaseS * 1000);
    }
    if (job.webhook_next_at !== null) times.push(job.webhook_next_at);
    await this.ctx.storage.setAlarm(Math.min(...times));
  }

  override async alarm(): Promise<void> {
    const job = this.#job();
    if (!job) return;
    const now = Date.now();
    if (now >= job.expires_at) {
      await this.#destroy();
      return;
    }
    await this.#enqueueDue(now);
    await this.#deliverWebhook(now);
    await this.#schedule();
  }
}
