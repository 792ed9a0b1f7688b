/**
 * A 1,000-item job that loses nothing and doubles nothing, while the container process is SIGKILLed twice and
 * the consumer fails a fifth of first deliveries on purpose (JOB_FAULT_RATE in this Worker, vitest.config.ts),
 * some of them after the item was already recorded (so the queue delivers an item twice).
 */
import { SELF } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { JobResultLineSchema, JobSchema } from "../../../contract/jobs.ts";
import { control } from "../helpers.ts";

const KEY = "test-key-main";
const ITEMS = 1_000;

/** `/png/<i>`'s colour (worker/test/source-server.ts `colourOf`). */
const colourOf = (i: number) => ({
  r: (i * 37) % 256,
  g: (i * 91 + Math.floor(i / 256)) % 256,
  b: (i * 53 + 7 * Math.floor(i / 256)) % 256,
});

/** The exact answer for a flat colour: Rec. 709 luma, 2 decimals, half away from zero on the exact value. */
function expectedAverage(i: number): number {
  const { r, g, b } = colourOf(i);
  const luma10k = 2126 * r + 7152 * g + 722 * b; // luma × 10 000, exact
  return Math.floor(luma10k / 100 + 0.5) / 100;
}

const get = (path: string, key = KEY) => SELF.fetch(`https://api.test${path}`, { headers: { "X-API-Key": key } });

describe("a 1,000-item URL job under faults", () => {
  it("ends with exactly 1,000 results in order, each the single-image answer: 0 lost, 0 duplicated", async () => {
    const items = Array.from({ length: ITEMS }, (_, i) => ({ url: `${inject("sourceUrl")}/png/${i}`, id: `img-${i}` }));
    const submitted = await SELF.fetch("https://api.test/v1/jobs", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-API-Key": KEY },
      body: JSON.stringify({ items }),
    });
    expect(submitted.status).toBe(202);
    const { job_id } = JobSchema.parse(await submitted.json());

    const kills: number[] = [];
    const deadline = Date.now() + 150_000;
    let job = JobSchema.parse(await (await get(`/v1/jobs/${job_id}`)).json());
    while (job.status !== "succeeded") {
      if (Date.now() > deadline) throw new Error(`job still ${job.status}: ${job.done}/${job.total}`);
      // Kill the container process twice, a third and two thirds of the way through.
      if (kills.length < 2 && job.done >= (ITEMS * (kills.length + 1)) / 3) {
        await control("kill");
        kills.push(job.done);
        await control("start");
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
      job = JobSchema.parse(await (await get(`/v1/jobs/${job_id}`)).json());
    }
    expect(kills).toHaveLength(2);
    expect(job).toMatchObject({ total: ITEMS, done: ITEMS, succeeded: ITEMS, failed: 0 });

    const text = await (await get(`/v1/jobs/${job_id}/results`)).text();
    const lines = text
      .trim()
      .split("\n")
      .map((line) => JobResultLineSchema.parse(JSON.parse(line)));
    expect(lines).toHaveLength(ITEMS); // 0 lost, 0 duplicated
    expect(lines.map((l) => l.index)).toEqual(Array.from({ length: ITEMS }, (_, i) => i)); // in order
    for (const line of lines) {
      if (line.status !== "succeeded") throw new Error(`item ${line.index}: ${JSON.stringify(line)}`);
      expect(line.id).toBe(`img-${line.index}`);
      expect(line.result.average_luminance).toBe(expectedAverage(line.index));
    }

    // And each equals the single-image answer: a sample asked again one by one, by another key (so not from
    // the job's own cache).
    for (const i of [0, 1, 333, 667, 998, 999]) {
      const single = await SELF.fetch("https://api.test/v1/image/analysis/url", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-API-Key": "test-key-tenant-b" },
        body: JSON.stringify({ url: `${inject("sourceUrl")}/png/${i}` }),
      });
      expect(single.status).toBe(200);
      const { cached: _c, processing_time_ms: _p, ...numbers } = (await single.json()) as Record<string, unknown>;
      expect(lines[i]?.status === "succeeded" && lines[i].result).toMatchObject(numbers);
    }
  }, 180_000);
});
