/**
 * A multipart submission retried while its first attempt is still under way: both attempts name the same job
 * (its ID comes from the owner and the Idempotency-Key), and the one that finds the job already created must
 * delete only the files it wrote itself, never the live job's.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { JobResultLineSchema, JobSchema } from "../../../contract/jobs.ts";
import { INLINE_FILE_MAX_BYTES } from "../../src/jobs/uploads.ts";
import { png, pollUntil } from "../helpers.ts";

const KEY = "test-key-main";

/** A valid PNG over INLINE_FILE_MAX_BYTES, so that it goes to R2: random bytes after its end, which decoders ignore. */
function bigPng(i: number): Uint8Array {
  const head = png(i);
  const big = new Uint8Array(head.length + INLINE_FILE_MAX_BYTES + 1024);
  big.set(head);
  for (let at = head.length; at < big.length; at += 65_536) {
    crypto.getRandomValues(big.subarray(at, Math.min(big.length, at + 65_536)));
  }
  return big;
}

async function finished(jobId: string, timeoutMs = 30_000) {
  const view = async () => {
    const res = await SELF.fetch(`https://api.test/v1/jobs/${jobId}`, { headers: { "X-API-Key": KEY } });
    return JobSchema.parse(await res.json());
  };
  return pollUntil(`job ${jobId} finished`, view, (job) => job.status === "succeeded" || job.status === "cancelled", {
    timeoutMs,
    intervalMs: 200,
  });
}

describe("a multipart job sent several times at once with one Idempotency-Key", () => {
  it("is one job whose every item has its file: the attempts that lose delete only their own", async () => {
    const files = Array.from({ length: 6 }, (_, i) => [`f${i}.png`, bigPng(60 + i)] as const);
    const send = () => {
      const form = new FormData();
      for (const [name, bytes] of files) form.append("images", new Blob([bytes], { type: "image/png" }), name);
      return SELF.fetch("https://api.test/v1/jobs?metrics=median", {
        method: "POST",
        headers: { "X-API-Key": KEY, "Idempotency-Key": "retried-upload-1" },
        body: form,
      });
    };
    // Three attempts, as a client that retries on a timeout could send them: all read and stored at once.
    const answers = await Promise.all([send(), send(), send()]);
    expect(answers.map((res) => res.status)).toEqual([202, 202, 202]);
    const jobs = await Promise.all(answers.map(async (res) => JobSchema.parse(await res.json()).job_id));
    const jobId = jobs[0] as string;
    expect(new Set(jobs)).toEqual(new Set([jobId]));

    // Every attempt has answered, so the ones that lost have deleted their files: what is left in R2 is one
    // attempt's, under the job's prefix (whose clean-up deletes everything there), or nothing if the job has
    // already finished.
    const left = (await env.UPLOADS.list({ prefix: `jobs/${jobId}/` })).objects.map((o) => o.key);
    const attempts = new Set(left.map((key) => /^jobs\/job_[0-9a-f]{32}\/([0-9a-f]{16})\/\d+$/.exec(key)?.[1]));
    expect(left.length === 0 || (left.length === 6 && attempts.size === 1 && !attempts.has(undefined))).toBe(true);

    expect(await finished(jobId)).toMatchObject({ status: "succeeded", total: 6, succeeded: 6, failed: 0 });
    const res = await SELF.fetch(`https://api.test/v1/jobs/${jobId}/results`, { headers: { "X-API-Key": KEY } });
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JobResultLineSchema.parse(JSON.parse(l)));
    expect(lines.map((l) => [l.id, l.status])).toEqual(files.map(([name]) => [name, "succeeded"]));
  });
});
