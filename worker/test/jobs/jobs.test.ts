/**
 * Batch jobs end to end in workerd: the real Worker, the job's Durable Object, Miniflare's queue (producer,
 * consumer, retries, dead-letter queue) and R2, the real container process behind them.
 */
import { env, runDurableObjectAlarm, SELF } from "cloudflare:test";
import { parse } from "csv-parse/sync";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { describe, expect, inject, it } from "vitest";
import { parseAnalysisParams } from "../../../contract/analysis.ts";
import { type JobResultLine, JobResultLineSchema, JobSchema } from "../../../contract/jobs.ts";
import { flattenResult, type ResultCell, resultColumns } from "../../../contract/result-columns.ts";
import type { AnalysisResponseBody } from "../../../contract/schemas.ts";
import { JOB_ITEMS_IN_FLIGHT_MAX } from "../../src/config.ts";
import type { BatchJob } from "../../src/jobs/job.ts";
import type { ItemOutcome, JobSpec } from "../../src/jobs/messages.ts";
import { INLINE_FILE_MAX_BYTES } from "../../src/jobs/uploads.ts";
import { runIn } from "../durable-objects.ts";
import { containerCounters, png, pollUntil, pollUntilQuiet, upload } from "../helpers.ts";
import { stripesPng } from "./stripes.ts";

const KEY = "test-key-main";
const source = (path: string) => `${inject("sourceUrl")}${path}`;

/**
 * A result's field names as CSV columns: a null object (a PNG's metadata.exif, a still image's animation) stands
 * for its fields, which are its empty cells.
 */
function fieldsOf(result: unknown, columns: readonly string[]): string[] {
  return Object.entries(flattenResult(result)).flatMap(([key, value]) => {
    const inner = value === null ? columns.filter((c) => c.startsWith(`${key}.`)) : [];
    return inner.length > 0 ? inner : [key];
  });
}

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
  const { body } = await pollUntil(
    `job ${id} finished`,
    () => job(id),
    ({ body }) => body.status === "succeeded" || body.status === "cancelled",
    { timeoutMs, intervalMs: 200 },
  );
  return JobSchema.parse(body);
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
    const rows = parse<Record<string, string>>(await csv.text(), { columns: true });
    expect(rows).toHaveLength(3);
    expect(Object.keys(rows[0] ?? {})).toEqual([
      "index",
      "id",
      "source",
      "status",
      "error_code",
      "error",
      "result.brightness_score",
      "result.average_luminance",
      "result.median_luminance",
      "result.width",
      "result.height",
      "result.algorithm",
      "result.format",
      "result.oriented_width",
      "result.oriented_height",
      "result.analysed_width",
      "result.analysed_height",
      "result.cached",
      "result.processing_time_ms",
    ]);
    expect(rows[0]).toMatchObject({
      index: "0",
      id: "white",
      source: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/image\.png$/),
      status: "succeeded",
      error_code: "",
      error: "",
      "result.brightness_score": "100",
      "result.average_luminance": "255",
      "result.median_luminance": "255",
      "result.width": "20",
      "result.height": "10",
      "result.algorithm": "rec709",
      "result.format": "png",
      "result.oriented_width": "20",
      "result.oriented_height": "10",
      "result.analysed_width": "20",
      "result.analysed_height": "10",
    });
    expect(rows[2]).toMatchObject({
      index: "2",
      id: "missing",
      status: "failed",
      error_code: "download_failed",
      error: "Failed to download image from URL",
      "result.brightness_score": "",
      "result.average_luminance": "",
    });
  });
});

describe("the CSV's columns", () => {
  const BASE_COLUMNS = ["index", "id", "source", "status", "error_code", "error"];
  /** Six clearly different colours: more than the five clusters metrics=colors finds by default. */
  const SIX: Array<[number, number, number]> = [
    [230, 25, 75],
    [60, 180, 75],
    [255, 225, 25],
    [0, 130, 200],
    [245, 130, 48],
    [145, 30, 180],
  ];
  /** What a cell says for a result's value: empty for none, booleans and numbers as JSON writes them. */
  const cell = (value: ResultCell | undefined) => (value === null || value === undefined ? "" : String(value));

  async function fileJob(files: Array<[string, Uint8Array]>, query: string): Promise<string> {
    const form = new FormData();
    for (const [name, bytes] of files) form.append("images", new Blob([bytes], { type: "image/png" }), name);
    const res = await SELF.fetch(`https://api.test/v1/jobs?${query}`, {
      method: "POST",
      headers: { "X-API-Key": KEY },
      body: form,
    });
    expect(res.status).toBe(202);
    const { job_id } = JobSchema.parse(await res.json());
    await finished(job_id);
    return job_id;
  }

  /**
   * The job's NDJSON lines (checked against the contract, but as sent: zod's copy would list the fields in the
   * schema's order), its CSV's raw header line, and the CSV's cells.
   */
  async function bothFormats(jobId: string) {
    const lines = (await (await results(jobId)).text())
      .trim()
      .split("\n")
      .map((l) => {
        const line = JSON.parse(l) as JobResultLine;
        JobResultLineSchema.parse(line);
        return line;
      });
    const csv = await results(jobId, "?format=csv");
    expect(csv.headers.get("Content-Type")).toMatch(/^text\/csv/);
    const text = await csv.text();
    // Rows as arrays rather than records: these tests read cells by position, against the header in full.
    const [header = [], ...rows] = parse(text);
    return { lines, headerLine: text.slice(0, text.indexOf("\n")), header, rows };
  }

  /** Each succeeded line's every value is in its column, and every other result cell of its row is empty. */
  function expectRowsHoldEveryValue(lines: JobResultLine[], header: string[], rows: string[][]) {
    const columns = header.slice(BASE_COLUMNS.length).map((c) => c.replace(/^result\./, ""));
    expect(rows).toHaveLength(lines.length);
    for (const [i, line] of lines.entries()) {
      const row = rows[i] as string[];
      expect(row.slice(0, 4)).toEqual([String(line.index), line.id ?? "", line.source, line.status]);
      const flat = line.status === "succeeded" ? flattenResult(line.result) : {};
      // No value without a column (a null object's fields are columns of their own).
      expect(columns).toEqual(
        expect.arrayContaining(line.status === "succeeded" ? fieldsOf(line.result, columns) : []),
      );
      expect(row.slice(BASE_COLUMNS.length)).toEqual(columns.map((column) => cell(flat[column])));
    }
  }

  it("come from the job's parameters: a later image with more dominant colours keeps every value", async () => {
    const query = "metrics=colors&colors=5";
    const jobId = await fileJob(
      [
        ["flat.png", png(75)],
        ["stripes.png", await stripesPng(SIX)],
      ],
      query,
    );
    const { lines, header, rows } = await bothFormats(jobId);
    const dominant = lines.map((l) => (l.status === "succeeded" ? l.result.colors?.dominant.length : null));
    expect(dominant).toEqual([1, 5]); // the first result has fewer colours than the second
    expect(header).toEqual([
      ...BASE_COLUMNS,
      ...resultColumns(parseAnalysisParams(new URLSearchParams(query))).map((c) => `result.${c}`),
    ]);
    expectRowsHoldEveryValue(lines, header, rows);
    const at = (column: string) => header.indexOf(`result.${column}`);
    const second = lines[1]?.status === "succeeded" ? lines[1].result.colors?.dominant : undefined;
    expect(rows.map((row) => row[at("colors.dominant.4.hex")])).toEqual(["", second?.[4]?.hex]);
    expect(rows.map((row) => row[at("colors.dominant.4.percent")])).toEqual(["", String(second?.[4]?.percent)]);
  });

  it("are the same for two jobs with the same parameters, and a failed item's result cells are empty", async () => {
    const query = "metrics=colors&colors=5";
    const first = await fileJob([["flat.png", png(76)]], query);
    // A PNG's signature and nothing of an image after it: accepted by its magic bytes, refused by the decoder.
    const broken = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Uint8Array(64).fill(7)]);
    const second = await fileJob(
      [
        ["stripes.png", await stripesPng(SIX)],
        ["broken.png", broken],
        ["flat.png", png(77)],
      ],
      query,
    );
    const a = await bothFormats(first);
    const b = await bothFormats(second);
    expect(b.headerLine).toBe(a.headerLine);
    expect(b.lines.map((l) => l.status)).toEqual(["succeeded", "failed", "succeeded"]);
    const failed = b.rows[1] as string[];
    expect(failed.slice(3, 6)).toEqual(["failed", "invalid_image", expect.stringMatching(/\S/)]);
    expect(failed.slice(BASE_COLUMNS.length).every((value) => value === "")).toBe(true);
    expectRowsHoldEveryValue(b.lines, b.header, b.rows);
  });

  it("for metrics=all&edge_mode=all list the overlay bands, every field in the order of a real answer", async () => {
    const stripes = await stripesPng(SIX);
    const jobId = await fileJob([["stripes.png", stripes]], "metrics=all&edge_mode=all");
    const { lines, header, rows } = await bothFormats(jobId);
    for (const band of ["left", "right", "top", "bottom"]) {
      for (const field of ["text_color", "contrast_ratio", "wcag_aa", "wcag_aa_large"]) {
        expect(header).toContain(`result.overlay.bands.${band}.${field}`);
      }
    }
    const line = lines[0];
    if (line?.status !== "succeeded") throw new Error(`expected a result, got ${JSON.stringify(line)}`);
    // The stripes fill every field (five colours, four visible bands; a PNG's missing EXIF and a still image's
    // animation are null objects, their fields' empty cells): the header is exactly the answer's fields.
    const columns = header.slice(BASE_COLUMNS.length).map((c) => c.replace(/^result\./, ""));
    expect(columns).toEqual(fieldsOf(line.result, columns));
    expectRowsHoldEveryValue(lines, header, rows);
    expect(rows[0]?.[header.indexOf("result.overlay.wcag_aa_large")]).toMatch(/^(true|false)$/);
  });

  it.each([
    "metrics=all&edge_mode=left_right&colors=3",
    "metrics=brightness,median,histogram&edge_mode=top_bottom&algorithm=lstar",
    "metrics=overlay,placeholder,sharpness",
  ])("name every field of a single answer, in its order (%s)", async (query) => {
    const res = await upload(await stripesPng(SIX), { query: `?${query}` });
    expect(res.status).toBe(200);
    const columns = resultColumns(parseAnalysisParams(new URLSearchParams(query)));
    expect(fieldsOf(await res.json(), columns)).toEqual(columns);
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
  it("takes the files in the repeated field images, and analyses each as a single upload would be", async () => {
    // Two small files (kept in the job's rows) and one over INLINE_FILE_MAX_BYTES (kept in R2): a PNG with
    // random bytes after its end, which decoders ignore.
    const big = new Uint8Array(png(73).length + INLINE_FILE_MAX_BYTES);
    big.set(png(73));
    for (let at = png(73).length; at < big.length; at += 65_536) {
      crypto.getRandomValues(big.subarray(at, Math.min(big.length, at + 65_536)));
    }
    const files: Array<[string, Uint8Array]> = [
      ["p70.png", png(70)],
      ["p71.png", png(71)],
      ["big.png", big],
    ];
    const form = new FormData();
    for (const [name, bytes] of files) form.append("images", new Blob([bytes], { type: "image/png" }), name);
    const res = await SELF.fetch("https://api.test/v1/jobs?metrics=median", {
      method: "POST",
      headers: { "X-API-Key": KEY },
      body: form,
    });
    expect(res.status).toBe(202);
    const { job_id } = JobSchema.parse(await res.json());
    expect(await finished(job_id)).toMatchObject({ status: "succeeded", succeeded: 3 });
    const lines = (await (await results(job_id)).text())
      .trim()
      .split("\n")
      .map((l) => JobResultLineSchema.parse(JSON.parse(l)));
    expect(lines.map((l) => [l.id, l.source])).toEqual(files.map(([name]) => [name, `upload:${name}`]));
    for (const [i, [, bytes]] of files.entries()) {
      const {
        cached: _c,
        processing_time_ms: _p,
        ...single
      } = (await (await upload(bytes, { query: "?metrics=median" })).json()) as Record<string, unknown>;
      const line = lines[i];
      expect(line?.status === "succeeded" && line.result).toMatchObject(single);
    }
    // Where the files were kept: the small ones in their rows, the big one in R2; no bytes once finished.
    const rows = await runIn(env.JOBS.getByName(job_id), (_instance, state) =>
      state.storage.sql.exec("SELECT upload_key, bytes IS NULL AS dropped FROM items ORDER BY idx").toArray(),
    );
    expect(rows).toEqual([
      { upload_key: null, dropped: 1 },
      { upload_key: null, dropped: 1 },
      // Under the submission's own attempt folder (submit.ts), inside the job's prefix.
      { upload_key: expect.stringMatching(new RegExp(`^jobs/${job_id}/[0-9a-f]{16}/2$`)), dropped: 1 },
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
    const hooks = await pollUntil(
      "the webhook",
      async () => (await (await control("/hooks")).json()) as Array<{ headers: Record<string, string>; body: string }>,
      (received) => received.length > before,
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    const hook = hooks.at(-1);
    if (!hook) throw new Error("no webhook arrived");
    // Signed with the key's own secret (GET /v1/webhooks/secret), never with the operator's root secret, which
    // would let every tenant forge every other's webhooks.
    const secretOf = async (key: string) =>
      (
        (await (await SELF.fetch("https://api.test/v1/webhooks/secret", { headers: { "X-API-Key": key } })).json()) as {
          secret: string;
        }
      ).secret;
    const own = await secretOf(KEY);
    for (const other of [TEST_WEBHOOK_SECRET, await secretOf("test-key-tenant-b")]) {
      expect(() => new Webhook(other).verify(hook.body, hook.headers)).toThrow(WebhookVerificationError);
    }
    const payload = new Webhook(own).verify(hook.body, hook.headers) as {
      type: string;
      data: { job_id: string; status: string; done: number };
    };
    expect(payload).toMatchObject({ type: "job.succeeded", data: { job_id, status: "succeeded", done: 1 } });
    expect(hook.headers["webhook-id"]).toBe(`msg_${job_id}_succeeded`);
    // A body changed on the way does not verify.
    const tampered = hook.body.replace('"done":1', '"done":2');
    expect(() => new Webhook(own).verify(tampered, hook.headers)).toThrow(WebhookVerificationError);
  });
});

describe("cancellation and expiry", () => {
  it("cancels a running job: its counts are final at once, and items not yet started are never analysed", async () => {
    const paths = Array.from({ length: 120 }, (_, i) => `/png/${200 + i}`);
    const downloads = async () => {
      const hits = (await (await fetch(`${inject("controlUrl")}/source-hits`)).json()) as Record<string, number>;
      return paths.reduce((sum, path) => sum + (hits[path] ?? 0), 0);
    };
    const items = paths.map((path) => ({ url: source(path) }));
    const { job_id } = JobSchema.parse(await (await submit({ items, metrics: "median" })).json());
    // Cancelled once the consumer is at work on it.
    await pollUntil("the consumer downloading the job's items", downloads, (n) => n > 0, {
      timeoutMs: 15_000,
      intervalMs: 5,
    });
    const res = await SELF.fetch(`https://api.test/v1/jobs/${job_id}`, {
      method: "DELETE",
      headers: { "X-API-Key": KEY },
    });
    expect(res.status).toBe(200);
    const atCancel = await downloads();
    const cancelled = JobSchema.parse(await res.json());
    expect(cancelled).toMatchObject({ status: "cancelled", done: 120 });
    // Looked at again once the consumer has finished what it had started: no download and no analysis for a
    // second, nothing in the container.
    await pollUntilQuiet(
      "the consumer done with the cancelled job",
      async () => ({ downloads: await downloads(), container: await containerCounters() }),
      ({ container }) => container.in_flight === 0,
    );
    const later = JobSchema.parse((await job(job_id)).body);
    expect(later).toMatchObject({ done: 120, succeeded: cancelled.succeeded, failed: cancelled.failed });
    // What the consumer had started may finish its download (each of an invocation's lanes may also start one
    // more before a record tells it of the cancellation); nothing else starts.
    expect((await downloads()) - atCancel).toBeLessThanOrEqual(JOB_ITEMS_IN_FLIGHT_MAX * 2);
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
    await runIn(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE job SET expires_at = ?", Date.now() - 1);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await job(job_id)).status).toBe(404);
    expect((await env.UPLOADS.list({ prefix: `jobs/${job_id}/` })).objects).toHaveLength(0);
    expect(await listed()).not.toContain(job_id);
    const tables = await runIn(stub, (_instance, state) =>
      state.storage.sql
        .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('job','items')")
        .toArray(),
    );
    expect(tables).toEqual([]);
  });
});

describe("the job's own records", () => {
  const params = parseAnalysisParams(new URLSearchParams("metrics=median"));
  const spec = (jobId: string, urls: string[]): JobSpec => ({
    jobId,
    owner: "key:records",
    fingerprint: "f",
    params,
    partition: "shared",
    callbackUrl: null,
    items: urls.map((url) => ({ ref: null, source: url, kind: "url", url })),
  });
  const succeeded = (median: number): ItemOutcome => ({
    ok: true,
    result: { median_luminance: median } as unknown as AnalysisResponseBody,
  });
  const failed: ItemOutcome = {
    ok: false,
    error: { error: "Failed to download image from URL", code: "download_failed", request_id: "r" },
  };

  it("records each item once, however often and however grouped its records come", async () => {
    const jobId = `job_${"1".repeat(32)}`;
    // One event in the job's own object: nothing else (its alarm, the queue) runs in between.
    await runIn(env.JOBS.getByName(jobId), async (job: BatchJob) => {
      await job.create(spec(jobId, ["https://example.com/0", "https://example.com/1", "https://example.com/2"]));
      const claims = await job.claimMany([2, 0, 2]);
      // The same item twice in one call is claimed once: two claims of one item are never valid at once.
      expect(claims.map((c) => [c?.item.url, c?.params, c?.attempt])).toEqual([
        ["https://example.com/2", params, 1],
        ["https://example.com/0", params, 1],
        [undefined, undefined, undefined],
      ]);
      expect(
        await job.recordMany([
          { index: 0, outcome: succeeded(10) },
          { index: 0, outcome: failed },
        ]),
      ).toEqual({
        recorded: [true, false],
        stop: false,
      });
      expect(await job.recordMany([{ index: 1, outcome: failed }])).toEqual({ recorded: [true], stop: false });
      // A redelivery: the record changes nothing, the claim hands out nothing.
      expect(await job.recordMany([{ index: 1, outcome: succeeded(99) }])).toEqual({ recorded: [false], stop: false });
      expect(await job.claimMany([0, 1])).toEqual([null, null]);
      expect(await job.view("key:records")).toMatchObject({ status: "running", done: 2, succeeded: 1, failed: 1 });
      await job.recordMany([{ index: 2, outcome: succeeded(30) }]);
      expect(await job.view("key:records")).toMatchObject({ status: "succeeded", done: 3, succeeded: 2, failed: 1 });
      const page = await job.results("key:records", -1);
      expect(page?.lines.map((l) => [l.index, l.status])).toEqual([
        [0, "succeeded"],
        [1, "failed"],
        [2, "succeeded"],
      ]);
      expect(page?.lines[0]?.status === "succeeded" && page.lines[0].result).toEqual({ median_luminance: 10 });
    });
  });

  it("runs a job created before small files were kept in its rows", async () => {
    const jobId = `job_${"2".repeat(32)}`;
    await runIn(env.JOBS.getByName(jobId), async (job: BatchJob, state) => {
      // The first release's tables, with one item of an uploaded file in R2.
      state.storage.sql.exec(`CREATE TABLE job (one INTEGER PRIMARY KEY CHECK (one = 1), job_id TEXT NOT NULL,
        owner TEXT NOT NULL, fingerprint TEXT NOT NULL, params TEXT NOT NULL, partition TEXT NOT NULL, callback_url TEXT,
        status TEXT NOT NULL, total INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        finished_at INTEGER, expires_at INTEGER NOT NULL, webhook_attempts INTEGER NOT NULL DEFAULT 0,
        webhook_next_at INTEGER)`);
      state.storage.sql.exec(`CREATE TABLE items (idx INTEGER PRIMARY KEY, ref TEXT, source TEXT NOT NULL,
        kind TEXT NOT NULL, url TEXT, upload_key TEXT, state TEXT NOT NULL, enqueued_at INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0, result TEXT, error TEXT)`);
      const now = Date.now();
      state.storage.sql.exec(
        `INSERT INTO job (one, job_id, owner, fingerprint, params, partition, status, total, created_at, updated_at,
         expires_at) VALUES (1, ?, 'key:records', 'f', ?, 'shared', 'queued', 1, ?, ?, ?)`,
        jobId,
        JSON.stringify(params),
        now,
        now,
        now + 60_000,
      );
      state.storage.sql.exec(
        `INSERT INTO items (idx, ref, source, kind, upload_key, state)
         VALUES (0, 'a.png', 'upload:a.png', 'upload', 'jobs/x/0', 'pending')`,
      );
      const [claim] = await job.claimMany([0]);
      expect(claim?.item).toEqual({ ref: "a.png", source: "upload:a.png", kind: "upload", uploadKey: "jobs/x/0" });
      expect(await job.recordMany([{ index: 0, outcome: succeeded(5) }])).toEqual({ recorded: [true], stop: false });
      expect(await job.view("key:records")).toMatchObject({ status: "succeeded", done: 1, succeeded: 1 });
    });
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
