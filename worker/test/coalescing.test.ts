/**
 * Identical analyses in flight share one, in the real Durable Object in front of the real container process,
 * and that one belongs to none of its callers: a caller that goes away only stops waiting, and the analysis is
 * given up once nobody waits for it. The container process is paused (SIGSTOP) to hold an analysis in flight.
 *
 * How a caller goes away here: aborting `SELF.fetch` in vitest-pool-workers never reaches the Durable Object
 * (the analysis went on, and a second caller got its 200, with the code before this file too), so these tests
 * call the instance's stub directly. Aborting a stub call breaks the request body the object is still reading,
 * as a Worker whose client went away would (first test). The request's `signal` does not fire in the object
 * under this project's compatibility flags (no `enable_request_signal`); where the runtime fires it, it says
 * the same, so the last two tests hand the object requests whose signal the test aborts.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { AnalysisContainer } from "../src/analyzer/durable-object.ts";
import { containerCounters, control, png, pollUntil } from "./helpers.ts";

/** The Durable Object instance these tests use alone. */
const INSTANCE = "coalescing";
/** How long a test waits for the object or the process to reach a state, in milliseconds. */
const STATE_DEADLINE_MS = 5_000;
/** How often that state is read, in milliseconds. */
const POLL_INTERVAL_MS = 20;
/**
 * A form field sent beside the image so that the body is larger than the loopback socket buffers take from a
 * paused process (5 MB): the object is still sending it when the first caller goes away. Within the
 * container's cap (MAX_UPLOAD_BYTES plus 64 KiB of form), and ignored by it.
 */
const PADDING_BYTES = 5_000_000;

/**
 * The analysis of test image `i` as the Worker sends it to its instance: same bytes, same query and the same
 * result key for every caller; an ID of each caller's own.
 */
function analysis(
  i: number,
  key: string,
  requestId: string,
  options: { padded?: boolean; signal?: AbortSignal; batch?: boolean } = {},
) {
  const form = new FormData();
  form.append("image", new Blob([png(i)], { type: "image/png" }), "image.png");
  if (options.padded) form.append("padding", "x".repeat(PADDING_BYTES));
  return new Request("http://container/v1/image/analysis?metrics=brightness,median", {
    method: "POST",
    body: form,
    headers: {
      "X-Request-Id": requestId,
      "X-Result-Key": key,
      ...(options.batch ? { "X-Analysis-Priority": "batch" } : {}),
    },
    signal: options.signal,
  });
}

/**
 * What test image `i` must give: it is one solid colour (global-setup.ts), so its average and its median are the
 * Rec. 709 luma of that colour, rounded to 2 places, and its score that luma in percent of 255. In integers
 * (luma × 10,000), so that no float rounds a half the wrong way.
 */
function expected(i: number): { average_luminance: number; median_luminance: number; brightness_score: number } {
  const [r, g, b] = [(i * 37) % 256, (i * 91) % 256, (i * 53) % 256];
  const luma10k = 2126 * r + 7152 * g + 722 * b;
  const luma = Math.round(luma10k / 100) / 100;
  return { average_luminance: luma, median_luminance: luma, brightness_score: Math.round(luma10k / 25_500) };
}

const stub = () => env.ANALYZER.getByName(INSTANCE);
const state = () =>
  runInDurableObject(stub(), (instance) => {
    const object = instance as AnalysisContainer;
    return { inFlight: object.inFlight, waiting: object.waiting };
  });

/** Waits until the object's state passes `check`, or fails after STATE_DEADLINE_MS. */
async function until(
  what: string,
  check: (s: { inFlight: number; waiting: number }) => boolean,
): Promise<{ inFlight: number; waiting: number }> {
  return pollUntil(what, state, check, { timeoutMs: STATE_DEADLINE_MS, intervalMs: POLL_INTERVAL_MS });
}

/** A call made inside the object with a request built there, as the runtime hands it one: its signal is the test's. */
function callInside(i: number, key: string, requestId: string, signal: AbortSignal): Promise<Response> {
  return runInDurableObject(stub(), (instance) =>
    (instance as AnalysisContainer).fetch(analysis(i, key, requestId, { signal })),
  );
}

/** Fires a caller's signal inside the object, where the runtime fires it (not from the test's own context). */
function goAway(caller: AbortController): Promise<void> {
  return runInDurableObject(stub(), () => caller.abort());
}

describe("identical analyses in flight share one that belongs to none of their callers", () => {
  afterEach(async () => {
    await control("resume");
  });

  it("the first caller goes away mid-upload: the identical one that joined still gets 200 with the right numbers", async () => {
    expect((await stub().fetch("http://container/health")).status).toBe(200); // its container is up
    const before = await containerCounters();
    const key = `coalescing-${crypto.randomUUID()}`;
    await control("pause"); // the analysis reaches the process and waits there
    const first = new AbortController();
    const gone = stub()
      .fetch(analysis(7, key, "first", { padded: true }), { signal: first.signal })
      .catch((cause: unknown) => cause);
    await until("the first caller's analysis is in the container", (s) => s.inFlight === 1);
    const second = stub().fetch(analysis(7, key, "second", { padded: true }));
    await until("the second caller has joined it", (s) => s.waiting === 2);

    first.abort();
    expect(await gone).toBeInstanceOf(Error); // the test's own abort of the first call
    await control("resume");
    const res = await second;
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Request-Id")).toBe("second");
    expect(await res.json()).toMatchObject({ ...expected(7), width: 16, height: 12, algorithm: "rec709" });
    // One analysis for both.
    expect((await containerCounters()).analyses_total - before.analyses_total).toBe(1);
    expect(await state()).toEqual({ inFlight: 0, waiting: 0 });
  });

  it("a caller whose request's signal fires only stops waiting: the other identical caller gets 200", async () => {
    expect((await stub().fetch("http://container/health")).status).toBe(200);
    const key = `coalescing-${crypto.randomUUID()}`;
    await control("pause");
    const [first, second] = [new AbortController(), new AbortController()];
    const firstAnswer = callInside(8, key, "first", first.signal);
    await until("the first caller's analysis is in the container", (s) => s.inFlight === 1);
    const secondAnswer = callInside(8, key, "second", second.signal);
    await until("the second caller has joined it", (s) => s.waiting === 2);

    await goAway(first);
    const left = await firstAnswer;
    expect(left.status).toBe(499); // answered at once, to nobody
    expect(await left.json()).toMatchObject({ detail: { code: "client_closed", request_id: "first" } });
    // The analysis goes on for the one still waiting.
    expect(await state()).toEqual({ inFlight: 1, waiting: 1 });
    await control("resume");
    const res = await secondAnswer;
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Request-Id")).toBe("second");
    expect(await res.json()).toMatchObject({ ...expected(8), width: 16, height: 12 });
  });

  it("once every caller has gone the analysis is given up, and the next identical request starts afresh", async () => {
    expect((await stub().fetch("http://container/health")).status).toBe(200);
    const key = `coalescing-${crypto.randomUUID()}`;
    await control("pause");
    const [first, second, third] = [new AbortController(), new AbortController(), new AbortController()];
    const firstAnswer = callInside(9, key, "first", first.signal);
    await until("the first caller's analysis is in the container", (s) => s.inFlight === 1);
    const secondAnswer = callInside(9, key, "second", second.signal);
    await until("the second caller has joined it", (s) => s.waiting === 2);

    await goAway(first);
    expect((await firstAnswer).status).toBe(499);
    await goAway(second);
    expect((await secondAnswer).status).toBe(499);
    // Its container request is cancelled while the process is still paused: nothing is in flight any more.
    expect(await until("the analysis is given up", (s) => s.inFlight === 0)).toEqual({ inFlight: 0, waiting: 0 });

    // The same analysis again: a new one, not the cancelled one's failure.
    const thirdAnswer = callInside(9, key, "third", third.signal);
    await until("a new analysis is in the container", (s) => s.inFlight === 1 && s.waiting === 1);
    await control("resume");
    const res = await thirdAnswer;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ...expected(9), width: 16, height: 12 });
  });

  it("a single request does not wait on a job item's identical analysis: it runs its own; another job item joins", async () => {
    expect((await stub().fetch("http://container/health")).status).toBe(200);
    const before = await containerCounters();
    const key = `coalescing-${crypto.randomUUID()}`;
    await control("pause");
    const item = stub().fetch(analysis(7, key, "item", { batch: true }));
    await until("the job item's analysis is in the container", (s) => s.inFlight === 1);
    // The container serves single requests before job items: this one must not queue behind the item's.
    const single = stub().fetch(analysis(7, key, "single"));
    await until("the single request's own analysis is in the container", (s) => s.inFlight === 2);
    // A second job item joins the single request's analysis (the newest for the key) rather than start a third.
    const another = stub().fetch(analysis(7, key, "another-item", { batch: true }));
    await until("the second item has joined", (s) => s.waiting === 3);
    expect((await state()).inFlight).toBe(2);

    await control("resume");
    for (const res of await Promise.all([item, single, another])) {
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject(expected(7));
    }
    expect((await containerCounters()).analyses_total - before.analyses_total).toBe(2);
  });
});
