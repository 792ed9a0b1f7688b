/**
 * Bounded work in the container: a fixed number of decodes, a bounded queue, refusals that are fast, callers
 * that went away never started, slow uploads never holding a slot; admission at the door (by count and by
 * declared bytes, before a body is read) and a bounded wait, so that a busy container neither grows past its
 * memory nor answers after the Worker has given up; and single requests before job items, which never crowd
 * them out.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { type ContainerProcess, startContainerProcess } from "../../scripts/container-process.ts";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { type HeldUpload, holdUpload, multipartBody } from "./held-upload.ts";
import { imageForm, referenceSample } from "./images.ts";

/** 16 megapixels, progressive: about 200 ms of decode here, long enough to fill a queue. */
const LARGE = referenceSample("sample3-color-5000x3330.jpg");

async function post(app: ReturnType<typeof createApp>, signal?: AbortSignal): Promise<Response> {
  return app.request(
    new Request("http://container/v1/image/analysis", { method: "POST", body: imageForm(LARGE, "image/jpeg"), signal }),
  );
}

async function counters(app: ReturnType<typeof createApp>): Promise<Record<string, number>> {
  return (await app.request("/health?deep=1")).json() as Promise<Record<string, number>>;
}

describe("the decode queue", () => {
  it("refuses at once with 503 and Retry-After when it is full, and counts the refusals", async () => {
    const app = createApp(loadConfig({ ANALYSIS_CONCURRENCY: "1", ANALYSIS_QUEUE_LIMIT: "1" }));
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const res = await post(app);
        return { status: res.status, ms: performance.now() - started, res };
      }),
    );
    const refused = answers.filter((a) => a.status === 503);
    const served = answers.filter((a) => a.status === 200);
    expect(served.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    for (const { res, ms } of refused) {
      expect(res.headers.get("Retry-After")).toBe("1");
      expect(await res.json()).toMatchObject({ detail: { code: "overloaded", error: "Server is busy, please retry" } });
      expect(ms).toBeLessThan(Math.min(...served.map((s) => s.ms)));
    }
    expect((await counters(app)).rejected).toBe(refused.length);
  });

  it("answers 503 overloaded with Retry-After when an analysis cannot start within ANALYSIS_WAIT_LIMIT_MS", async () => {
    const app = createApp(loadConfig({ ANALYSIS_CONCURRENCY: "1", ANALYSIS_WAIT_LIMIT_MS: "1" }));
    // Both arrive together: the first takes the one decode slot (about 200 ms), the second would wait for it.
    const [first, second] = await Promise.all([post(app), post(app)]);
    expect(first.status).toBe(200);
    expect(second.status).toBe(503);
    expect(second.headers.get("Retry-After")).toBe("1");
    expect(await second.json()).toMatchObject({
      detail: { code: "overloaded", error: "Server is busy, please retry" },
    });
    expect(await counters(app)).toMatchObject({ analyses_total: 1, timed_out: 1, in_flight: 0, queued: 0 });
  });

  it("never starts an analysis whose caller went away while it waited", async () => {
    const app = createApp(loadConfig({ ANALYSIS_CONCURRENCY: "1" }));
    const first = post(app);
    const controller = new AbortController();
    const abandoned = post(app, controller.signal).catch(() => null);
    // Both let in, the first decoding and the second read whole and waiting for the one slot: then its caller goes.
    let waiting: Record<string, number> = {};
    await until(async () => {
      waiting = await counters(app);
      return waiting.in_flight === 1 && waiting.queued === 1;
    });
    expect(waiting).toMatchObject({ admitted: 2, analyses_total: 1 });
    controller.abort();
    expect((await first).status).toBe(200);
    await abandoned;
    // Never started, and its place and its bytes of the admission budget given back.
    expect(await counters(app)).toMatchObject({
      analyses_total: 1,
      in_flight: 0,
      queued: 0,
      admitted: 0,
      admitted_bytes: 0,
      rejected: 0,
      timed_out: 0,
    });
  });
});

describe("a slow upload", () => {
  let container: ContainerProcess | undefined;
  afterEach(async () => {
    await container?.stop("SIGKILL");
  });

  it("holds no decode slot while its body trickles in", async () => {
    container = await startContainerProcess({ env: { ANALYSIS_CONCURRENCY: "1" } });
    const { url } = container;
    const boundary = "----slow";
    const controller = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(stream) {
        stream.enqueue(
          new TextEncoder().encode(
            `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n`,
          ),
        );
        stream.enqueue(LARGE.subarray(0, 1000)); // and then nothing more for now
      },
    });
    const slow = fetch(`${url}/v1/image/analysis`, {
      method: "POST",
      body,
      headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` },
      signal: controller.signal,
      duplex: "half",
    } as RequestInit).catch(() => null);
    // Let in and being read: then it holds a place at the door, and no decode slot.
    await until(async () => (await deepHealth(url)).admitted === 1);
    expect(await deepHealth(url)).toMatchObject({ admitted: 1, in_flight: 0, queued: 0 });
    // Another caller is served meanwhile: the one slot is free.
    const form = imageForm(referenceSample("sample2-536x354.jpg"), "image/jpeg");
    expect((await fetch(`${url}/v1/image/analysis`, { method: "POST", body: form })).status).toBe(200);
    controller.abort();
    await slow;
  });
});

/** The container's counters, from the process itself. */
async function deepHealth(url: string): Promise<Record<string, number>> {
  return (await fetch(`${url}/health?deep=1`)).json() as Promise<Record<string, number>>;
}

/** Polls until `check` holds, or fails after `ms`. */
async function until(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`not so within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An answer, or "no answer" after `ms`: a request the container holds until its body comes never answers. */
function within<T>(ms: number, answer: Promise<T>): Promise<T | "no answer"> {
  return Promise.race([answer, new Promise<"no answer">((resolve) => setTimeout(() => resolve("no answer"), ms))]);
}

describe("admission at the door (the real process)", () => {
  let container: ContainerProcess | undefined;
  const held: HeldUpload[] = [];
  afterEach(async () => {
    for (const upload of held.splice(0)) upload.abort();
    await container?.stop("SIGKILL");
  });
  const small = referenceSample("sample2-536x354.jpg");

  it("refuses from the headers alone, with 503 and Retry-After, once uploads still arriving fill the container", async () => {
    container = await startContainerProcess({ env: { ANALYSIS_CONCURRENCY: "1", ANALYSIS_QUEUE_LIMIT: "1" } });
    const { url } = container;
    // Two places (one decoding, one waiting), both taken by uploads whose last bytes have not come yet.
    held.push(
      holdUpload(url, multipartBody(small), { send: 1_000 }),
      holdUpload(url, multipartBody(small), { send: 1_000 }),
    );
    await until(async () => (await deepHealth(url)).admitted === 2).catch(() => {}); // the answers below say why
    // A third sends its headers and nothing more: it is answered at once, its body never waited for.
    const third = holdUpload(url, multipartBody(small));
    held.push(third);
    const refused = await within(5_000, third.response);
    expect(refused).not.toBe("no answer");
    if (refused === "no answer") return;
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("1");
    expect(JSON.parse(refused.body)).toMatchObject({ detail: { code: "overloaded", retry_after_seconds: 1 } });
    // The two that were let in are served when their bodies arrive; then the places are free again.
    for (const upload of held.slice(0, 2)) upload.finish();
    const served = await Promise.all(held.slice(0, 2).map((upload) => upload.response));
    expect(served.map((answer) => answer.status)).toEqual([200, 200]);
    expect(JSON.parse(served[0]?.body ?? "{}")).toMatchObject({ width: 536, height: 354 });
    expect(await deepHealth(url)).toMatchObject({ admitted: 0, admitted_bytes: 0, rejected: 1 });
    expect(
      (await fetch(`${url}/v1/image/analysis`, { method: "POST", body: imageForm(small, "image/jpeg") })).status,
    ).toBe(200);
  });

  it("refuses an upload whose declared size does not fit ADMISSION_BUDGET_BYTES beside those already in", async () => {
    container = await startContainerProcess({
      env: { ADMISSION_BUDGET_BYTES: "1000000", MAX_UPLOAD_BYTES: String(1_000_000 - 64 * 1024) },
    });
    const { url } = container;
    // 900 kB declared and still arriving: a place is free, but only 100 kB of the budget.
    const big = multipartBody(new Uint8Array(900_000));
    held.push(holdUpload(url, big, { send: 1_000 }));
    await until(async () => (await deepHealth(url)).admitted_bytes === big.body.length).catch(() => {});
    const over = holdUpload(url, multipartBody(new Uint8Array(200_000)));
    held.push(over);
    const refused = await within(5_000, over.response);
    expect(refused).not.toBe("no answer");
    if (refused === "no answer") return;
    expect([refused.status, JSON.parse(refused.body).detail.code]).toEqual([503, "overloaded"]);
    // A 15 kB upload fits beside the 900 kB one.
    const fits = await fetch(`${url}/v1/image/analysis`, { method: "POST", body: imageForm(small, "image/jpeg") });
    expect(fits.status).toBe(200);
  });

  it("keeps what 60 uploads of 3 MB arriving at once add to its memory under 100 MiB", async () => {
    container = await startContainerProcess({ env: { ANALYSIS_CONCURRENCY: "2", ANALYSIS_QUEUE_LIMIT: "8" } });
    const { url, child } = container;
    // The kernel's high-water mark of the process's resident memory, in MiB.
    const peakMiB = () =>
      Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? Number.NaN) / 1024;
    // One analysis first, so that what sharp and libvips keep once loaded is in the baseline.
    expect(
      (await fetch(`${url}/v1/image/analysis`, { method: "POST", body: imageForm(small, "image/jpeg") })).status,
    ).toBe(200);
    const before = peakMiB();
    // Each sends its headers, and all but the last 10 bytes of its body unless answered within 300 ms: what a
    // container whose sender is slowed down ends up holding. (A sender that ignores the answer has its bytes
    // read and dropped: garbage, collected, but no longer this test's measure.)
    const body = multipartBody(LARGE);
    const uploads = Array.from({ length: 60 }, () =>
      holdUpload(url, body, { send: body.body.length - 10, afterMs: 300 }),
    );
    held.push(...uploads);
    const answered: number[] = [];
    for (const upload of uploads) {
      upload.response.then(
        (answer) => answered.push(answer.status),
        () => {}, // the ten let in are dropped unanswered at the end
      );
    }
    await Promise.all(uploads.map((upload) => upload.sent));
    // Ten places (2 decoding + 8 waiting): the other 50 are refused from their headers.
    await until(async () => answered.length >= 50 && (await deepHealth(url)).admitted === 10).catch(() => {});
    expect.soft({ answered, admitted: (await deepHealth(url)).admitted }).toEqual({
      answered: Array(50).fill(503),
      admitted: 10,
    });
    // Without admission at the door all 60 bodies (190 MB) were held at once: 180 MiB more.
    expect(peakMiB() - before).toBeLessThan(100);
  });
});

describe("single requests before job items (the real process)", () => {
  let container: ContainerProcess | undefined;
  afterEach(async () => {
    await container?.stop("SIGKILL");
  });
  const small = referenceSample("sample2-536x354.jpg");

  /** Sends an analysis, a job item's when `batch`; resolves with its status and when it was answered. */
  function analyse(
    url: string,
    image: Uint8Array,
    batch: boolean,
  ): Promise<{ status: number; at: number; body: string }> {
    return fetch(`${url}/v1/image/analysis`, {
      method: "POST",
      body: imageForm(image, "image/jpeg"),
      headers: batch ? { "X-Analysis-Priority": "batch" } : {},
    }).then(async (res) => ({ status: res.status, body: await res.text(), at: performance.now() }));
  }

  it("starts a single request that arrives behind queued job items before them", async () => {
    // One decode slot, which job items may use (BATCH_DECODE_SLOTS is at least 1).
    container = await startContainerProcess({ env: { ANALYSIS_CONCURRENCY: "1" } });
    const { url } = container;
    expect(await deepHealth(url)).toMatchObject({ batch_decode_slots: 1, batch_queue_limit: 4 });
    // Five job items of about 400 ms of decode each, at once: one decodes, four wait.
    const items = Array.from({ length: 5 }, () => analyse(url, LARGE, true));
    await until(async () => {
      const now = await deepHealth(url);
      return now.in_flight_batch === 1 && (now.queued_batch ?? 0) >= 3;
    });
    const queuedAhead = (await deepHealth(url)).queued_batch ?? 0;
    // A single request arrives behind them, and decodes as soon as the slot is free.
    const single = await analyse(url, small, false);
    expect(single.status).toBe(200);
    expect(JSON.parse(single.body)).toMatchObject({ width: 536, height: 354 });
    const answered = await Promise.all(items);
    expect(answered.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    // At most one job item could start between the count above and its arrival: every other one that waited
    // ahead of it was answered after it (in arrival order, none would have been).
    const after = answered.filter((a) => a.at > single.at).length;
    expect(after).toBeGreaterThanOrEqual(Math.max(2, queuedAhead - 1));
    expect(await deepHealth(url)).toMatchObject({ analyses_total: 6, analyses_batch_total: 5, rejected: 0 });
  });

  it("lets job items take only BATCH_DECODE_SLOTS + BATCH_QUEUE_LIMIT places: the rest stay for single requests", async () => {
    // Three places (1 decoding, ANALYSIS_QUEUE_LIMIT 2 waiting); job items get 1 + half of 2.
    container = await startContainerProcess({ env: { ANALYSIS_CONCURRENCY: "1", ANALYSIS_QUEUE_LIMIT: "2" } });
    const { url } = container;
    expect(await deepHealth(url)).toMatchObject({ batch_decode_slots: 1, batch_queue_limit: 1 });
    const items = Array.from({ length: 3 }, () => analyse(url, LARGE, true));
    // The third is refused from its headers, although a place is free: it is the single requests'.
    const refused = await Promise.race(items);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ detail: { code: "overloaded", retry_after_seconds: 1 } });
    expect(await deepHealth(url)).toMatchObject({ admitted: 2, admitted_batch: 2, rejected: 1 });
    const single = await analyse(url, small, false);
    expect(single.status).toBe(200);
    expect((await Promise.all(items)).map((a) => a.status).sort()).toEqual([200, 200, 503]);
  });

  it("decodes job items on at most BATCH_DECODE_SLOTS slots: a single request takes the one left at once", async () => {
    // Two decode slots: job items get ANALYSIS_CONCURRENCY − 1 = 1 of them.
    container = await startContainerProcess({ env: { ANALYSIS_CONCURRENCY: "2" } });
    const { url } = container;
    const items = Array.from({ length: 3 }, () => analyse(url, LARGE, true));
    await until(async () => {
      const now = await deepHealth(url);
      return now.admitted_batch === 3 && now.queued_batch === 2;
    });
    // One slot idles for single requests while two job items wait.
    expect(await deepHealth(url)).toMatchObject({ in_flight: 1, in_flight_batch: 1, queued: 2, queued_batch: 2 });
    const single = await analyse(url, small, false);
    expect(single.status).toBe(200);
    // It did not wait for a job item: the two that waited (about 400 ms of decode each) were answered after it.
    const answered = await Promise.all(items);
    expect(answered.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answered.filter((a) => a.at > single.at).length).toBeGreaterThanOrEqual(2);
  });
});
