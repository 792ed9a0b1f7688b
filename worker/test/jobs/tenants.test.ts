/**
 * Batch jobs shared by several keys, end to end in workerd (the Worker, the jobs' and the keys' Durable
 * Objects, Miniflare's queue, the real container process): one key's backlog never holds another's job, and a
 * key's unfinished jobs count against its budget of open items.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { type Job, JobSchema } from "../../../contract/jobs.ts";
import { png, pollUntil } from "../helpers.ts";

const source = (path: string) => `${inject("sourceUrl")}${path}`;

async function submitUrls(key: string, paths: string[]): Promise<Response> {
  return SELF.fetch("https://api.test/v1/jobs", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-API-Key": key },
    body: JSON.stringify({ items: paths.map((path) => ({ url: source(path) })), metrics: "median" }),
  });
}

async function jobOf(key: string, id: string): Promise<Job> {
  const res = await SELF.fetch(`https://api.test/v1/jobs/${id}`, { headers: { "X-API-Key": key } });
  return JobSchema.parse(await res.json());
}

async function cancel(key: string, id: string): Promise<void> {
  const res = await SELF.fetch(`https://api.test/v1/jobs/${id}`, { method: "DELETE", headers: { "X-API-Key": key } });
  expect([200, 204]).toContain(res.status);
}

/** Polls a job until `ok`, with a deadline; the last view either way (the caller's assertion says what was wanted). */
function waitFor(key: string, id: string, ok: (job: Job) => boolean, timeoutMs: number): Promise<Job> {
  return pollUntil(`job ${id}`, () => jobOf(key, id), ok, { timeoutMs, intervalMs: 250 }).catch(() => jobOf(key, id));
}

describe("fair share between keys", () => {
  it("another key's small job starts within seconds and ends within a minute, whatever the first key queued", async () => {
    const flood = "test-key-flood";
    const small = "test-key-small";
    // Key A: three jobs of 40 URLs whose server answers each after 1.5 s (the tests' URL deadline is 2 s).
    const floodJobs: string[] = [];
    for (let j = 0; j < 3; j++) {
      const paths = Array.from({ length: 40 }, (_, i) => `/slow/1500/${500 + j * 40 + i}`);
      const res = await submitUrls(flood, paths);
      expect(res.status).toBe(202);
      floodJobs.push(JobSchema.parse(await res.json()).job_id);
    }
    try {
      await waitFor(flood, floodJobs[0] as string, (job) => job.status === "running", 10_000);
      // Key B: twelve ordinary images, uploaded.
      const form = new FormData();
      for (let i = 0; i < 12; i++) form.append("images", new Blob([png(80 + i)], { type: "image/png" }), `b${i}.png`);
      const submittedAt = Date.now();
      const res = await SELF.fetch("https://api.test/v1/jobs?metrics=median", {
        method: "POST",
        headers: { "X-API-Key": small },
        body: form,
      });
      expect(res.status).toBe(202);
      const { job_id } = JobSchema.parse(await res.json());
      const started = await waitFor(small, job_id, (job) => job.done > 0, 15_000);
      expect(started.done, "key B's job started within 15 s").toBeGreaterThan(0);
      const done = await waitFor(
        small,
        job_id,
        (job) => job.status === "succeeded",
        60_000 - (Date.now() - submittedAt),
      );
      expect(done).toMatchObject({ status: "succeeded", done: 12, succeeded: 12 });
      // Meanwhile key A's third job waited its turn: only JOB_ACTIVE_JOBS_PER_KEY (2) of a key's jobs send items.
      const third = await jobOf(flood, floodJobs[2] as string);
      expect(third).toMatchObject({ status: "queued", done: 0 });
      expect((await jobOf(flood, floodJobs[0] as string)).done).toBeLessThan(40);
    } finally {
      for (const id of floodJobs) await cancel(flood, id);
    }
  }, 90_000);
});

describe("a key's budget of open items", () => {
  it("refuses a job that would take the key past JOB_MAX_OPEN_ITEMS_PER_KEY with 429 in words, and frees its items when a job ends", async () => {
    const key = "test-key-budget";
    // The tests' budget is 300 (vitest.config.ts). Slow items, so the first job is still open for the second.
    const slowPaths = (n: number, from: number) => Array.from({ length: n }, (_, i) => `/slow/1500/${from + i}`);
    const first = await submitUrls(key, slowPaths(250, 700));
    expect(first.status).toBe(202);
    const firstId = JobSchema.parse(await first.json()).job_id;
    const refused = await submitUrls(key, slowPaths(100, 950));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("60");
    expect(await refused.json()).toMatchObject({
      detail: {
        code: "too_many_open_items",
        open_items: 250,
        job_items: 100,
        max_open_items: 300,
        error: expect.stringContaining("cancel one"),
      },
    });
    // Another key is not affected by this one's budget.
    const other = await submitUrls("test-key-small", ["/png/960"]);
    expect(other.status).toBe(202);
    // The first job's end frees its items.
    await cancel(key, firstId);
    const accepted = await submitUrls(key, slowPaths(100, 950));
    expect(accepted.status).toBe(202);
    await cancel(key, JobSchema.parse(await accepted.json()).job_id);
  });
});

describe("a slow server", () => {
  it("gets two tries at most: a download_timeout is retried once, then the item fails with it", async () => {
    const path = "/slow/3000/990"; // the tests' URL deadline is 2 s
    const res = await submitUrls("test-key-small", [path]);
    expect(res.status).toBe(202);
    const { job_id } = JobSchema.parse(await res.json());
    const done = await waitFor("test-key-small", job_id, (job) => job.status === "succeeded", 30_000);
    expect(done).toMatchObject({ done: 1, failed: 1 });
    const lines = await SELF.fetch(`https://api.test/v1/jobs/${job_id}/results`, {
      headers: { "X-API-Key": "test-key-small" },
    });
    expect(JSON.parse(await lines.text())).toMatchObject({ status: "failed", error: { code: "download_timeout" } });
    const hits = (await (await fetch(`${inject("controlUrl")}/source-hits`)).json()) as Record<string, number>;
    expect(hits[path]).toBe(2);
  });
});
