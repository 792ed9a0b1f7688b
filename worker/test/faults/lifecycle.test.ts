/**
 * A container's life against this Worker's short `sleepAfter` (2 s, vitest.config.ts): what may and may not
 * keep it awake, and what a container that dies with a request in it answers.
 */
import { env, listDurableObjectIds, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AnalysisContainer } from "../../src/analyzer/durable-object.ts";
import { control, GREY_PNG, png, pollUntil, sha256Hex, upload } from "../helpers.ts";

/** This Worker's CONTAINER_SLEEP_AFTER (vitest.config.ts, 2s), in milliseconds. */
const SLEEP_AFTER_MS = 2_000;

const running = (stub: DurableObjectStub<AnalysisContainer>) =>
  runInDurableObject(stub, (_instance, state) => state.container?.running ?? false);
const inFlight = (stub: DurableObjectStub<AnalysisContainer>) =>
  runInDurableObject(stub, (instance) => (instance as AnalysisContainer).inFlight);
/**
 * When the container's activity runs out: `@cloudflare/containers` 0.3's `sleepAfterMs` (private there), set to
 * now + sleepAfter by activity, and by the alarm each time it finds it passed and has asked `onActivityExpired`.
 */
const activityDeadline = (stub: DurableObjectStub<AnalysisContainer>) =>
  runInDurableObject(stub, (instance) => (instance as unknown as { sleepAfterMs: number }).sleepAfterMs);

function analysis(): Request {
  const form = new FormData();
  form.append("image", new Blob([GREY_PNG], { type: "image/png" }), "grey.png");
  return new Request("http://container/v1/image/analysis", { method: "POST", body: form });
}

// First: the deep-health polls below touch every instance, and this test needs analyzer-1 untouched.
describe("a container that dies with the request in it", () => {
  async function imageOnInstance(instance: number): Promise<Uint8Array> {
    for (let i = 50; i < 100; i++) {
      const bytes = png(i);
      if (Number.parseInt((await sha256Hex(bytes)).slice(0, 8), 16) % 4 === instance) return bytes;
    }
    throw new Error(`no test image hashes to instance ${instance}`);
  }
  const ids = async () => (await listDurableObjectIds(env.ANALYZER)).map((id) => id.toString());
  const idOf = (name: string) => env.ANALYZER.idFromName(name).toString();

  it("answers 503 container_failed with Retry-After, and the request is not sent to another instance", async () => {
    const image = await imageOnInstance(0);
    expect(await ids()).not.toContain(idOf("analyzer-1"));
    const instance = env.ANALYZER.getByName("analyzer-0");
    expect((await instance.fetch("http://container/health")).status).toBe(200); // its container is up
    await control("pause");
    try {
      const pending = upload(image);
      await pollUntil(
        "the upload in flight in analyzer-0",
        () => inFlight(instance),
        (n) => n === 1,
      );
      await control("kill"); // SIGKILL while the process holds the request
      const res = await pending;
      expect(res.status).toBe(503);
      expect(res.headers.get("Retry-After")).toBe("5");
      const body = (await res.json()) as { detail: { code: string; error: string } };
      expect(body.detail.code).toBe("container_failed");
      expect(body.detail.error).toBe("The analysis stopped unexpectedly, please retry later");
      expect(await ids()).toContain(idOf("analyzer-0"));
      expect(await ids()).not.toContain(idOf("analyzer-1")); // no retry carried it to the next instance
    } finally {
      await control("start");
    }
  });
});

describe("GET /health?deep=1", () => {
  it("polled every second, never keeps a container awake: it still sleeps after sleepAfter", async () => {
    const stub = env.ANALYZER.getByName("analyzer-3");
    expect((await stub.fetch("http://container/health")).status).toBe(200); // started through the proxy
    const states: string[] = [];
    const deepHealth = async () => {
      const res = await SELF.fetch("https://api.test/health?deep=1", { headers: { "X-API-Key": "test-key-health" } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { instances: Array<{ name: string; state: string }> };
      const state = body.instances.find((i) => i.name === "analyzer-3")?.state ?? "missing";
      states.push(state);
      return state;
    };
    // The pace, a poll a second as a monitor's, is part of what is tested; the wait ends once it has stopped.
    await pollUntil("analyzer-3 stopped while polled", deepHealth, (state) => state === "stopped", {
      timeoutMs: 12_000,
      intervalMs: 1_000,
    });
    expect(states[0]).toBe("healthy");
    expect(states.length).toBeGreaterThan(1); // it was polled while awake
    expect(states.at(-1)).toBe("stopped");
    expect(await running(stub)).toBe(false);
  });
});

describe("an analysis that outlasts sleepAfter", () => {
  it("keeps its container running until it is answered, with 200", async () => {
    const stub = env.ANALYZER.getByName("long-analysis");
    expect((await stub.fetch("http://container/health")).status).toBe(200); // started
    await control("pause"); // the analysis reaches the process and waits there
    try {
      const pending = stub.fetch(analysis());
      await pollUntil(
        "the analysis in flight",
        () => inFlight(stub),
        (n) => n === 1,
      );
      // Past sleepAfter: the alarm has found the activity deadline passed and asked onActivityExpired (then
      // renewed the deadline, which only it does while the process holds the analysis).
      const expiresAt = await activityDeadline(stub);
      await pollUntil(
        "the alarm's check past sleepAfter",
        () => activityDeadline(stub),
        (renewed) => renewed - SLEEP_AFTER_MS >= expiresAt,
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      expect(await running(stub)).toBe(true);
      await control("resume");
      const res = await pending;
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ brightness_score: 50 });
      expect(await inFlight(stub)).toBe(0);
    } finally {
      await control("resume");
    }
  });
});
