/**
 * A job's duplicates and its ZIP, end to end in workerd with the real container: `GET /v1/jobs/{id}/duplicates`
 * (exact by SHA-256, near by perceptual hash, a failed item in no group, 409 while the job runs, 404 for another
 * key's job, two keys at once) and `GET /v1/jobs/{id}/results?format=zip` (its entries read by a ZIP reader of
 * the test's own and compared with the separate answers).
 */
import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { ENGINE_VERSION } from "../../../contract/analysis.ts";
import { DuplicatesSchema } from "../../../contract/duplicates.ts";
import { hammingDistance, NEAR_DUPLICATE_MAX_DISTANCE } from "../../../contract/hamming.ts";
import { type JobResultLine, JobSchema } from "../../../contract/jobs.ts";
import { AnalysisResponseSchema } from "../../../contract/schemas.ts";
import pkg from "../../../package.json" with { type: "json" };
import { withHash } from "../../src/jobs/consumer.ts";
import { pollUntil } from "../helpers.ts";
import { pixelsPng, withText } from "./stripes.ts";
import { readZip } from "./zip.ts";

const KEY = "test-key-main";
const OTHER_KEY = "test-key-tenant-b";
/** How long a job of a few items may take to finish, in milliseconds. */
const JOB_TIMEOUT_MS = 30_000;
/**
 * How long the slow source waits before it answers, in milliseconds: past the tests' URL deadline (2 s), so the
 * item fails `download_timeout` after its two tries, and its job runs for several seconds, then ends.
 */
const SLOW_SOURCE_MS = 4_000;

const get = (path: string, key = KEY) => SELF.fetch(`https://api.test${path}`, { headers: { "X-API-Key": key } });

async function finished(jobId: string, key = KEY) {
  return pollUntil(
    `job ${jobId} finished`,
    async () => JobSchema.parse(await (await get(`/v1/jobs/${jobId}`, key)).json()),
    (job) => job.status === "succeeded" || job.status === "cancelled",
    { timeoutMs: JOB_TIMEOUT_MS, intervalMs: 200 },
  );
}

async function fileJob(files: Array<[string, Uint8Array]>, query: string, key = KEY): Promise<string> {
  const form = new FormData();
  for (const [name, bytes] of files) form.append("images", new Blob([bytes], { type: "image/png" }), name);
  const res = await SELF.fetch(`https://api.test/v1/jobs?${query}`, {
    method: "POST",
    headers: { "X-API-Key": key },
    body: form,
  });
  expect(res.status).toBe(202);
  return JobSchema.parse(await res.json()).job_id;
}

/** The perceptual hash the single-image endpoint gives for `bytes`. */
async function perceptualOf(bytes: Uint8Array): Promise<string> {
  const form = new FormData();
  form.append("image", new Blob([bytes], { type: "image/png" }), "x.png");
  const res = await SELF.fetch("https://api.test/v1/image/analysis?metrics=hash", {
    method: "POST",
    headers: { "X-API-Key": KEY },
    body: form,
  });
  const body = AnalysisResponseSchema.parse(await res.json());
  if (!body.hash) throw new Error("Expected a hash in the answer of metrics=hash but received none");
  return body.hash.perceptual;
}

/** Two pictures of different structure, 32×32: a fine diagonal pattern and rings. */
const patterned = () => pixelsPng(32, 32, (x, y) => [((x ^ y) * 8) & 255, ((x * 3 + y) * 4) & 255, (y * 8) & 255]);
const rings = () => pixelsPng(32, 32, (x, y) => [((x - 16) ** 2 + (y - 16) ** 2) % 256, 40, 200]);
/** A PNG's signature and nothing of an image after it: accepted by its magic bytes, refused by the decoder. */
const broken = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Uint8Array(64).fill(7)]);

describe("withHash", () => {
  it("adds hash to a job's metrics in their canonical order, and leaves metrics that have it as they are", () => {
    const params = { metrics: ["brightness", "thumbhash"] as const, edgeMode: null, background: null };
    expect(withHash({ ...params, metrics: [...params.metrics] }).metrics).toEqual(["brightness", "hash", "thumbhash"]);
    const asked = { metrics: ["hash" as const], edgeMode: null, background: null };
    expect(withHash(asked)).toBe(asked);
  });
});

describe("a finished job's duplicates and ZIP", () => {
  let jobId = "";
  let a: Uint8Array;
  let b: Uint8Array;

  beforeAll(async () => {
    a = await patterned();
    b = await rings();
    jobId = await fileJob(
      [
        ["a.png", a],
        ["a-again.png", a],
        // The same pixels in other bytes: another SHA-256, the same perceptual hash.
        ["a-copy.png", withText(a, "a copy")],
        ["b.png", b],
        ["broken.png", broken],
      ],
      "metrics=brightness",
    );
    await finished(jobId);
  }, JOB_TIMEOUT_MS + 5_000);

  it("groups the same file as exact and the same picture as near; a failed item and a different picture are in none", async () => {
    // The premise: the two pictures are further apart than the threshold.
    expect(hammingDistance(await perceptualOf(a), await perceptualOf(b))).toBeGreaterThan(NEAR_DUPLICATE_MAX_DISTANCE);
    const res = await get(`/v1/jobs/${jobId}/duplicates`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = DuplicatesSchema.parse(await res.json());
    expect(body).toEqual({
      groups: [
        {
          kind: "exact",
          items: [
            { index: 0, id: "a.png" },
            { index: 1, id: "a-again.png" },
          ],
          max_distance: 0,
        },
        {
          kind: "near",
          items: [
            { index: 0, id: "a.png" },
            { index: 1, id: "a-again.png" },
            { index: 2, id: "a-copy.png" },
          ],
          max_distance: 0,
        },
      ],
      threshold: NEAR_DUPLICATE_MAX_DISTANCE,
      compared: 4,
    });
  });

  it("keeps `hash` out of the results of a job that did not ask for it", async () => {
    const text = await (await get(`/v1/jobs/${jobId}/results`)).text();
    const lines = text
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as JobResultLine);
    expect(lines.map((line) => line.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded", "failed"]);
    for (const line of lines) if (line.status === "succeeded") expect(line.result).not.toHaveProperty("hash");
  });

  it("streams a ZIP of the CSV, the NDJSON, the duplicates and a manifest, each as its own answer gives it", async () => {
    const res = await get(`/v1/jobs/${jobId}/results?format=zip`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/zip");
    expect(res.headers.get("Content-Disposition")).toBe(`attachment; filename="${jobId}.zip"`);
    const entries = readZip(new Uint8Array(await res.arrayBuffer()));
    expect(entries.map((entry) => entry.name)).toEqual([
      "results.csv",
      "results.ndjson",
      "duplicates.json",
      "manifest.json",
    ]);
    const [csv, ndjson, duplicates, manifest] = entries.map((entry) => entry.bytes);
    const bytesOf = async (query: string) =>
      new Uint8Array(await (await get(`/v1/jobs/${jobId}/results${query}`)).arrayBuffer());
    expect(csv).toEqual(await bytesOf("?format=csv"));
    expect(ndjson).toEqual(await bytesOf("?format=ndjson"));
    const text = (bytes: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    expect(text(duplicates)).toEqual(await (await get(`/v1/jobs/${jobId}/duplicates`)).json());
    const job = JobSchema.parse(await (await get(`/v1/jobs/${jobId}`)).json());
    expect(text(manifest)).toEqual({
      job_id: jobId,
      status: "succeeded",
      parameters: { metrics: ["brightness"], edge_mode: null, background: null },
      items: { total: 5, succeeded: 4, failed: 1, cancelled: 0 },
      created_at: job.created_at,
      finished_at: job.finished_at,
      engine_version: ENGINE_VERSION,
      service_version: pkg.version,
      files: ["results.csv", "results.ndjson", "duplicates.json", "manifest.json"],
    });
  });
});

describe("a job's duplicates and ZIP, asked too early or by another key", () => {
  async function slowJob(key: string, n: number): Promise<string> {
    const res = await SELF.fetch("https://api.test/v1/jobs", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-API-Key": key },
      body: JSON.stringify({ items: [{ url: `${inject("sourceUrl")}/slow/${SLOW_SOURCE_MS}/${n}` }] }),
    });
    expect(res.status).toBe(202);
    return JobSchema.parse(await res.json()).job_id;
  }

  it(
    "answers 409 job_not_finished to the owner while it runs, 404 to another key, then 200 to the owner only",
    async () => {
      const [mine, theirs] = await Promise.all([slowJob(KEY, 41), slowJob(OTHER_KEY, 42)]);
      for (const [job, owner, other] of [
        [mine, KEY, OTHER_KEY],
        [theirs, OTHER_KEY, KEY],
      ] as const) {
        for (const path of [`/v1/jobs/${job}/duplicates`, `/v1/jobs/${job}/results?format=zip`]) {
          const early = await get(path, owner);
          expect(early.status, path).toBe(409);
          expect(((await early.json()) as { detail: { code: string; error: string } }).detail).toMatchObject({
            code: "job_not_finished",
            error: expect.stringMatching(/^The job has not finished/),
          });
          const stranger = await get(path, other);
          expect(stranger.status, path).toBe(404);
          expect(((await stranger.json()) as { detail: { code: string } }).detail.code).toBe("not_found");
        }
      }
      await Promise.all([finished(mine, KEY), finished(theirs, OTHER_KEY)]);
      for (const [job, owner, other] of [
        [mine, KEY, OTHER_KEY],
        [theirs, OTHER_KEY, KEY],
      ] as const) {
        const own = await get(`/v1/jobs/${job}/duplicates`, owner);
        expect(own.status).toBe(200);
        // Its one item failed: no hash, compared with nothing.
        expect(DuplicatesSchema.parse(await own.json())).toEqual({
          groups: [],
          threshold: NEAR_DUPLICATE_MAX_DISTANCE,
          compared: 0,
        });
        expect((await get(`/v1/jobs/${job}/duplicates`, other)).status).toBe(404);
        const zip = await get(`/v1/jobs/${job}/results?format=zip`, other);
        expect(zip.status).toBe(404);
        await zip.body?.cancel();
      }
    },
    JOB_TIMEOUT_MS + 2 * SLOW_SOURCE_MS,
  );
});
