/**
 * Batch jobs end to end in workerd: the real Worker, the job's Durable Object, Miniflare's queue (producer,
 * consumer, retries, dead-letter queue) and R2, the real container process behind them.
 */
import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { describe, expect, inject, it } from "vitest";
import { JobResultLineSchema, JobSchema } from "../../../contract/jobs.ts";
import { png } from "../helpers.ts";

const KEY = "test-key-main";
const source = (path: string) => `${inject("sourceUrl")}${path}`;

async function submit(body: unknown, headers: Record<string, string> = {}, key = KEY): Promise<Response> {
  return SELF.fetch("https://api.test/v1/jobs", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-API-Key": key, ...headers },
    body: JSON.stringify(body),
  });
}

async function job(id: string, key = KEY) {
  const res = await SELF.fetch(`https://api.test/v1/jobs/${id}`, { headers: { "X-API-Key": key } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls a job until it is finished (succeeded or cancelled). */
async function finished(id: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await job(id);
    if (body.status === "succeeded" || body.status === "cancelled") return JobSchema.parse(body);
    if (Date.now() > deadline)
      throw new Error(`job ${id} still ${body.status} after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function results(id: string, query = "") {
  const res = await SELF.fetch(`https://api.test/v1/jobs/${id}/results${query}`, { headers: { "X-API-Key": KEY } });
  return res;
}

describe("a JSON job of URLs", () => {
  it("is queued with 202 and Location, runs, and gives every item's answer in order", async () => {
    const items = [
      { url: source("/image.png"), id: "white" },
      { url: source("/octet"), id: "black" },
      { url: source("/status/404"), id: "missing" },
    ];
    const res = await submit({ items, metrics: "brightness,median" });
    expect(res.status).toBe(202);
    const created = JobSchema.parse(await res.json());
    expect(res.headers.get("Location")).toBe(`/v1/jobs/${created.job_id}`);
    expect(created).toMatchObject({ status: "queued", total: 3, done: 0 });

    const done = await finished(created.job_id);
    expect(done).toMatchObject({
      status: "succeeded",
      total: 3,
      done: 3,
      succeeded: 2,
      failed: 1,
      progress_percent: 100,
    });

    const ndjson = await results(created.job_id);
    expect(ndjson.headers.get("Content-Type")).toMatch(/^application\/x-ndjson/);
    const lines = (await ndjson.text())
      .trim()
      .split("\n")
      .map((line) => JobResultLineSchema.parse(JSON.parse(line)));
    expect(lines.map((l) => [l.index, l.id, l.status])).toEqual([
      [0, "white", "succeeded"],
      [1, "black", "succeeded"],
      [2, "missing", "failed"],
    ]);
    // Each equals the single-image answer for that image.
    const single = await SELF.fetch("https://api.test/v1/image/analysis/url", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-API-Key": KEY },
      body: JSON.stringify({ url: source("/image.png"), metrics: "brightness,median" }),
    });
    const { cached: _c, processing_time_ms: _p, ...expected } = (await single.json()) as Record<string, unknown>;
    expect(lines[0]?.status === "succeeded" && lines[0].result).toMatchObject(expected);
    expect(lines[2]?.status === "failed" && lines[2].error).toMatchObject({
      code: "download_failed",
      status_code: 404,
    });

    const csv = await results(created.job_id, "?format=csv");
    const rows = (await csv.text()).trim().split("\n");
    expect(rows[0]).toBe(
      "index,id,source,status,error_code,error,result.brightness_score,result.average_luminance,result.median_luminance,result.width,result.height,result.algorithm,result.format,result.oriented_width,result.oriented_height,result.analysed_width,result.analysed_height,result.cached,result.processing_time_ms",
    );
    expect(rows).toHaveLength(4);
    expect(rows[1]).toMatch(
      /^0,white,http:\/\/127\.0\.0\.1:\d+\/image\.png,succeeded,,,100,255,255,20,10,rec709,png,20,10,20,10,/,
    );
    expect(rows[3]).toMatch(/^2,missing,.*,failed,download_failed,Failed to download image from URL,,,/);
  });
});

describe("what a job refuses before anything is queued", () => {
  it.each([
    [{ items: [] }, 422, "validation_error"],
    [
      { items: [{ url: "https://example.com/a.png" }], callback_url: "http://127.0.0.2/hook" },
      400,
      "invalid_callback_url",
    ],
    [{ items: [{ url: "ftp://example.com/a.png" }] }, 400, "invalid_url_scheme"],
    [{ items: [{ url: "http://10.0.0.1/a.png" }] }, 400, "invalid_url"],
    [{ items: [{ url: "https://example.com/a.png" }], metrics: "colour" }, 400, "invalid_metrics"],
    [{ items: Array.from({ length: 1001 }, () => ({ url: "https://example.com/a.png" })) }, 413, "too_many_items"],
  ])("case %#", async (body, status, code) => {
    const res = await submit(body);
    expect(res.status).toBe(status);
    const text = await res.text();
    expect(text).toContain(`"code":"${code}"`);
  });
});

describe("ownership and idempotency", () => {
  it("shows another key 404 for the job, its results and its deletion", async () => {
    const { job_id } = JobSchema.parse(await (await submit({ items: [{ url: source("/image.png") }] })).json());
    const other = { headers: { "X-API-Key": "test-key-tenant-b" } };
    expect((await SELF.fetch(`https://api.test/v1/jobs/${job_id}`, other)).status).toBe(404);
    expect((await SELF.fetch(`https://api.test/v1/jobs/${job_id}/results`, other)).status).toBe(404);
    expect((await SELF.fetch(`https://api.test/v1/jobs/${job_id}`, { ...other, method: "DELETE" })).status).toBe(404);
    expect((await job(job_id)).status).toBe(200);
  });

  it("returns the same job for a replayed Idempotency-Key, and 409 for another body with it", async () => {
    const body = { items: [{ url: source("/image.png"), id: "a" }] };
    const first = JobSchema.parse(await (await submit(body, { "Idempotency-Key": "replay-1" })).json());
    const again = await submit(body, { "Idempotency-Key": "replay-1" });
    expect(again.status).toBe(202);
    expect(JobSchema.parse(await again.json()).job_id).toBe(first.job_id);
    const other = await submit({ items: [{ url: source("/octet") }] }, { "Idempotency-Key": "replay-1" });
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ detail: { code: "idempotency_conflict", job_id: first.job_id } });
  });
});

describe("a multipart job", () => {
  it("takes the files in the repeated field images, and analyses each", async () => {
    const form = new FormData();
    for (const i of [70, 71]) form.append("images", new Blob([png(i)], { type: "image/png" }), `p${i}.png`);
    const res = await SELF.fetch("https://api.test/v1/jobs?metrics=median", {
      method: "POST",
      headers: { "X-API-Key": KEY },
      body: form,
    });
    expect(res.status).toBe(202);
    const { job_id } = JobSchema.parse(await res.json());
    expect(await finished(job_id)).toMatchObject({ status: "succeeded", succeeded: 2 });
    const lines = (await (await results(job_id)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l: { id: string; source: string }) => [l.id, l.source])).toEqual([
      ["p70.png", "upload:p70.png"],
      ["p71.png", "upload:p71.png"],
    ]);
  });
});

describe("the webhook", () => {
  const TEST_WEBHOOK_SECRET = env.WEBHOOK_SECRET as string;
  const control = (path: string, init?: RequestInit) => fetch(`${inject("controlUrl")}${path}`, init);

  it("is POSTed when the job ends, retried after a failure, signed as Standard Webhooks says", async () => {
    await control("/hook-fail?times=1", { method: "POST" }); // the first delivery meets a 500
    const before = ((await (await control("/hooks")).json()) as unknown[]).length;
    const res = await submit({ items: [{ url: source("/png/1") }], callback_url: `${inject("controlUrl")}/hook` });
    const { job_id } = JobSchema.parse(await res.json());
    await finished(job_id);
    let hooks: Array<{ headers: Record<string, string>; body: string }> = [];
    const deadline = Date.now() + 15_000;
    while (hooks.length <= before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      hooks = (await (await control("/hooks")).json()) as typeof hooks;
    }
    const hook = hooks.at(-1);
    if (!hook) throw new Error("no webhook arrived");
    const payload = new Webhook(TEST_WEBHOOK_SECRET).verify(hook.body, hook.headers) as {
      type: string;
      data: { job_id: string; status: string; done: number };
    };
    expect(payload).toMatchObject({ type: "job.succeeded", data: { job_id, status: "succeeded", done: 1 } });
    expect(hook.headers["webhook-id"]).toBe(`msg_${job_id}_succeeded`);
    // A body changed on the way does not verify.
    const tampered = hook.body.replace('"done":1', '"done":2');
    expect(() => new Webhook(TEST_WEBHOOK_SECRET).verify(tampered, hook.headers)).toThrow(WebhookVerificationError);
  });
});

describe("cancellation and expiry", () => {
  it("cancels a running job: items not yet started are never analysed", async () => {
    const items = Array.from({ length: 120 }, (_, i) => ({ url: source(`/png/${200 + i}`) }));
    const { job_id } = JobSchema.parse(await (await submit({ items, metrics: "median" })).json());
    const res = await SELF.fetch(`https://api.test/v1/jobs/${job_id}`, {
      method: "DELETE",
      headers: { "X-API-Key": KEY },
    });
    expect(res.status).toBe(200);
    const cancelled = JobSchema.parse(await res.json());
    expect(cancelled.status).toBe("cancelled");
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const later = JobSchema.parse((await job(job_id)).body);
    // Only what was already running when the cancel came may finish; nothing else starts.
    expect(later.succeeded + later.failed).toBeLessThanOrEqual(cancelled.succeeded + cancelled.failed + 8);
    const lines = (await (await results(job_id)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(120);
    expect(lines.filter((l: { status: string }) => l.status === "cancelled").length).toBeGreaterThan(100);
    // A finished job's DELETE deletes it.
    expect(
      (await SELF.fetch(`https://api.test/v1/jobs/${job_id}`, { method: "DELETE", headers: { "X-API-Key": KEY } }))
        .status,
    ).toBe(204);
    expect((await job(job_id)).status).toBe(404);
  });

  it("deletes the job's rows, its R2 uploads and its list entry when it expires", async () => {
    const form = new FormData();
    form.append("images", new Blob([png(72)], { type: "image/png" }), "a.png");
    const res = await SELF.fetch("https://api.test/v1/jobs", {
      method: "POST",
      headers: { "X-API-Key": KEY },
      body: form,
    });
    const { job_id } = JobSchema.parse(await res.json());
    await finished(job_id);
    await env.UPLOADS.put(`jobs/${job_id}/leftover`, "x"); // what a failed delete could have left
    const listed = async () =>
      (
        (await (await SELF.fetch("https://api.test/v1/jobs?limit=100", { headers: { "X-API-Key": KEY } })).json()) as {
          jobs: Array<{ job_id: string }>;
        }
      ).jobs.map((j) => j.job_id);
    expect(await listed()).toContain(job_id);

    const stub = env.JOBS.getByName(job_id);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE job SET expires_at = ?", Date.now() - 1);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await job(job_id)).status).toBe(404);
    expect((await env.UPLOADS.list({ prefix: `jobs/${job_id}/` })).objects).toHaveLength(0);
    expect(await listed()).not.toContain(job_id);
    const tables = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql
        .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('job','items')")
        .toArray(),
    );
    expect(tables).toEqual([]);
  });
});

describe("GET /v1/jobs", () => {
  it("lists the caller's jobs newest first, a page at a time with a cursor", async () => {
    const key = "test-key-edge";
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(JobSchema.parse(await (await submit({ items: [{ url: source("/png/5") }] }, {}, key)).json()).job_id);
    }
    const page = async (query: string) =>
      (await (await SELF.fetch(`https://api.test/v1/jobs${query}`, { headers: { "X-API-Key": key } })).json()) as {
        jobs: Array<{ job_id: string }>;
        next_cursor: string | null;
      };
    const first = await page("?limit=2");
    expect(first.jobs.map((j) => j.job_id)).toEqual([ids[2], ids[1]]);
    expect(first.next_cursor).not.toBeNull();
    const second = await page(`?limit=2&cursor=${encodeURIComponent(first.next_cursor as string)}`);
    expect(second.jobs.map((j) => j.job_id)).toEqual([ids[0]]);
    expect(second.next_cursor).toBeNull();
  });
});
