/**
 * libvips' own processing deadline (`PROCESSING_TIMEOUT_S`) on the real process: a decode that overruns it is
 * answered 503 with `Retry-After`, and its slot is freed for the next request.
 *
 * No small image is slow enough to overrun a 1 s deadline on its own, and the deadline is wall-clock time: so
 * the test stops the process (SIGSTOP) for longer than the deadline while a decode is under way.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type ContainerProcess, startContainerProcess } from "../../scripts/container-process.ts";
import { imageForm, referenceSample } from "./images.ts";

let container: ContainerProcess | undefined;
afterEach(async () => {
  container?.child.kill("SIGCONT");
  await container?.stop("SIGKILL");
});

describe("the processing deadline", () => {
  it("answers a decode that overruns PROCESSING_TIMEOUT_S with 503, and frees its slot", async () => {
    container = await startContainerProcess({ env: { PROCESSING_TIMEOUT_S: "1", ANALYSIS_CONCURRENCY: "1" } });
    const { url, child } = container;
    const large = referenceSample("sample3-color-5000x3330.jpg"); // about 200 ms of decode
    const answer = fetch(`${url}/v1/image/analysis`, { method: "POST", body: imageForm(large, "image/jpeg") });

    // Stop the process for longer than the deadline, again and again with short runs between, until the answer
    // comes: a decode needs about 200 ms of running, more than one 50 ms run, so some stop falls inside it,
    // whatever the machine's load does to the timing.
    let settled = false;
    void answer.finally(() => {
      settled = true;
    });
    for (let round = 0; round < 15 && !settled; round++) {
      child.kill("SIGSTOP");
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      child.kill("SIGCONT");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const res = await answer;
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("5");
    expect(await res.json()).toMatchObject({
      detail: { code: "processing_timeout", error: "Image processing took too long, please retry", timeout_seconds: 1 },
    });
    expect(await (await fetch(`${url}/health?deep=1`)).json()).toMatchObject({ in_flight: 0 });
    const next = await fetch(`${url}/v1/image/analysis`, {
      method: "POST",
      body: imageForm(referenceSample("sample2-536x354.jpg"), "image/jpeg"),
    });
    expect(next.status).toBe(200);
  });
});
