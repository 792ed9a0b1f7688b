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
 *    big job of another API key runs (only the requests sent before its `finished_at`): p50 of each. Goal: while
 *    the job runs, ≤ 1.5× idle (BUSY_OVER_IDLE_GOAL; the run fails only past BUSY_OVER_IDLE_FAIL, see there).
 *
 * Every job must end with exactly one result per item (a lost or doubled item fails the run).
 *
 * Single requests carry one API key and jobs another (`keys`), as two tenants' would.
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
  /** BUSY_OVER_IDLE_GOAL met. */
  busy_goal_met: boolean;
  /**
   * The cores used by processes other than this run's (other sessions' work, the hypervisor's steal) while the
   * idle and the busy probes ran; null where /proc does not say.
   */
  other_cores_idle: number | null;
  other_cores_busy: number | null;
  /** Why the ratio was not checked against BUSY_OVER_IDLE_FAIL (too few samples, a busy machine), or null. */
  busy_not_checked: string | null;
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
/** The goal: a single request's p50 while another key's 1,000-item job runs, at most this many times idle. */
export const BUSY_OVER_IDLE_GOAL = 1.5;
/**
 * Where the run fails, when the measure is meaningful (MIN_BUSY_SAMPLES, OTHER_CORES_MAX). The ratio is of two
 * p50s of 10–40 ms each, on 2 cores that workerd, the container and this load generator share: a few ms more
 * or less in either moves it by 0.2–0.5×. With job items resting while single requests are about (the
 * container's BATCH_REST_FACTOR) it measured 1.26, 1.44, 1.57 and, in CI right after the whole suite, 2.05×; so a
 * hard fail at the 1.5× goal, or at 2×, would fail sound code now and then. Past 2.5× it is the code (a free
 * decode slot without the rest measured up to 2.94×; a consumer sending a container more job items than it
 * decodes at once, 3.2×). Between the goal and this, the run prints "NOT met" and passes.
 */
export const BUSY_OVER_IDLE_FAIL = 2.5;
/**
 * Fewer busy samples than this (a job that ended in under 4 s) and the ratio says nothing: it is printed, not
 * checked.
 */
export const MIN_BUSY_SAMPLES = 20;
/**
 * Past this many cores used by other processes during either probe (/proc/stat's busy time minus this run's
 * processes'), the ratio is printed, not checked. On 2 oversubscribed cores the job's own work and the other
 * work queue together for the CPU, and the busy p50 grows far more than the idle one: that measures the
 * machine, not the code. A dedicated CI runner shows about 0.
 */
export const OTHER_CORES_MAX = 0.25;

/** The API keys of the load suite's stack: single requests are one tenant's, jobs another's. */
export interface LoadKeys {
  single: string;
  jobs: string;
}

/**
 * `count` distinct JPEGs of a photo (320×240 unless told): the reference sample, with a unique pixel pattern each.
 */
export async function distinctImages(
  photo: Buffer,
  count: number,
  size: { width: number; height: number; quality: number } = { width: 320, height: 240, quality: 85 },
): Promise<Buffer[]> {
  const { width, height, quality } = size;
  const base = await sharp(photo).resize(width, height, { fit: "cover" }).raw().toBuffer();
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const pixels = Buffer.from(base);
      pixels.writeUInt32BE(i, 0); // four bytes of the first pixels: every image differs
      pixels.writeUInt32BE(Number.parseInt(randomBytes(4).toString("hex"), 16), 8);
      return sharp(pixels, { raw: { width, height, channels: 3 } })
        .jpeg({ quality })
        .toBuffer();
    }),
  );
}

/** The headers that present `key` (none for an open API). */
export const keyHeaders = (key: string | undefined): Record<string, string> => (key ? { "X-API-Key": key } : {});

/** Every process's name, parent and CPU time so far (utime + stime, in ms), from Linux /proc. */
function processes(): { pid: number; ppid: number; name: string; cpuMs: number }[] {
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    found.push({
      pid: Number(entry),
      ppid: Number(fields[1]),
      name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
      cpuMs: (Number(fields[11]) + Number(fields[12])) * 10, // USER_HZ ticks of 10 ms
    });
  }
  return found;
}

/** The CPU time of this process's workerd children so far, in milliseconds (Linux /proc), or null. */
function workerdCpuMs(): number | null {
  try {
    const workerd = processes().filter((p) => p.name === "workerd" && p.ppid === process.pid);
    return workerd.length > 0 ? workerd.reduce((sum, p) => sum + p.cpuMs, 0) : null;
  } catch {
    return null;
  }
}

/** The machine's busy CPU time (all cores, steal included) and this process's and its children's, in ms. */
interface CpuSnapshot {
  at: number;
  machineMs: number;
  oursMs: number;
}

/** A CpuSnapshot now (Linux /proc), or null. */
function cpuSnapshot(): CpuSnapshot | null {
  try {
    // /proc/stat's first line: user nice system idle iowait irq softirq steal … (USER_HZ ticks, 10 ms each).
    const ticks = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
    // This load generator, and what it started: workerd, the container processes, esbuild.
    const ours = processes()
      .filter((p) => p.pid === process.pid || p.ppid === process.pid)
      .reduce((sum, p) => sum + p.cpuMs, 0);
    return { at: Date.now(), machineMs: (user + nice + system + irq + softirq + steal) * 10, oursMs: ours };
  } catch {
    return null;
  }
}

/** The cores that processes other than this run's used between two snapshots (null where unknown). */
const otherCores = (from: CpuSnapshot | null, to: CpuSnapshot | null) =>
  from && to && to.at > from.at
    ? Number(Math.max(0, (to.machineMs - from.machineMs - (to.oursMs - from.oursMs)) / (to.at - from.at)).toFixed(2))
    : null;

const perItem = (before: number | null, after: number | null, items: number) =>
  before === null || after === null ? null : Number(((after - before) / items).toFixed(2));

async function analyse(url: string, image: Buffer, key?: string): Promise<{ status: number; ms: number }> {
  const form = new FormData();
  form.append("image", new Blob([new Uint8Array(image)], { type: "image/jpeg" }), "load.jpg");
  const started = performance.now();
  const res = await fetch(`${url}/v1/image/analysis`, { method: "POST", body: form, headers: keyHeaders(key) });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

async function capacity(url: string, images: Buffer[], key: string | undefined): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CAPACITY_CLIENTS }, async () => {
      while (next < images.length) await analyse(url, images[next++] as Buffer, key);
    }),
  );
  return images.length / ((performance.now() - started) / 1000);
}

/** A multipart job of `images` (JPEGs), with `query` as its parameters (e.g. `metrics=all`): its ID. */
export async function submitJob(url: string, images: Buffer[], key?: string, query = ""): Promise<string> {
  const form = new FormData();
  for (const [i, image] of images.entries()) {
    form.append("images", new Blob([new Uint8Array(image)], { type: "image/jpeg" }), `i${i}.jpg`);
  }
  const res = await fetch(`${url}/v1/jobs${query ? `?${query}` : ""}`, {
    method: "POST",
    body: form,
    headers: keyHeaders(key),
  });
  if (res.status !== 202) throw new Error(`job submission answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { job_id: string }).job_id;
}

/** What the load scripts read of `GET /v1/jobs/{id}`. */
export interface JobView {
  status: string;
  done: number;
  succeeded: number;
  total: number;
  created_at: string;
  finished_at: string;
}

/** The job as `GET /v1/jobs/{id}` shows it to `key`. */
export async function getJob(url: string, jobId: string, key?: string): Promise<JobView> {
  const res = await fetch(`${url}/v1/jobs/${jobId}`, { headers: keyHeaders(key) });
  if (res.status !== 200) throw new Error(`GET job ${jobId} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as JobView;
}

/** Polls the job every 100 ms until it has succeeded; throws past `timeoutMs`. */
export async function waitForJob(url: string, jobId: string, timeoutMs: number, key?: string): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(url, jobId, key);
    if (job.status === "succeeded") return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status} (${job.done}/${job.total})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Lines of a job's results: one per item, in order, or the failure that says otherwise. */
export async function checkResults(url: string, jobId: string, total: number, key?: string): Promise<string | null> {
  const text = await (await fetch(`${url}/v1/jobs/${jobId}/results`, { headers: keyHeaders(key) })).text();
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
  key: string | undefined,
  stop: () => boolean = () => false,
): Promise<{ sentAt: number; status: number; ms: number }[]> {
  const started = performance.now();
  const pending: Promise<{ sentAt: number; status: number; ms: number }>[] = [];
  for (let i = 0; i < images.length && !stop(); i++) {
    const wait = started + (i * 1000) / PROBE_RPS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (stop()) break;
    const sentAt = Date.now();
    pending.push(analyse(url, images[i] as Buffer, key).then((answer) => ({ sentAt, ...answer })));
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
async function capacityThenJob(url: string, forCapacity: Buffer[], forJob: Buffer[], keys?: LoadKeys): Promise<Pair> {
  const cpuBeforeSingle = workerdCpuMs();
  const single = await capacity(url, forCapacity, keys?.single);
  const cpuBeforeJob = workerdCpuMs();
  const jobStarted = Date.now();
  const jobId = await submitJob(url, forJob, keys?.jobs);
  const submitMs = Date.now() - jobStarted;
  const { finished_at } = await waitForJob(url, jobId, 300_000, keys?.jobs);
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
    lost: await checkResults(url, jobId, forJob.length, keys?.jobs),
  };
}

/**
 * @example
 * const result = await runJobsLoad(stack.url, photo, { smoke: true, keys: { single: "k1", jobs: "k2" } });
 */
export async function runJobsLoad(
  url: string,
  photo: Buffer,
  options: { smoke: boolean; keys?: LoadKeys },
): Promise<JobsLoadResult> {
  const { keys } = options;
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
    const pair = await capacityThenJob(url, forPairs[2 * p] as Buffer[], forPairs[2 * p + 1] as Buffer[], keys);
    if (pair.lost) failures.push(pair.lost);
    pairs.push(pair);
  }
  const mid = <K extends keyof Pair>(key: K) => {
    const values = pairs.flatMap((pair) => (typeof pair[key] === "number" ? [pair[key] as number] : []));
    return values.length === pairs.length ? median(values) : null;
  };

  const idleFrom = cpuSnapshot();
  const idle = p50(await probe(url, forProbeIdle, keys?.single));
  const busyFrom = cpuSnapshot();
  const bigStarted = Date.now();
  // Another key's job: the single requests' key has nothing of its own queued.
  const bigId = await submitJob(url, forBigJob, keys?.jobs);
  // Probed while the job runs, and only then: a request sent after the job's end does not count.
  let ended = false;
  const [big, probed] = await Promise.all([
    waitForJob(url, bigId, 600_000, keys?.jobs).finally(() => {
      ended = true;
    }),
    probe(url, forProbeBusy, keys?.single, () => ended),
  ]);
  const busyTo = cpuSnapshot();
  const whileRunning = probed.filter((s) => s.sentAt < Date.parse(big.finished_at));
  const busy = p50(whileRunning);
  const bigS = (Date.parse(big.finished_at) - bigStarted) / 1000;
  const bigLost = await checkResults(url, bigId, big.total, keys?.jobs);
  if (bigLost) failures.push(bigLost);
  const busyOverIdle = Number((busy / idle).toFixed(2));
  const othersIdle = otherCores(idleFrom, busyFrom);
  const othersBusy = otherCores(busyFrom, busyTo);
  const notChecked =
    whileRunning.length < MIN_BUSY_SAMPLES
      ? `${whileRunning.length} requests while it ran, fewer than ${MIN_BUSY_SAMPLES}`
      : Math.max(othersIdle ?? 0, othersBusy ?? 0) > OTHER_CORES_MAX
        ? `other processes used ${othersIdle} cores while idle was measured, ${othersBusy} while busy was (more than ${OTHER_CORES_MAX})`
        : null;
  if (notChecked === null && !(busyOverIdle <= BUSY_OVER_IDLE_FAIL)) {
    failures.push(
      `single-request p50 while another key's ${bigItems}-item job ran: expected at most ${BUSY_OVER_IDLE_GOAL}× idle (the run fails past ${BUSY_OVER_IDLE_FAIL}×), measured ${Math.round(busy)} ms against ${Math.round(idle)} ms idle = ${busyOverIdle}× (${whileRunning.length} requests while it ran)`,
    );
  }

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
    busy_over_idle: busyOverIdle,
    busy_samples: whileRunning.length,
    busy_goal_met: busyOverIdle <= BUSY_OVER_IDLE_GOAL,
    other_cores_idle: othersIdle,
    other_cores_busy: othersBusy,
    busy_not_checked: notChecked,
    big_job_items: bigItems,
    big_job_seconds: Number(bigS.toFixed(1)),
    failures,
  };
}

/** The API keys load.ts and this script give their stack: single requests', and jobs'. */
export const LOAD_KEYS: LoadKeys = { single: "load-single-key", jobs: "load-jobs-key" };

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
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
  const stack = await startLocalStack({
    quiet: true,
    rateLimitPerMinute: 100_000,
    vars: { API_KEYS: `${LOAD_KEYS.single},${LOAD_KEYS.jobs}` },
  });
  const results: JobsLoadResult[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const result = await runJobsLoad(stack.url, photo, { smoke: process.argv.includes("--smoke"), keys: LOAD_KEYS });
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
    "other_cores_idle",
    "other_cores_busy",
    "big_job_seconds",
  ] as const;
  console.log(
    `median of ${runs}: ${JSON.stringify(Object.fromEntries(figures.map((f) => [f, median(results.flatMap((r) => r[f] ?? []))])))}`,
  );
  const failures = results.flatMap((r) => r.failures);
  for (const failure of failures) console.log(`FAIL ${failure}`);
  process.exit(failures.length === 0 ? 0 : 1);
}
