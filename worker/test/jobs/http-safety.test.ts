/**
 * What the job routes must never do, whatever fails around them: end a broken results download as if it were
 * complete, pass a mangled list cursor to KV, or take a webhook URL (which often carries a token) from the query
 * string, where logs keep it.
 */
import { createExecutionContext, env, SELF } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, inject, it, vi } from "vitest";
import { parseAnalysisParams } from "../../../contract/analysis.ts";
import { type JobResultLine, JobSchema } from "../../../contract/jobs.ts";
import type { AnalysisResponseBody } from "../../../contract/schemas.ts";
import { createApp } from "../../src/app.ts";
import { encodeCursor } from "../../src/jobs/cursor.ts";
import { type BatchJob, RESULT_PAGE_SIZE } from "../../src/jobs/job.ts";
import { pageStream, type ResultPage } from "../../src/jobs/results.ts";
import { jobIdFor } from "../../src/jobs/route.ts";
import { INLINE_FILE_MAX_BYTES } from "../../src/jobs/uploads.ts";
import { runIn } from "../durable-objects.ts";
import { png, pollUntil, sha256Hex } from "../helpers.ts";

const KEY = "test-key-main";
const source = (path: string) => `${inject("sourceUrl")}${path}`;
/** The owner a key's jobs are recorded under (auth/index.ts: the key's SHA-256, 16 hex digits). */
const ownerOfKey = async (key: string) => `key:${(await sha256Hex(key)).slice(0, 16)}`;

const resultOf = (index: number) => ({ median_luminance: index }) as unknown as AnalysisResponseBody;
const line = (index: number): JobResultLine => ({
  index,
  id: null,
  source: `https://example.com/${index}`,
  status: "succeeded",
  result: resultOf(index),
});
const ndjson = (lines: JobResultLine[]) =>
  new TextEncoder().encode(lines.map((l) => `${JSON.stringify(l)}\n`).join(""));

describe("a results download whose page read fails half-way", () => {
  const first: ResultPage = { lines: [line(0), line(1)], next: 1 };

  it("errors the stream (the caller's read rejects) when the second page's read throws, and logs it", async () => {
    const logged = vi.spyOn(console, "error");
    const reads: number[] = [];
    const stream = pageStream(
      first,
      async (after) => {
        reads.push(after);
        throw new Error("Durable Object reset because its code was updated");
      },
      ndjson,
      { jobId: "job_test" },
    );
    await expect(new Response(stream).text()).rejects.toThrow(/Durable Object reset/);
    expect(reads).toEqual([1]);
    const lines = logged.mock.calls.map(([text]) => JSON.parse(String(text)) as Record<string, unknown>);
    logged.mockRestore();
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: "error",
        msg: "job results download broken",
        job_id: "job_test",
        after: 1,
        cause: expect.stringContaining("Durable Object reset"),
      }),
    );
  });

  it("errors the stream when the job is gone by the second page (a deleted job is no complete download)", async () => {
    const stream = pageStream(first, async () => null, ndjson, { jobId: "job_test" });
    await expect(new Response(stream).text()).rejects.toThrow(/deleted during the download/);
  });

  it("ends cleanly with every line, in order, when every page is read", async () => {
    const pages = new Map<number, ResultPage>([
      [1, { lines: [line(2), line(3)], next: 3 }],
      [3, { lines: [line(4)], next: null }],
    ]);
    const stream = pageStream(first, async (after) => pages.get(after) ?? null, ndjson, { jobId: "job_test" });
    const text = await new Response(stream).text();
    expect(
      text
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as JobResultLine).index),
    ).toEqual([0, 1, 2, 3, 4]);
  });

  it("reaches the caller of GET /v1/jobs/{id}/results as a broken body, not fewer lines", async () => {
    // A job of RESULT_PAGE_SIZE + 1 finished items: two pages. Made in its own object, with every item recorded
    // in the same call, so its alarm finds nothing to send to the queue.
    const total = RESULT_PAGE_SIZE + 1;
    const jobId = `job_${"5".repeat(32)}`;
    const stub = env.JOBS.getByName(jobId);
    const owner = await ownerOfKey(KEY);
    await runIn(stub, async (job: BatchJob) => {
      const urls = Array.from({ length: total }, (_, i) => `https://example.com/${i}`);
      await job.create({
        jobId,
        owner,
        fingerprint: "f",
        params: parseAnalysisParams(new URLSearchParams("metrics=median")),
        partition: "shared",
        callbackUrl: null,
        items: urls.map((url) => ({ ref: null, source: url, kind: "url", url })),
      });
      await job.claimMany(urls.map((_, i) => i));
      await job.recordMany(urls.map((_, i) => ({ index: i, outcome: { ok: true, result: resultOf(i) } })));
    });
    const read = () => SELF.fetch(`https://api.test/v1/jobs/${jobId}/results`, { headers: { "X-API-Key": KEY } });
    // Unbroken, the download has every line: the two pages are really there.
    expect((await (await read()).text()).trim().split("\n")).toHaveLength(total);

    // The second page's read fails: the class's method is replaced for the duration (calls into the object find
    // their method on its prototype), and put back whatever happens. It throws (storage failed), or it finds no
    // job (deleted between the two reads: `results` answers null, as for any job that is not there).
    const proto = await runIn(stub, (instance: BatchJob) => Object.getPrototypeOf(instance) as BatchJob);
    const original = proto.results;
    for (const failure of ["throws", "job deleted"] as const) {
      const calls: number[] = [];
      proto.results = async function (this: BatchJob, who: string, after: number) {
        calls.push(after);
        if (after < 0) return original.call(this, who, after);
        if (failure === "throws") throw new Error("storage read failed (test)");
        return null;
      };
      try {
        const res = await read();
        expect(res.status, failure).toBe(200); // the first page was sent before the second failed
        await expect(res.text(), failure).rejects.toThrow();
        expect(calls, failure).toEqual([-1, RESULT_PAGE_SIZE - 1]);
      } finally {
        proto.results = original;
      }
    }
  });
});

describe("GET /v1/jobs?cursor=", () => {
  const list = (key: string, query: string) =>
    SELF.fetch(`https://api.test/v1/jobs${query}`, { headers: { "X-API-Key": key } });
  const page = async (key: string, query: string) => {
    const res = await list(key, query);
    expect(res.status).toBe(200);
    return (await res.json()) as { jobs: Array<{ job_id: string }>; next_cursor: string | null };
  };
  const submit = async (key: string) => {
    const res = await SELF.fetch("https://api.test/v1/jobs", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-API-Key": key },
      body: JSON.stringify({ items: [{ url: source("/png/6") }] }),
    });
    expect(res.status).toBe(202);
    return JobSchema.parse(await res.json()).job_id;
  };
  const expectInvalidCursor = async (res: Response) => {
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      detail: {
        code: "invalid_cursor",
        error: expect.stringContaining("pass next_cursor from the previous page exactly as it came"),
      },
    });
  };

  it("walks every page with limit=1 by each page's next_cursor, and refuses a mangled or foreign cursor", async () => {
    const key = "test-key-tenant-b";
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await submit(key));
    const seen: string[] = [];
    let cursor: string | null = null;
    const cursors: string[] = [];
    do {
      const query: string = cursor === null ? "?limit=1" : `?limit=1&cursor=${encodeURIComponent(cursor)}`;
      const got = await page(key, query);
      expect(got.jobs).toHaveLength(1);
      seen.push(...got.jobs.map((j) => j.job_id));
      cursor = got.next_cursor;
      if (cursor !== null) cursors.push(cursor);
    } while (cursor !== null && seen.length < 10);
    expect(seen).toEqual([...ids].reverse()); // newest first, each once, none skipped
    const real = cursors[0] as string;

    await expectInvalidCursor(await list(key, "?limit=1&cursor=garbage"));
    await expectInvalidCursor(await list(key, `?limit=1&cursor=${encodeURIComponent(real.slice(0, -1))}`));
    await expectInvalidCursor(await list(key, `?limit=1&cursor=${encodeURIComponent(`x${real}`)}`));
    // Another key's cursor is not this key's place in its own list.
    await expectInvalidCursor(await list(KEY, `?limit=1&cursor=${encodeURIComponent(real)}`));
  });

  it("answers 400, not 500, when KV refuses a well-formed cursor", async () => {
    const owner = await ownerOfKey(KEY);
    const cursor = await encodeCursor(owner, "a-cursor-kv-no-longer-knows");
    const failingKv = {
      ...env.RESULTS,
      list: async () => {
        throw new Error("KV LIST failed: 400 Bad Request");
      },
    } as unknown as KVNamespace;
    const res = await createApp().fetch(
      new Request(`https://api.test/v1/jobs?cursor=${encodeURIComponent(cursor)}`, { headers: { "X-API-Key": KEY } }),
      { ...env, RESULTS: failingKv },
      createExecutionContext(),
    );
    await expectInvalidCursor(res);
  });
});

describe("callback_url", () => {
  const control = (path: string) => fetch(`${inject("controlUrl")}${path}`);
  /** A valid PNG over INLINE_FILE_MAX_BYTES (random bytes after its end, which decoders ignore): kept in R2. */
  const bigPng = (i: number) => {
    const head = png(i);
    const big = new Uint8Array(head.length + INLINE_FILE_MAX_BYTES);
    big.set(head);
    for (let at = head.length; at < big.length; at += 65_536) {
      crypto.getRandomValues(big.subarray(at, Math.min(big.length, at + 65_536)));
    }
    return big;
  };
  const post = (query: string, body: FormData | string, headers: Record<string, string> = {}) =>
    SELF.fetch(`https://api.test/v1/jobs${query}`, {
      method: "POST",
      headers: {
        "X-API-Key": KEY,
        ...(typeof body === "string" ? { "Content-Type": "application/json" } : {}),
        ...headers,
      },
      body,
    });
  const stored = async (idempotencyKey: string) => {
    const jobId = await jobIdFor(await ownerOfKey(KEY), idempotencyKey);
    return (await env.UPLOADS.list({ prefix: `jobs/${jobId}/` })).objects.map((o) => o.key);
  };

  it("is taken from a multipart form field, and the webhook is called, signed with the key's own secret", async () => {
    const form = new FormData();
    form.append("images", new Blob([png(41)], { type: "image/png" }), "a.png");
    form.append("callback_url", `${inject("controlUrl")}/hook`);
    const res = await post("?metrics=median", form);
    expect(res.status).toBe(202);
    const { job_id } = JobSchema.parse(await res.json());
    const { secret } = (await (
      await SELF.fetch("https://api.test/v1/webhooks/secret", { headers: { "X-API-Key": KEY } })
    ).json()) as { secret: string };
    type Hook = { headers: Record<string, string>; body: string };
    const hookOfJob = async () => {
      const hooks = (await (await control("/hooks")).json()) as Hook[];
      return hooks.find((h) => (JSON.parse(h.body) as { data: { job_id: string } }).data.job_id === job_id) ?? null;
    };
    const hook = await pollUntil(`the webhook of job ${job_id}`, hookOfJob, (found): found is Hook => found !== null, {
      timeoutMs: 20_000,
      intervalMs: 250,
    });
    // What GET /v1/webhooks/secret gave this key verifies the delivery (and so nothing of another key's).
    expect(new Webhook(secret).verify(hook.body, hook.headers)).toMatchObject({
      type: "job.succeeded",
      data: { job_id, status: "succeeded", total: 1 },
    });
  });

  it("in the query is refused with 400 in words, before any file is stored", async () => {
    const form = new FormData();
    form.append("images", new Blob([bigPng(42)], { type: "image/png" }), "big.png");
    const hook = encodeURIComponent(`${inject("controlUrl")}/hook?token=secret`);
    const res = await post(`?metrics=median&callback_url=${hook}`, form, { "Idempotency-Key": "cb-in-query" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      detail: {
        code: "invalid_callback_url",
        error:
          "Send callback_url as a form field (multipart) or in the JSON body, never in the URL: URLs end up in logs",
      },
    });
    expect(await stored("cb-in-query")).toEqual([]);
    // A JSON submission too: its callback_url belongs in the body.
    const json = await post(`?callback_url=${hook}`, JSON.stringify({ items: [{ url: source("/png/7") }] }));
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ detail: { code: "invalid_callback_url" } });
  });

  it("as a form field that is refused, or sent twice, stores nothing", async () => {
    for (const [idempotencyKey, hooks] of [
      ["cb-private", ["http://127.0.0.2/hook"]],
      ["cb-twice", [`${inject("controlUrl")}/hook`, `${inject("controlUrl")}/hook2`]],
    ] as const) {
      const form = new FormData();
      // The file first: it is in R2 by the time the field is read.
      form.append("images", new Blob([bigPng(43)], { type: "image/png" }), "big.png");
      for (const hook of hooks) form.append("callback_url", hook);
      const res = await post("?metrics=median", form, { "Idempotency-Key": idempotencyKey });
      expect(res.status, idempotencyKey).toBe(400);
      expect(await res.json()).toMatchObject({ detail: { code: "invalid_callback_url" } });
      expect(await stored(idempotencyKey)).toEqual([]);
    }
  });
});
