/**
 * A job item's priority on the whole way, in workerd: the analysis pipeline (`priority: "batch"`, as the jobs
 * consumer sends it) → routing → the Durable Object's shared analysis → the real container process, which counts
 * the analyses it was told were job items.
 */
import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { parseAnalysisParams } from "../../contract/analysis.ts";
import { analyseImage } from "../src/analysis/index.ts";
import { configFor } from "../src/config.ts";
import { png, sha256Hex } from "./helpers.ts";

/** The container process's counters of all analyses and of job items'. */
async function analysed(): Promise<{ all: number; batch: number }> {
  const body = (await (await fetch(`${inject("containerUrl")}/health?deep=1`)).json()) as Record<string, number>;
  return { all: body.analyses_total ?? Number.NaN, batch: body.analyses_batch_total ?? Number.NaN };
}

/** Test image `i` with a random tail, so that no cache and no analysis in flight can answer it. */
async function freshImage(i: number) {
  const bytes = new Uint8Array([...png(i), ...crypto.getRandomValues(new Uint8Array(16))]);
  return {
    file: new File([bytes], "image.png", { type: "image/png" }),
    sha256: await sha256Hex(bytes),
    params: parseAnalysisParams(new URLSearchParams("metrics=brightness")),
  };
}

describe("a job item's priority", () => {
  it("reaches the container through the Durable Object as batch; a single request's does not", async () => {
    const config = configFor(env);
    const options = { partition: "priority-test", waitUntil: () => {} };
    const before = await analysed();
    const item = await analyseImage(env, config, await freshImage(8), {
      ...options,
      requestId: "priority-item",
      priority: "batch",
    });
    expect(item.ok).toBe(true);
    expect(await analysed()).toEqual({ all: before.all + 1, batch: before.batch + 1 });

    const single = await analyseImage(env, config, await freshImage(8), { ...options, requestId: "priority-single" });
    expect(single.ok).toBe(true);
    expect(await analysed()).toEqual({ all: before.all + 2, batch: before.batch + 1 });
  });
});
