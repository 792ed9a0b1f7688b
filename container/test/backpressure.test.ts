/**
 * Bounded work in the container: a fixed number of decodes, a bounded queue, refusals that are fast, callers
 * that went away never started, slow uploads never holding a slot.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type ContainerProcess, startContainerProcess } from "../../scripts/container-process.ts";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
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

  it("never starts an analysis whose caller went away while it waited", async () => {
    const app = createApp(loadConfig({ ANALYSIS_CONCURRENCY: "1" }));
    const first = post(app);
    const controller = new AbortController();
    const abandoned = post(app, controller.signal).catch(() => null);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    expect((await first).status).toBe(200);
    await abandoned;
    expect((await counters(app)).analyses_total).toBe(1);
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
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await (await fetch(`${url}/health?deep=1`)).json()).toMatchObject({ in_flight: 0, queued: 0 });
    // Another caller is served meanwhile: the one slot is free.
    const form = imageForm(referenceSample("sample2-536x354.jpg"), "image/jpeg");
    expect((await fetch(`${url}/v1/image/analysis`, { method: "POST", body: form })).status).toBe(200);
    controller.abort();
    await slow;
  });
});
