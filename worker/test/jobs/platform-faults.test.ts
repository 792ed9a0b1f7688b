/**
 * Platform faults never lose a job: failures injected into the job Durable Object's real bindings (its queue
 * producer, R2 bucket and KV namespace, wrapped in the running object), its alarm run as Cloudflare runs it, its
 * claims' leases, and a queue consumer whose time runs out. Miniflare's queue, R2, KV and Durable Object storage
 * are real; the consumer analyses on the real container process.
 */
import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  runDurableObjectAlarm,
} from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { parseAnalysisParams } from "../../../contract/analysis.ts";
import { JOB_ITEM_LEASE_S, JOB_ITEM_MAX_ATTEMPTS, JOB_ITEMS_IN_FLIGHT_MAX } from "../../src/config.ts";
import type { Env } from "../../src/env.ts";
import { consumeJobs } from "../../src/jobs/consumer.ts";
import type { BatchJob } from "../../src/jobs/job.ts";
import type { JobMessage, JobSpec } from "../../src/jobs/messages.ts";
import { indexKey } from "../../src/jobs/store.ts";
import type { TenantJobs } from "../../src/jobs/tenant.ts";
import { runIn } from "../durable-objects.ts";
import { png, pollUntil } from "../helpers.ts";

const params = parseAnalysisParams(new URLSearchParams("metrics=median"));
const source = (path: string) => `${inject("sourceUrl")}${path}`;
const newJobId = () => `job_${crypto.randomUUID().replaceAll("-", "")}`;
const OWNER = "key:platform-faults";

function urlSpec(jobId: string, paths: string[]): JobSpec {
  return {
    jobId,
    owner: OWNER,
    fingerprint: "f",
    params,
    partition: "shared",
    callbackUrl: null,
    items: paths.map((path) => ({ ref: path, source: source(path), kind: "url", url: source(path) })),
  };
}

/** Replaces bindings of one running job object (only its own `env`: other objects keep the real ones). */
function injectBindings(job: BatchJob, bindings: Partial<Env>): void {
  const holder = job as unknown as { env: Env };
  holder.env = { ...holder.env, ...bindings };
}

/** A queue producer that fails its first `failures` sends, then sends for real (or only counts, `forward: false`). */
function flakyQueue(failures: number, forward = true) {
  const state = { failures, sent: [] as number[] };
  const queue = {
    async send() {
      throw new Error("the job sends in batches");
    },
    async sendBatch(messages: Iterable<MessageSendRequest<JobMessage>>, options?: QueueSendBatchOptions) {
      if (state.failures > 0) {
        state.failures--;
        throw new Error("injected: queue unavailable");
      }
      const list = [...messages];
      state.sent.push(...list.map((m) => m.body.index));
      if (forward) await env.JOB_QUEUE.sendBatch(list, options);
    },
  } as unknown as Queue<JobMessage>;
  return { state, queue };
}

const rows = (jobId: string, sql: string) =>
  runIn(env.JOBS.getByName(jobId), (_job, state) => state.storage.sql.exec(sql).toArray());

/** Waits for a condition, with a deadline. */
function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000) {
  return pollUntil(what, read, ok, { timeoutMs, intervalMs: 100 });
}

const view = (jobId: string) => env.JOBS.getByName(jobId).view(OWNER);

/** Expires the job now and runs its alarm: afterwards nothing of it may be left in its object. */
async function expire(jobId: string) {
  const stub = env.JOBS.getByName(jobId);
  await runIn(stub, (_job, state) => {
    state.storage.sql.exec("UPDATE job SET expires_at = ?", Date.now() - 1);
  });
  expect(await runDurableObjectAlarm(stub)).toBe(true);
  expect(await view(jobId)).toBeNull();
  const tables = await rows(jobId, "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('job','items')");
  expect(tables).toEqual([]);
  expect(await runIn(stub, (_job, state) => state.storage.getAlarm())).toBeNull();
}

describe("the job's alarm is never lost", () => {
  it("a job whose queue sends fail 7 times in a row still runs to the end, and is deleted at expiry", async () => {
    const jobId = newJobId();
    const stub = env.JOBS.getByName(jobId);
    const { state, queue } = flakyQueue(7);
    await runIn(stub, async (job: BatchJob) => {
      injectBindings(job, { JOB_QUEUE: queue });
      await job.create(urlSpec(jobId, ["/png/400", "/png/401", "/png/402"]));
    });
    // Each failed alarm leaves the next one armed (a thrown alarm would be retried a few times, then never):
    // run each as soon as it is set (the first also runs by itself, at once).
    const armed = () => runIn(stub, (_job, storage) => storage.storage.getAlarm());
    while (state.sent.length === 0) {
      await until("the next alarm", armed, (at) => at !== null || state.sent.length > 0);
      await runDurableObjectAlarm(stub);
    }
    expect(state.failures).toBe(0);
    expect(state.sent.sort()).toEqual([0, 1, 2]);
    const done = await until(
      "the job",
      () => view(jobId),
      (job) => job?.status === "succeeded",
    );
    expect(done).toMatchObject({ total: 3, succeeded: 3 });
    await expire(jobId);
  });

  it("a job whose uploads cannot be deleted from R2 still finishes, and is still deleted at expiry", async () => {
    const jobId = newJobId();
    const stub = env.JOBS.getByName(jobId);
    const key = `jobs/${jobId}/attempt/0`;
    await env.UPLOADS.put(key, png(61), { httpMetadata: { contentType: "image/png" } });
    const failingBucket = {
      list: (options: R2ListOptions) => env.UPLOADS.list(options),
      delete: async () => {
        throw new Error("injected: R2 unavailable");
      },
    } as unknown as R2Bucket;
    await runIn(stub, async (job: BatchJob) => {
      injectBindings(job, { UPLOADS: failingBucket });
      await job.create({
        ...urlSpec(jobId, []),
        items: [{ ref: "a.png", source: "upload:a.png", kind: "upload", uploadKey: key, mediaType: "image/png" }],
      });
    });
    const done = await until(
      "the job",
      () => view(jobId),
      (job) => job?.status === "succeeded",
    );
    expect(done).toMatchObject({ total: 1, succeeded: 1 });
    await expire(jobId);
    // What R2 refused to delete is left to the bucket's lifecycle rule (docs/OPERATIONS.md); the job is gone.
    expect((await env.UPLOADS.list({ prefix: `jobs/${jobId}/` })).objects.map((o) => o.key)).toEqual([key]);
  });

  it("a job whose list entry could not be written is listed by its alarm, and runs all the same", async () => {
    const jobId = newJobId();
    const stub = env.JOBS.getByName(jobId);
    const toggle = { failing: true };
    const flakyKv = new Proxy(env.RESULTS, {
      get(target, property) {
        if (property === "put" && toggle.failing) {
          return async () => {
            throw new Error("injected: KV unavailable");
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    await runIn(stub, async (job: BatchJob) => {
      injectBindings(job, { RESULTS: flakyKv });
      await job.create(urlSpec(jobId, ["/png/403"]));
    });
    const listed = async () => (await env.RESULTS.list({ prefix: `job-index:${OWNER}:` })).keys.map((k) => k.name);
    const [row] = (await rows(jobId, "SELECT created_at, indexed FROM job")) as Array<{
      created_at: number;
      indexed: number;
    }>;
    expect(row?.indexed).toBe(0);
    expect(await listed()).not.toContain(indexKey(OWNER, row?.created_at as number, jobId));
    toggle.failing = false;
    await until("the list entry", listed, (names) => {
      if (names.includes(indexKey(OWNER, row?.created_at as number, jobId))) return true;
      void runDurableObjectAlarm(stub); // the next alarm repairs it
      return false;
    });
    await until(
      "the job",
      () => view(jobId),
      (job) => job?.status === "succeeded",
    );
    await expire(jobId);
    expect(await listed()).not.toContain(indexKey(OWNER, row?.created_at as number, jobId));
  });
});

/**
 * A job whose sends are only counted (the consumer never sees them): its claims are the test's to make. Resolves
 * once its first window is sent.
 */
async function heldJob(paths: string[]) {
  const jobId = newJobId();
  const stub = env.JOBS.getByName(jobId);
  const { state, queue } = flakyQueue(0, false);
  await runIn(stub, async (job: BatchJob) => {
    injectBindings(job, { JOB_QUEUE: queue });
    await job.create(urlSpec(jobId, paths));
  });
  await until(
    "the first send",
    async () => state.sent.length,
    (n) => n > 0,
  );
  return { jobId, stub, sent: state.sent };
}

describe("leases measure what they mean", () => {
  it("an item that has waited in the queue longer than the lease is not sent again", async () => {
    const { jobId, stub, sent } = await heldJob(["/png/404", "/png/405", "/png/406"]);
    await runIn(stub, (_job, state) => {
      state.storage.sql.exec("UPDATE items SET enqueued_at = ?", Date.now() - 10 * JOB_ITEM_LEASE_S * 1000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(sent).toEqual([0, 1, 2]); // nothing sent twice
    expect(await rows(jobId, "SELECT state FROM items")).toEqual(Array(3).fill({ state: "queued" }));
  });

  it("a claimed item is not claimed again within its lease; once the claim expired, it is sent and claimed again", async () => {
    const { jobId, stub, sent } = await heldJob(["/png/407"]);
    const claims = await runIn(stub, async (job: BatchJob) => [
      await job.claimMany([0]),
      await job.claimMany([0]), // a duplicate message, within the lease
    ]);
    expect(claims.map((c) => c.map((claim) => claim?.attempt ?? null))).toEqual([[1], [null]]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(sent).toEqual([0]); // a live claim is not sent again

    await runIn(stub, (_job, state) => {
      state.storage.sql.exec("UPDATE items SET claimed_at = ?", Date.now() - JOB_ITEM_LEASE_S * 1000 - 1);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(sent).toEqual([0, 0]); // its consumer died: sent again
    const [again] = await runIn(stub, (job: BatchJob) => job.claimMany([0]));
    expect(again?.attempt).toBe(2);
    expect(await rows(jobId, "SELECT state, attempts FROM items")).toEqual([{ state: "running", attempts: 2 }]);
  });

  it("an item claimed JOB_ITEM_MAX_ATTEMPTS times is recorded as failed with its last error, not claimed again", async () => {
    const { jobId, stub } = await heldJob(["/png/408"]);
    const lastError = { error: "Image download timed out", code: "download_timeout", request_id: "r" };
    await runIn(stub, (_job, state) => {
      state.storage.sql.exec(
        "UPDATE items SET attempts = ?, error = ?, state = 'queued'",
        JOB_ITEM_MAX_ATTEMPTS,
        JSON.stringify(lastError),
      );
    });
    const [claim] = await runIn(stub, (job: BatchJob) => job.claimMany([0]));
    expect(claim).toBeNull();
    expect(await view(jobId)).toMatchObject({ status: "succeeded", done: 1, failed: 1 });
    const page = await runIn(stub, (job: BatchJob) => job.results(OWNER, -1));
    expect(page?.lines[0]).toMatchObject({ status: "failed", error: lastError });
  });
});

describe("a consumer invocation never outruns its wall-clock limit", () => {
  it("starts items only within JOB_CONSUMER_BUDGET_MS, and hands the rest back to their job, no attempt spent", async () => {
    const paths = Array.from({ length: 40 }, (_, i) => `/slow/300/${410 + i}`);
    const { jobId } = await heldJob(paths);
    const messages = paths.map((_, index) => ({
      id: `m${index}`,
      timestamp: new Date(),
      attempts: 1,
      body: { job_id: jobId, index },
    }));
    const batch = createMessageBatch<JobMessage>("image-insights-jobs", messages);
    const ctx = createExecutionContext();
    // A budget of 1 ms: the first lanes may start, nothing starts after it.
    await consumeJobs(batch, { ...env, JOB_CONSUMER_BUDGET_MS: "1" } as Env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(messages.map((m) => m.id).sort());
    expect(result.retryMessages).toEqual([]);
    const items = (await rows(jobId, "SELECT state, attempts FROM items")) as Array<{
      state: string;
      attempts: number;
    }>;
    const started = items.filter((i) => i.state === "succeeded");
    const handedBack = items.filter((i) => i.state !== "succeeded");
    expect(started.length + handedBack.length).toBe(40);
    // At most one item per lane started (each takes 300 ms, far past the budget): the rest were not.
    expect(handedBack.length).toBeGreaterThanOrEqual(40 - JOB_ITEMS_IN_FLIGHT_MAX);
    // Handed back: to be sent again (the job already did: `queued`), no attempt spent.
    for (const item of handedBack) expect(item).toMatchObject({ attempts: 0 });
    expect(handedBack.every((i) => i.state === "pending" || i.state === "queued")).toBe(true);
  });
});

describe("a key's ledger of unfinished jobs", () => {
  it("counts open items, refuses past the budget, lets the oldest jobs run, and frees with each job's end", async () => {
    const ledger = env.TENANTS.getByName(`key:ledger-${crypto.randomUUID()}`);
    await runIn(ledger, async (tenant: TenantJobs) => {
      expect(await tenant.reserve("job_a", 600, 1000)).toEqual({ ok: true, created: true });
      expect(await tenant.reserve("job_a", 600, 1000)).toEqual({ ok: true, created: false }); // a retry
      expect(await tenant.reserve("job_b", 300, 1000)).toEqual({ ok: true, created: true });
      expect(await tenant.reserve("job_c", 101, 1000)).toMatchObject({ ok: false, open: 900, max: 1000 });
      expect(await tenant.reserve("job_c", 100, 1000)).toEqual({ ok: true, created: true });
      expect(await tenant.usage()).toEqual({ open_items: 1000, jobs: 3 });
      expect([
        await tenant.mayRun("job_a", 2),
        await tenant.mayRun("job_b", 2),
        await tenant.mayRun("job_c", 2),
      ]).toEqual([true, true, false]);
      await tenant.release("job_a", 2);
      await tenant.release("job_a", 2); // twice changes nothing
      expect(await tenant.mayRun("job_c", 2)).toBe(true);
      expect(await tenant.usage()).toEqual({ open_items: 400, jobs: 2 });
    });
  });

  it("drops a reservation whose job was never created (the Worker died between the two calls)", async () => {
    const ledger = env.TENANTS.getByName(`key:ledger-${crypto.randomUUID()}`);
    await runIn(ledger, async (tenant: TenantJobs, state) => {
      await tenant.reserve(newJobId(), 500, 1000);
      state.storage.sql.exec("UPDATE jobs SET created_at = ?", Date.now() - 10 * 60_000);
    });
    expect(await runDurableObjectAlarm(ledger)).toBe(true);
    expect(await runIn(ledger, (tenant: TenantJobs) => tenant.usage())).toEqual({
      open_items: 0,
      jobs: 0,
    });
  });
});
