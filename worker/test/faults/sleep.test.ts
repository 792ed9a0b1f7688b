/**
 * `@cloudflare/containers` 0.3.x counts proxied requests in flight and never sleeps while the count is above
 * zero; a request aborted by its client could leave it there and keep a container (and its bill) awake
 * forever. Ours reads every container answer to the end, so the count returns to zero. This Worker's
 * containers sleep after 2 s (vitest.config.ts).
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AnalysisContainer } from "../../src/analyzer/durable-object.ts";
import { control, GREY_PNG, pollUntil } from "../helpers.ts";

function analysis(signal: AbortSignal): Request {
  const form = new FormData();
  form.append("image", new Blob([GREY_PNG], { type: "image/png" }), "grey.png");
  return new Request("http://container/v1/image/analysis", { method: "POST", body: form, signal });
}

const inflight = (stub: DurableObjectStub<AnalysisContainer>) =>
  runInDurableObject(stub, (instance) => (instance as AnalysisContainer).inFlight);
const running = (stub: DurableObjectStub<AnalysisContainer>) =>
  runInDurableObject(stub, (_instance, state) => state.container?.running ?? false);

describe("a request aborted by its client", () => {
  it("does not keep the container awake: it sleeps after sleepAfter", async () => {
    const stub = env.ANALYZER.getByName("sleepy");
    expect((await stub.fetch("http://container/health")).status).toBe(200); // started
    expect(await running(stub)).toBe(true);

    await control("pause"); // the analysis reaches the process and waits there
    const controller = new AbortController();
    const aborted = stub.fetch(analysis(controller.signal)).catch(() => null);
    // Counted while it waits in the process.
    await pollUntil(
      "the analysis in flight",
      () => inflight(stub),
      (n) => n === 1,
    );
    controller.abort();
    await aborted;
    await control("resume");
    await pollUntil(
      "no request in flight after the abort",
      () => inflight(stub),
      (n) => n === 0,
    );

    // The Container's own alarm loop stops it once sleepAfter (2 s here) has passed with nothing in flight:
    // within 10 s.
    await pollUntil(
      "the container asleep",
      () => running(stub),
      (isRunning) => !isRunning,
      {
        timeoutMs: 10_000,
        intervalMs: 250,
      },
    );
    expect(await running(stub)).toBe(false);
  });
});
