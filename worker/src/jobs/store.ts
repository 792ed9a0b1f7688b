/**
 * Where a job keeps its state: the SQL tables of its Durable Object (job.ts), one `job` row and one `items` row
 * per item, with their schema, the columns added by later releases, and every query the job runs; and the KV
 * key that lists the job under its owner (`GET /v1/jobs`).
 *
 * Only the job's own object writes its rows, so the items' counts are read from the rows once per instance and
 * kept up to date here as items are recorded.
 */
import type { JobStatus } from "../../../contract/jobs.ts";
import type { ItemOutcome, JobSpec, LineError } from "./messages.ts";

/** The KV keys of an owner's list of jobs start with this. */
export const ownerListPrefix = (owner: string) => `job-index:${owner}:`;
/** The KV key that lists a job under its owner, newest first (keys sort by inverted creation time). */
export const indexKey = (owner: string, createdAt: number, jobId: string) =>
  `${ownerListPrefix(owner)}${String(Number.MAX_SAFE_INTEGER - createdAt).padStart(16, "0")}:${jobId}`;

/**
 * `pending`: waiting to be sent; `queued`: sent, not claimed (or handed back for the queue's retry); `running`:
 * claimed by a consumer until `claimed_at` + JOB_ITEM_LEASE_S.
 */
type ItemState = "pending" | "queued" | "running" | "succeeded" | "failed" | "cancelled";
/** The states of an item not finished yet, as SQL. */
const UNFINISHED = "('pending','queued','running')";

/** Columns added after the first release, per table: a job created before gets them (empty) when next read. */
const LATER_COLUMNS: Record<"job" | "items", string[]> = {
  // Uploaded files' checked facts and small files' bytes; the claim's time (its lease runs from it); an analysed
  // item's perceptual hash and its file's SHA-256 (the `hash` metric's), for the job's duplicates.
  items: [
    "media_type TEXT",
    "sha256 TEXT",
    "bytes BLOB",
    "claimed_at INTEGER",
    "perceptual_hash TEXT",
    "content_sha256 TEXT",
  ],
  // Whether the owner's list has the job, whether the key's budget has let it go, whether the key let it run;
  // a public deployment's job token.
  job: [
    "indexed INTEGER NOT NULL DEFAULT 0",
    "released INTEGER NOT NULL DEFAULT 0",
    "admitted INTEGER NOT NULL DEFAULT 0",
    "access_token TEXT",
    // The duplicates, grouped once when the job ended (duplicates.ts's stored form).
    "duplicates TEXT",
  ],
};

export interface JobRow {
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
  indexed: number;
  released: number;
  admitted: number;
  access_token: string | null;
  duplicates: string | null;
  [key: string]: SqlStorageValue;
}

export interface ItemRow {
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
  claimed_at: number | null;
  attempts: number;
  result: string | null;
  error: string | null;
  perceptual_hash: string | null;
  content_sha256: string | null;
  [key: string]: SqlStorageValue;
}

/** How many items are finished, and how. */
export interface Tally {
  done: number;
  succeeded: number;
  failed: number;
}

/** The one-row flags of a job's progress outside its rows: listed under its owner, released, admitted. */
type JobFlag = "indexed" | "released" | "admitted";

export class JobStore {
  readonly #storage: DurableObjectStorage;
  readonly #sql: SqlStorage;
  #tablesExist = false;
  /** The counts of `counts`, or null until they are next read from the rows. */
  #tally: Tally | null = null;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#sql = storage.sql;
  }

  /**
   * Whether this object holds a job. Asking about an ID that was never created writes nothing: the tables are
   * made by `create` only.
   */
  exists(): boolean {
    // Once the tables are there they stay until `forget`: asked once per instance.
    if (this.#tablesExist) return true;
    if (this.#sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'job'").toArray().length === 0) {
      return false;
    }
    this.#addColumnsOfLaterReleases();
    this.#tablesExist = true;
    return true;
  }

  /** After the object's storage was deleted: no tables, no counts. */
  forget(): void {
    this.#tablesExist = false;
    this.#tally = null;
  }

  #createTables(): void {
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS job (
      one INTEGER PRIMARY KEY CHECK (one = 1), job_id TEXT NOT NULL, owner TEXT NOT NULL, fingerprint TEXT NOT NULL,
      params TEXT NOT NULL, partition TEXT NOT NULL, callback_url TEXT, status TEXT NOT NULL, total INTEGER NOT NULL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER, expires_at INTEGER NOT NULL,
      webhook_attempts INTEGER NOT NULL DEFAULT 0, webhook_next_at INTEGER, ${LATER_COLUMNS.job.join(", ")})`);
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS items (
      idx INTEGER PRIMARY KEY, ref TEXT, source TEXT NOT NULL, kind TEXT NOT NULL, url TEXT, upload_key TEXT,
      state TEXT NOT NULL, enqueued_at INTEGER, attempts INTEGER NOT NULL DEFAULT 0, result TEXT, error TEXT,
      ${LATER_COLUMNS.items.join(", ")})`);
  }

  /**
   * A job created by an earlier release gets the columns added since (empty), and its items the states of
   * this one: an item it had sent (`pending` with a send time) is `queued`; its claims, which had no time,
   * count as expired.
   */
  #addColumnsOfLaterReleases(): void {
    for (const [table, columns] of Object.entries(LATER_COLUMNS)) {
      const have = new Set(
        this.#sql
          .exec<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
          .toArray()
          .map((c) => c.name),
      );
      for (const column of columns) {
        if (!have.has(column.split(" ")[0] as string)) this.#sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column}`);
      }
      if (table === "job" && !have.has("indexed")) {
        // Jobs of the earlier release were listed (and run) as soon as they were created.
        this.#sql.exec("UPDATE job SET indexed = 1, admitted = 1");
        this.#sql.exec("UPDATE items SET state = 'queued' WHERE state = 'pending' AND enqueued_at IS NOT NULL");
      }
    }
  }

  /** Creates the tables and writes a new job's rows, its items `pending`, in one transaction. */
  create(spec: JobSpec, now: number, expiresAt: number): void {
    this.#storage.transactionSync(() => {
      this.#createTables();
      this.#sql.exec(
        `INSERT INTO job (one, job_id, owner, fingerprint, params, partition, callback_url, status, total, created_at,
         updated_at, expires_at, access_token) VALUES (1, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)`,
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
        spec.accessToken ?? null,
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
    this.#tablesExist = true;
  }

  /** The job's row, or null when this object holds no job. */
  job(): JobRow | null {
    if (!this.exists()) return null;
    return this.#sql.exec<JobRow>("SELECT * FROM job").toArray()[0] ?? null;
  }

  /**
   * The items' counts: taken from the rows once per instance, then kept up to date by `record` and `cancel`.
   * Counting the rows on every record made a 1,000-item job's records quadratic, and was most of the job's own
   * work per item.
   */
  counts(): Tally {
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

  /** Sets one of the job's flags (they only ever go from 0 to 1). */
  setFlag(flag: JobFlag): void {
    this.#sql.exec(`UPDATE job SET ${flag} = 1`);
  }

  /** The unfinished items among `indexes`. */
  unfinishedItems(indexes: number[]): ItemRow[] {
    return this.#sql
      .exec<ItemRow>(
        `SELECT * FROM items WHERE idx IN (SELECT value FROM json_each(?)) AND state IN ${UNFINISHED}`,
        JSON.stringify(indexes),
      )
      .toArray();
  }

  /** One item's row, finished or not. */
  item(index: number): ItemRow | undefined {
    return this.#sql.exec<ItemRow>("SELECT * FROM items WHERE idx = ?", index).toArray()[0];
  }

  /** Marks items claimed at `now` (`running`, their attempts counted), and the job `running` if it was queued. */
  claim(indexes: number[], now: number, jobWasQueued: boolean): void {
    this.#sql.exec(
      `UPDATE items SET state = 'running', claimed_at = ?, attempts = attempts + 1
       WHERE idx IN (SELECT value FROM json_each(?))`,
      now,
      JSON.stringify(indexes),
    );
    if (jobWasQueued) this.#sql.exec("UPDATE job SET status = 'running', updated_at = ?", now);
  }

  /** A running item's attempt failed and will be delivered again: `queued`, its error kept. */
  noteFailure(index: number, error: LineError): void {
    this.#sql.exec(
      "UPDATE items SET error = ?, state = 'queued' WHERE idx = ? AND state = 'running'",
      JSON.stringify(error),
      index,
    );
  }

  /** Running items back to `pending`, their claims ended and not counted as attempts. */
  handBack(indexes: number[]): void {
    this.#sql.exec(
      `UPDATE items SET state = 'pending', claimed_at = NULL, attempts = MAX(attempts - 1, 0)
       WHERE idx IN (SELECT value FROM json_each(?)) AND state = 'running'`,
      JSON.stringify(indexes),
    );
  }

  /**
   * Records an unfinished item's outcome (its bytes dropped) and counts it; false, writing nothing, for an item
   * already finished.
   */
  record(index: number, outcome: ItemOutcome): boolean {
    const tally = this.counts(); // read before the row changes
    const hashes = outcome.ok ? outcome.hashes : undefined;
    const { rowsWritten } = this.#sql.exec(
      `UPDATE items SET state = ?, result = ?, error = ?, bytes = NULL, perceptual_hash = ?, content_sha256 = ?
       WHERE idx = ? AND state IN ${UNFINISHED}`,
      outcome.ok ? "succeeded" : "failed",
      outcome.ok ? JSON.stringify(outcome.result) : null,
      outcome.ok ? null : JSON.stringify(outcome.error),
      hashes?.perceptual ?? null,
      hashes?.sha256 ?? null,
      index,
    );
    if (rowsWritten === 0) return false;
    tally.done++;
    if (outcome.ok) tally.succeeded++;
    else tally.failed++;
    return true;
  }

  /** Every unfinished item ends as cancelled (claimed ones too), its bytes dropped. */
  cancelUnfinished(): void {
    this.#sql.exec(`UPDATE items SET state = 'cancelled', bytes = NULL WHERE state IN ${UNFINISHED}`);
    this.#tally = null;
  }

  touch(now: number): void {
    this.#sql.exec("UPDATE job SET updated_at = ?", now);
  }

  finish(status: "succeeded" | "cancelled", now: number): void {
    this.#sql.exec("UPDATE job SET status = ?, finished_at = ?, updated_at = ?", status, now, now);
  }

  /** Finished items after `after` (exclusive), in item order, at most `limit`. */
  finishedItems(after: number, limit: number): ItemRow[] {
    return this.#sql
      .exec<ItemRow>(
        `SELECT * FROM items WHERE idx > ? AND state IN ('succeeded','failed','cancelled') ORDER BY idx LIMIT ?`,
        after,
        limit,
      )
      .toArray();
  }

  /** The succeeded items that have their hashes, in item order: what the duplicates are grouped from. */
  hashedItems(): { index: number; sha256: string; perceptual: string }[] {
    return this.#sql
      .exec<{ index: number; sha256: string; perceptual: string }>(
        `SELECT idx AS "index", content_sha256 AS sha256, perceptual_hash AS perceptual FROM items
         WHERE state = 'succeeded' AND content_sha256 IS NOT NULL AND perceptual_hash IS NOT NULL ORDER BY idx`,
      )
      .toArray();
  }

  /** The callers' references of the items among `indexes`, by index. */
  refs(indexes: number[]): Map<number, string | null> {
    const rows = this.#sql
      .exec<{ idx: number; ref: string | null }>(
        "SELECT idx, ref FROM items WHERE idx IN (SELECT value FROM json_each(?))",
        JSON.stringify(indexes),
      )
      .toArray();
    return new Map(rows.map((row) => [row.idx, row.ref]));
  }

  /** Keeps the job's duplicates (their stored form), grouped once. */
  setDuplicates(json: string): void {
    this.#sql.exec("UPDATE job SET duplicates = ?", json);
  }

  /** Running items claimed at `cutoff` or before go back to `pending`; how many did. */
  expireClaims(cutoff: number): number {
    return this.#sql.exec(
      "UPDATE items SET state = 'pending' WHERE state = 'running' AND COALESCE(claimed_at, enqueued_at, 0) <= ?",
      cutoff,
    ).rowsWritten;
  }

  /** Items in the queue or claimed (`inFlight`), and items waiting to be sent (`pending`), in one query. */
  sendCounts(): { inFlight: number; pending: number } {
    const counts = this.#sql
      .exec<{ inFlight: number | null; pending: number | null }>(
        "SELECT SUM(state IN ('queued','running')) AS inFlight, SUM(state = 'pending') AS pending FROM items",
      )
      .one();
    return { inFlight: counts.inFlight ?? 0, pending: counts.pending ?? 0 };
  }

  /** The first `limit` pending items, in item order, but those in `excluded`. */
  pendingItems(excluded: number[], limit: number): number[] {
    return this.#sql
      .exec<{ idx: number }>(
        `SELECT idx FROM items WHERE state = 'pending' AND idx NOT IN (SELECT value FROM json_each(?))
         ORDER BY idx LIMIT ?`,
        JSON.stringify(excluded),
        limit,
      )
      .toArray()
      .map((row) => row.idx);
  }

  /** Pending items among `indexes` were sent at `now`: `queued`. */
  markQueued(indexes: number[], now: number): void {
    this.#sql.exec(
      `UPDATE items SET state = 'queued', enqueued_at = ? WHERE idx IN (SELECT value FROM json_each(?))
       AND state = 'pending'`,
      now,
      JSON.stringify(indexes),
    );
  }

  /** When the earliest claim of a running item was made, or null when none runs. */
  firstClaimAt(): number | null {
    return this.#sql
      .exec<{ first: number | null }>(
        "SELECT MIN(COALESCE(claimed_at, enqueued_at, 0)) AS first FROM items WHERE state = 'running'",
      )
      .one().first;
  }

  /** The webhook is due from `at`. */
  webhookDue(at: number): void {
    this.#sql.exec("UPDATE job SET webhook_next_at = ?", at);
  }

  /** The webhook's tries so far, and when the next is due (null: no more). */
  webhookTried(attempts: number, nextAt: number | null): void {
    this.#sql.exec("UPDATE job SET webhook_attempts = ?, webhook_next_at = ?", attempts, nextAt);
  }
}
