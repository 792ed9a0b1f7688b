/**
 * The batch-job part of `npm run test:load`, on the same local stack (the Worker, its queue consumer and the
 * job Durable Objects in workerd, the container process):
 *
 * 1. Single-request capacity: distinct small images (320×240 JPEGs) sent one after another by C clients at once
 *    (closed loop), items per second.
 * 2. A job of as many distinct small images of the same kind, uploaded in one multipart submission: items per
 *    second from the start of the submission to the job's `finished_at` (its last result recorded; the same
 *    clock: the Worker runs on this machine), as a share of (1) measured just before. (1) and (2) are measured
 *    PAIRS times back to back; the figures are the pairs' medians. Goal: ≥ 80 %.
 * 3. Interactive latency: single requests at a light rate, first with nothing else running (idle), then while a
 *    big job runs (only the requests sent before its `finished_at`): p50 of each. Goal: while the job runs,
 *    ≤ 2× idle.
 *
 * Every job must end with exactly one result per item (a lost or doubled item fails the run).
 *
 * Alone, on its own local stack: `node --import tsx scripts/load-jobs.ts [--smoke] [--runs N]` (N runs, then
 * the median of each figure), to compare the jobs' figures run after run without the sweep of load.ts.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { startLocalStack } from "./local-stack.ts";

export interface JobsLoadResult {
  single_capacity_per_s: number;
  job_items: number;
  job_items_per_s: number;
  /** From the start of the submission to its 202, in milliseconds (uploads read and checked, job created). */
  job_submit_ms: number;
  /**
   * CPU time of the workerd process (the Worker, its queue consumer, the job and container Durable Objects,
   * Miniflare's KV, R2 and queue) per item, in milliseconds: over the capacity measure, and over the job from
   * its submission to its end. Null where /proc does not show it (not Linux).
   */
  worker_cpu_ms_per_single: number | null;
  worker_cpu_ms_per_job_item: number | null;
  /** The median of the pairs' shares. */
  job_share_of_capacity: number;
  /** Each pair's share, in order. */
  shares: number[];
  idle_p50_ms: number;
  busy_p50_ms: number;
  busy_over_idle: number;
  /** How many single requests were sent while the big job ran (the busy p50's sample). */
  busy_samples: number;
  big_job_items: number;
  big_job_seconds: number;
  failures: string[];
}

/** Clients of the capacity measure (the container has 2 decode slots; the Worker routes over 4 instances). */
const CAPACITY_CLIENTS = 4;
/**
 * How many times capacity and a job are measured back to back: the figures are the pairs' medians, so that a
 * burst of other work on the machine during one short measure does not decide the ratio.
 */
const PAIRS = 3;
/** The rate of the interactive probe requests, per second. */
const PROBE_RPS = 5;

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

/** The CPU time of this process's workerd children so far, in milliseconds (Linux /proc), or null. */
function workerdCpuMs(): number | null {
  try {
    const ticksPerMs = 100 / 1000; // USER_HZ: 100 on Linux
    let total = 0;
    let found = false;
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue; // gone meanwhile
      }
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (!stat.includes("(workerd)") || Number(fields[1]) !== process.pid) continue;
      total += (Number(fields[11]) + Number(fields[12])) / ticksPerMs; // utime + stime
      found = true;
    }
    return found ? total : null;
  } catch {
    return null;
  }
}

const perItem = (before: number | null, after: number | null, items: number) =>
  before === null || after === null ? null : Number(((after - before) / items).toFixed(2));

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

async function waitForJob(
  url: string,
  jobId: string,
  timeoutMs: number,
): Promise<{ done: number; total: number; finished_at: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await (await fetch(`${url}/v1/jobs/${jobId}`)).json()) as {
      status: string;
      done: number;
      total: number;
      finished_at: string;
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

/**
 * Single requests at PROBE_RPS (distinct images, open loop), one per image at most, until `stop()` says so:
 * each answer's time and when it was sent (epoch ms).
 */
async function probe(
  url: string,
  images: Buffer[],
  stop: () => boolean = () => false,
): Promise<{ sentAt: number; status: number; ms: number }[]> {
  const started = performance.now();
  const pending: Promise<{ sentAt: number; status: number; ms: number }>[] = [];
  for (let i = 0; i < images.length && !stop(); i++) {
    const wait = started + (i * 1000) / PROBE_RPS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (stop()) break;
    const sentAt = Date.now();
    pending.push(analyse(url, images[i] as Buffer).then((answer) => ({ sentAt, ...answer })));
  }
  return Promise.all(pending);
}

/** The p50 of the successful answers' times. */
function p50(samples: { status: number; ms: number }[]): number {
  const ok = samples.filter((s) => s.status === 200).map((s) => s.ms);
  ok.sort((a, b) => a - b);
  return ok[Math.ceil(ok.length / 2) - 1] ?? Number.NaN;
}

interface Pair {
  single: number;
  jobPerS: number;
  share: number;
  submitMs: number;
  cpuSingle: number | null;
  cpuJobItem: number | null;
  lost: string | null;
}

/**
 * Capacity over `forCapacity`, then a job of `forJob`, back to back (the same conditions for both), and the
 * job's items per second as a share of that capacity.
 */
async function capacityThenJob(url: string, forCapacity: Buffer[], forJob: Buffer[]): Promise<Pair> {
  const cpuBeforeSingle = workerdCpuMs();
  const single = await capacity(url, forCapacity);
  const cpuBeforeJob = workerdCpuMs();
  const jobStarted = Date.now();
  const jobId = await submitJob(url, forJob);
  const submitMs = Date.now() - jobStarted;
  const { finished_at } = await waitForJob(url, jobId, 300_000);
  // To the job's own end, not to the poll that saw it (polls are 100 ms apart).
  const jobPerS = forJob.length / ((Date.parse(finished_at) - jobStarted) / 1000);
  const cpuAfterJob = workerdCpuMs(); // a poll later than the end: a few polls' work more, on the job's side
  return {
    single,
    jobPerS,
    share: jobPerS / single,
    submitMs,
    cpuSingle: perItem(cpuBeforeSingle, cpuBeforeJob, forCapacity.length),
    cpuJobItem: perItem(cpuBeforeJob, cpuAfterJob, forJob.length),
    lost: await checkResults(url, jobId, forJob.length),
  };
}

/**
 * @example
 * const result = await runJobsLoad(stack.url, photo, { smoke: true });
 */
export async function runJobsLoad(url: string, photo: Buffer, options: { smoke: boolean }): Promise<JobsLoadResult> {
  const items = 200;
  // The goal's 1,000 items in the smoke run too: such a job takes a few seconds now, and a 300-item one ran too
  // briefly for more than a handful of latency samples.
  const bigItems = 1_000;
  const probeS = options.smoke ? 8 : 15;
  const [forPairs, forProbeIdle, forProbeBusy, forBigJob] = await Promise.all([
    Promise.all(Array.from({ length: PAIRS * 2 }, () => distinctImages(photo, items))),
    distinctImages(photo, PROBE_RPS * probeS),
    distinctImages(photo, PROBE_RPS * probeS),
    distinctImages(photo, bigItems),
  ]);
  const failures: string[] = [];

  const pairs: Pair[] = [];
  for (let p = 0; p < PAIRS; p++) {
    const pair = await capacityThenJob(url, forPairs[2 * p] as Buffer[], forPairs[2 * p + 1] as Buffer[]);
    if (pair.lost) failures.push(pair.lost);
    pairs.push(pair);
  }
  const mid = <K extends keyof Pair>(key: K) => {
    const values = pairs.flatMap((pair) => (typeof pair[key] === "number" ? [pair[key] as number] : []));
    return values.length === pairs.length ? median(values) : null;
  };

  const idle = p50(await probe(url, forProbeIdle));
  const bigStarted = Date.now();
  const bigId = await submitJob(url, forBigJob);
  // Probed while the job runs, and only then: a request sent after the job's end does not count.
  let ended = false;
  const [big, probed] = await Promise.all([
    waitForJob(url, bigId, 600_000).finally(() => {
      ended = true;
    }),
    probe(url, forProbeBusy, () => ended),
  ]);
  const whileRunning = probed.filter((s) => s.sentAt < Date.parse(big.finished_at));
  const busy = p50(whileRunning);
  const bigS = (Date.parse(big.finished_at) - bigStarted) / 1000;
  const bigLost = await checkResults(url, bigId, big.total);
  if (bigLost) failures.push(bigLost);

  return {
    single_capacity_per_s: Number((mid("single") as number).toFixed(1)),
    job_items: items,
    job_items_per_s: Number((mid("jobPerS") as number).toFixed(1)),
    job_submit_ms: mid("submitMs") as number,
    job_share_of_capacity: Number((mid("share") as number).toFixed(2)),
    shares: pairs.map((pair) => Number(pair.share.toFixed(2))),
    worker_cpu_ms_per_single: mid("cpuSingle"),
    worker_cpu_ms_per_job_item: mid("cpuJobItem"),
    idle_p50_ms: Math.round(idle),
    busy_p50_ms: Math.round(busy),
    busy_over_idle: Number((busy / idle).toFixed(2)),
    busy_samples: whileRunning.length,
    big_job_items: bigItems,
    big_job_seconds: Number(bigS.toFixed(1)),
    failures,
  };
}

/** The middle value (the mean of the two middle ones for an even count). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid)
    ? ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
    : (sorted[Math.floor(mid)] as number);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runsAt = process.argv.indexOf("--runs");
  const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 1;
  const photo = readFileSync(
    fileURLToPath(new URL("../../shared/fixtures/reference/sample2-536x354.jpg", import.meta.url)),
  );
  const stack = await startLocalStack({ quiet: true, rateLimitPerMinute: 100_000 });
  const results: JobsLoadResult[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const result = await runJobsLoad(stack.url, photo, { smoke: process.argv.includes("--smoke") });
      results.push(result);
      console.log(JSON.stringify({ run: run + 1, load_1m: Number(loadavg()[0]?.toFixed(2)), ...result }));
    }
  } finally {
    await stack.stop();
  }
  const figures = [
    "single_capacity_per_s",
    "job_items_per_s",
    "job_submit_ms",
    "job_share_of_capacity",
    "worker_cpu_ms_per_single",
    "worker_cpu_ms_per_job_item",
    "busy_over_idle",
    "busy_samples",
    "big_job_seconds",
  ] as const;
  console.log(
    `median of ${runs}: ${JSON.stringify(Object.fromEntries(figures.map((f) => [f, median(results.flatMap((r) => r[f] ?? []))])))}`,
  );
  const failures = results.flatMap((r) => r.failures);
  for (const failure of failures) console.log(`FAIL ${failure}`);
  process.exit(failures.length === 0 ? 0 : 1);
}
