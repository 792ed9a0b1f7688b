/**
 * The batch-job part of `npm run test:load`, on the same local stack (the Worker, its queue consumer and the
 * job Durable Objects in workerd, the container process):
 *
 * 1. Single-request capacity: distinct small images (320×240 JPEGs) sent one after another by C clients at once
 *    (closed loop), items per second.
 * 2. A job of as many distinct small images of the same kind, uploaded in one multipart submission: items per
 *    second from submission to its last result, as a share of (1). Goal: ≥ 80 %.
 * 3. Interactive latency: single requests at a light rate, first with nothing else running (idle), then while a
 *    job of JOB_ITEMS runs: p50 of each. Goal: while the job runs, ≤ 2× idle.
 *
 * Every job must end with exactly one result per item (a lost or doubled item fails the run).
 */
import { randomBytes } from "node:crypto";
import sharp from "sharp";

export interface JobsLoadResult {
  single_capacity_per_s: number;
  job_items: number;
  job_items_per_s: number;
  job_share_of_capacity: number;
  idle_p50_ms: number;
  busy_p50_ms: number;
  busy_over_idle: number;
  big_job_items: number;
  big_job_seconds: number;
  failures: string[];
}

/** Clients of the capacity measure (the container has 2 decode slots; the Worker routes over 4 instances). */
const CAPACITY_CLIENTS = 4;
/** The rate of the interactive probe requests, per second. */
const PROBE_RPS = 2;

/** `count` distinct 320×240 JPEGs of a photo: the reference sample, with a unique pixel pattern each. */
async function distinctImages(photo: Buffer, count: number): Promise<Buffer[]> {
  const base = await sharp(photo).resize(320, 240, { fit: "cover" }).raw().toBuffer();
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const pixels = Buffer.from(base);
      pixels.writeUInt32BE(i, 0); // four bytes of the first pixels: every image differs
      pixels.writeUInt32BE(Number.parseInt(randomBytes(4).toString("hex"), 16), 8);
      return sharp(pixels, { raw: { width: 320, height: 240, channels: 3 } })
        .jpeg({ quality: 85 })
        .toBuffer();
    }),
  );
}

async function analyse(url: string, image: Buffer): Promise<{ status: number; ms: number }> {
  const form = new FormData();
  form.append("image", new Blob([new Uint8Array(image)], { type: "image/jpeg" }), "load.jpg");
  const started = performance.now();
  const res = await fetch(`${url}/v1/image/analysis`, { method: "POST", body: form });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

async function capacity(url: string, images: Buffer[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CAPACITY_CLIENTS }, async () => {
      while (next < images.length) await analyse(url, images[next++] as Buffer);
    }),
  );
  return images.length / ((performance.now() - started) / 1000);
}

async function submitJob(url: string, images: Buffer[]): Promise<string> {
  const form = new FormData();
  for (const [i, image] of images.entries()) {
    form.append("images", new Blob([new Uint8Array(image)], { type: "image/jpeg" }), `i${i}.jpg`);
  }
  const res = await fetch(`${url}/v1/jobs`, { method: "POST", body: form });
  if (res.status !== 202) throw new Error(`job submission answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { job_id: string }).job_id;
}

async function waitForJob(url: string, jobId: string, timeoutMs: number): Promise<{ done: number; total: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await (await fetch(`${url}/v1/jobs/${jobId}`)).json()) as {
      status: string;
      done: number;
      total: number;
    };
    if (job.status === "succeeded") return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status} (${job.done}/${job.total})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Lines of a job's results: one per item, in order, or the failure that says otherwise. */
async function checkResults(url: string, jobId: string, total: number): Promise<string | null> {
  const text = await (await fetch(`${url}/v1/jobs/${jobId}/results`)).text();
  const indexes = text
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as { index: number; status: string }).index);
  const unique = new Set(indexes);
  if (indexes.length !== total || unique.size !== total) {
    return `job ${jobId}: ${indexes.length} lines, ${unique.size} distinct items, for ${total} items`;
  }
  return null;
}

/** p50 of single requests at PROBE_RPS for `seconds` (distinct images, open loop). */
async function probe(url: string, images: Buffer[], seconds: number): Promise<number> {
  const started = performance.now();
  const pending: Promise<{ status: number; ms: number }>[] = [];
  for (let i = 0; i < Math.round(PROBE_RPS * seconds); i++) {
    const wait = started + (i * 1000) / PROBE_RPS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(analyse(url, images[i % images.length] as Buffer));
  }
  const ok = (await Promise.all(pending)).filter((s) => s.status === 200).map((s) => s.ms);
  ok.sort((a, b) => a - b);
  return ok[Math.ceil(ok.length / 2) - 1] ?? Number.NaN;
}

/**
 * @example
 * const result = await runJobsLoad(stack.url, photo, { smoke: true });
 */
export async function runJobsLoad(url: string, photo: Buffer, options: { smoke: boolean }): Promise<JobsLoadResult> {
  const items = 200;
  const bigItems = options.smoke ? 300 : 1_000;
  const probeS = options.smoke ? 8 : 15;
  const [forCapacity, forJob, forProbeIdle, forProbeBusy, forBigJob] = await Promise.all([
    distinctImages(photo, items),
    distinctImages(photo, items),
    distinctImages(photo, PROBE_RPS * probeS),
    distinctImages(photo, PROBE_RPS * probeS),
    distinctImages(photo, bigItems),
  ]);
  const failures: string[] = [];

  const single = await capacity(url, forCapacity);
  const jobStarted = performance.now();
  const jobId = await submitJob(url, forJob);
  await waitForJob(url, jobId, 300_000);
  const jobPerS = items / ((performance.now() - jobStarted) / 1000);
  const lost = await checkResults(url, jobId, items);
  if (lost) failures.push(lost);

  const idle = await probe(url, forProbeIdle, probeS);
  const bigStarted = performance.now();
  const bigId = await submitJob(url, forBigJob);
  const busy = await probe(url, forProbeBusy, probeS);
  const big = await waitForJob(url, bigId, 600_000);
  const bigS = (performance.now() - bigStarted) / 1000;
  const bigLost = await checkResults(url, bigId, big.total);
  if (bigLost) failures.push(bigLost);

  return {
    single_capacity_per_s: Number(single.toFixed(1)),
    job_items: items,
    job_items_per_s: Number(jobPerS.toFixed(1)),
    job_share_of_capacity: Number((jobPerS / single).toFixed(2)),
    idle_p50_ms: Math.round(idle),
    busy_p50_ms: Math.round(busy),
    busy_over_idle: Number((busy / idle).toFixed(2)),
    big_job_items: bigItems,
    big_job_seconds: Number(bigS.toFixed(1)),
    failures,
  };
}
