/**
 * One key's unfinished jobs (a Durable Object per job owner, `TENANTS.getByName(owner)`): what the key may
 * spend and how much of the shared queue it may hold.
 *
 * - **Open items.** A job's items count against its key from submission to the job's end (finished,
 *   cancelled or deleted): a submission that would take the key past JOB_MAX_OPEN_ITEMS_PER_KEY is refused
 *   with 429 `too_many_open_items` before anything is stored. A job of 1,000 items costs its key 1,000.
 * - **Active jobs.** Only the key's JOB_ACTIVE_JOBS_PER_KEY oldest unfinished jobs send items to the queue;
 *   each keeps at most its window there (jobs/job.ts). However many jobs a key submits, its share of the queue
 *   stays bounded, and another key's job starts behind it within seconds. The others wait, `queued`; when an
 *   active job ends this object wakes the next one (and each waiting job asks again on its own alarm, so a lost
 *   wake-up only delays it).
 *
 * A reservation whose job was never created (the Worker died between the two calls) would hold the key's
 * budget forever: the alarm drops reservations older than RESERVATION_CHECK_MS whose job does not exist.
 */
import { DurableObject } from "cloudflare:workers";
import { ApiError, retryAfter } from "../../../contract/errors.ts";
import type { Vars, WorkerConfig } from "../config.ts";
import { describeCause, log } from "../log.ts";

/** When a refused submission should try again, in seconds: open items free as the key's jobs end. */
export const OPEN_ITEMS_RETRY_AFTER_S = 60;
/** How long after a reservation its job must exist, in milliseconds (a submission takes seconds). */
const RESERVATION_CHECK_MS = 5 * 60_000;

export type Reservation =
  | { ok: true; created: boolean }
  | { ok: false; open: number; max: number; retryAfterS: number };

/**
 * Counts a submission's items against its key, or refuses it with 429 `too_many_open_items` and Retry-After.
 * Resolves true when this call made the reservation (a failed `create` then releases it), false for a retried
 * submission's job, whose items count already.
 *
 * @example
 * const reserved = await reserveOpenItems(env, config, "key:acme", jobId, 1000);
 */
export async function reserveOpenItems(
  env: { TENANTS: DurableObjectNamespace<TenantJobs> },
  config: WorkerConfig,
  owner: string,
  jobId: string,
  items: number,
): Promise<boolean> {
  const reservation = await env.TENANTS.getByName(owner).reserve(jobId, items, config.jobMaxOpenItemsPerKey);
  if (reservation.ok) return reservation.created;
  throw new ApiError(
    429,
    "too_many_open_items",
    `Your key's unfinished jobs hold ${reservation.open} items; with this job's ${items} that would pass its limit of ${reservation.max}. Wait for a job to finish, or cancel one (DELETE /v1/jobs/{job_id}), then submit again`,
    {
      extra: {
        open_items: reservation.open,
        job_items: items,
        max_open_items: reservation.max,
        retry_after_seconds: reservation.retryAfterS,
      },
      headers: retryAfter(reservation.retryAfterS),
    },
  );
}

interface JobEntry {
  job_id: string;
  items: number;
  created_at: number;
  [key: string]: SqlStorageValue;
}

/**
 * What the ledger asks of a job's Durable Object (jobs/job.ts's `BatchJob` has these methods). Named here, not
 * imported: the job asks its ledger too, and the two modules would import each other.
 */
interface LedgerJob extends Rpc.DurableObjectBranded {
  /** Lets a waiting job send its items now (its own alarm asks again anyway). */
  wake(): Promise<void>;
  /** Whether the job was ever created. */
  exists(): Promise<boolean>;
}

/** The bindings the ledger reads (env.ts's `Env` has them all). */
export interface TenantBindings extends Vars {
  JOBS: DurableObjectNamespace<LedgerJob>;
}

export class TenantJobs extends DurableObject<TenantBindings> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: TenantBindings) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(
      "CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, items INTEGER NOT NULL, created_at INTEGER NOT NULL)",
    );
  }

  /**
   * Counts a new job's items against the key, or refuses them. The same job reserved again (a retried
   * submission) changes nothing and is allowed: `created` says whether this call made the reservation.
   *
   * @example
   * await env.TENANTS.getByName("key:acme").reserve("job_3f…", 1000, 10000); // { ok: true, created: true }
   */
  async reserve(jobId: string, items: number, maxOpen: number): Promise<Reservation> {
    if (this.#sql.exec("SELECT 1 FROM jobs WHERE job_id = ?", jobId).toArray().length > 0) {
      return { ok: true, created: false };
    }
    const open = this.#open();
    if (open + items > maxOpen) {
      return { ok: false, open, max: maxOpen, retryAfterS: OPEN_ITEMS_RETRY_AFTER_S };
    }
    const now = Date.now();
    this.#sql.exec("INSERT INTO jobs (job_id, items, created_at) VALUES (?, ?, ?)", jobId, items, now);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + RESERVATION_CHECK_MS);
    return { ok: true, created: true };
  }

  /** The items of the key's unfinished jobs. */
  #open(): number {
    return this.#sql.exec<{ open: number | null }>("SELECT SUM(items) AS open FROM jobs").one().open ?? 0;
  }

  /** The key's jobs that may send items now: the `active` oldest unfinished ones. */
  #active(active: number): string[] {
    return this.#sql
      .exec<JobEntry>("SELECT job_id FROM jobs ORDER BY created_at, job_id LIMIT ?", active)
      .toArray()
      .map((row) => row.job_id);
  }

  /**
   * Whether this job may send its items now: it is one of the key's `active` oldest unfinished jobs. A job
   * this object does not know (created before keys had budgets) may.
   *
   * @example
   * await tenant.mayRun("job_3f…", 2); // false: two older jobs of the key are still running
   */
  async mayRun(jobId: string, active: number): Promise<boolean> {
    if (this.#sql.exec("SELECT 1 FROM jobs WHERE job_id = ?", jobId).toArray().length === 0) return true;
    return this.#active(active).includes(jobId);
  }

  /**
   * The job ended (or was never created): its items no longer count, and the key's next waiting jobs are
   * woken. Releasing a job twice changes nothing.
   *
   * @example
   * await tenant.release("job_3f…", 2);
   */
  async release(jobId: string, active: number): Promise<void> {
    const { rowsWritten } = this.#sql.exec("DELETE FROM jobs WHERE job_id = ?", jobId);
    if (rowsWritten === 0) return;
    // Waking is a courtesy: a job that misses it asks again on its own alarm.
    await Promise.all(
      this.#active(active).map((next) =>
        this.env.JOBS.getByName(next)
          .wake()
          .catch((cause: unknown) => log("warn", "job not woken", { job_id: next, cause: describeCause(cause) })),
      ),
    );
  }

  /** How many items the key's unfinished jobs hold, and how many jobs: for the tests and the operator. */
  async usage(): Promise<{ open_items: number; jobs: number }> {
    const { jobs } = this.#sql.exec<{ jobs: number }>("SELECT COUNT(*) AS jobs FROM jobs").one();
    return { open_items: this.#open(), jobs };
  }

  /** Drops reservations whose job was never created, so they cannot hold the key's budget forever. */
  override async alarm(): Promise<void> {
    const cutoff = Date.now() - RESERVATION_CHECK_MS;
    const old = this.#sql.exec<JobEntry>("SELECT job_id FROM jobs WHERE created_at <= ?", cutoff).toArray();
    for (const { job_id } of old) {
      const exists = await this.env.JOBS.getByName(job_id)
        .exists()
        .catch(() => true); // not known: kept, and asked again next time
      if (!exists) {
        this.#sql.exec("DELETE FROM jobs WHERE job_id = ?", job_id);
        log("warn", "reservation without a job dropped", { job_id });
      }
    }
    const { youngest } = this.#sql
      .exec<{ youngest: number | null }>("SELECT MAX(created_at) AS youngest FROM jobs WHERE created_at > ?", cutoff)
      .one();
    if (youngest !== null) await this.ctx.storage.setAlarm(youngest + RESERVATION_CHECK_MS);
  }
}
