/**
 * Two batch-job scenarios of `npm run test:load`, each on local stacks of its own (scripts/local-stack.ts):
 *
 * 1. Two tenants, one flooding the queue with slow URLs. Key A submits A_JOBS JSON jobs of URLs that a local
 *    server answers after SLOW_URL_MS each; B_DELAY_MS later key B submits B_ITEMS small uploads. Measured: the
 *    time from B's submission to its first item done (polls POLL_MS apart) and to its `finished_at`, and the
 *    items each key had analysed per second over the run. Goals (checked; a miss fails the run): B's first item
 *    within B_FIRST_ITEM_GOAL_S, its job finished within B_FINISHED_GOAL_S. A's jobs are cancelled at the end
 *    (DELETE /v1/jobs/{id}) and the run waits, at most DRAIN_TIMEOUT_MS, until no slow download is left.
 * 2. Capacity follows the instances: the same job (INSTANCE_ITEMS distinct images) with CONTAINER_INSTANCES=1
 *    and one container process, then with 2 and a process for each instance, each process limited to one decode
 *    at once (ANALYSIS_CONCURRENCY=1): items per second from the job's creation to its `finished_at`, the ratio,
 *    and how much CPU each container process used meanwhile. Printed, not checked.
 *
 * Every loop is bounded in count and in time. Alone: `node --import tsx scripts/load-tenants.ts [--smoke]
 * [tenants|instances]` (both when neither is named).
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import {
  checkResults,
  distinctImages,
  getJob,
  type JobView,
  keyHeaders,
  median,
  submitJob,
  waitForJob,
} from "./load-jobs.ts";
import { type LocalStack, startLocalStack } from "./local-stack.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const photo = () => readFileSync(`${ROOT}../shared/fixtures/reference/sample2-536x354.jpg`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => Number((ms / 1000).toFixed(1));

// ---------------------------------------------------------------------------------------------------------------
// 1. Two tenants
// ---------------------------------------------------------------------------------------------------------------

export const TENANT_A_KEY = "tenant-a-key";
export const TENANT_B_KEY = "tenant-b-key";
/** How long the source server takes to answer each of A's URLs, in milliseconds. */
const SLOW_URL_MS = 4_000;
/** The Worker's whole-download deadline: well above SLOW_URL_MS, so a slow URL succeeds even on a loaded machine. */
const URL_FETCH_TIMEOUT_MS = 15_000;
const A_JOBS = 3;
/** URLs in each of A's jobs. */
const aItems = (smoke: boolean) => (smoke ? 100 : 400);
/** How long after A's last submission B submits its job, in milliseconds. */
const B_DELAY_MS = 3_000;
const B_ITEMS = 12;
/**
 * Goal: B's first item done within this many seconds of its submission ("starts within a few seconds"). When B
 * arrives, every place the consumer has may hold one of A's downloads, which ends SLOW_URL_MS after it began: a
 * fair scheduler starts B's first item within about that, plus B's submission, its queueing and a poll. Waiting
 * behind A's backlog instead takes minutes (before the scheduler change: none of B's items within 120 s).
 */
export const B_FIRST_ITEM_GOAL_S = 10;
/** Goal: B's job finished within this many seconds of its submission. */
export const B_FINISHED_GOAL_S = 60;
/**
 * How long to wait for B's job at most, in seconds: the goal itself in the smoke (past it the run has failed
 * and waiting longer only costs CI time), twice it in the full run, to see how late B ends.
 */
const bWaitS = (smoke: boolean) => (smoke ? B_FINISHED_GOAL_S : 2 * B_FINISHED_GOAL_S);
const POLL_MS = 250;
/** After A's jobs are cancelled, how long the downloads already under way may take to end, in milliseconds. */
const DRAIN_TIMEOUT_MS = 30_000;

export interface TenantsLoadResult {
  a_jobs: number;
  a_items_per_job: number;
  slow_url_ms: number;
  b_items: number;
  b_delay_s: number;
  /** From B's submission (its start) to the first poll that saw an item of B done; null: none within the wait. */
  b_first_item_s: number | null;
  /** From B's submission to its `finished_at`; null: not finished within the wait. */
  b_finished_s: number | null;
  /** B's items done when the measure ended (its end, or the wait's). */
  b_done: number;
  /** How long the run waited for B, in seconds (its end, or the wait's bound). */
  b_waited_s: number;
  /** A's items done (succeeded or failed) when the measure ended, and per second from A's first submission. */
  a_items_done: number;
  a_items_per_s: number;
  /** B's items done per second from its submission to its end (or to the wait's end). */
  b_items_per_s: number;
  /** How many slow downloads the source server served at once at most: A's items in flight. */
  slow_downloads_max_in_flight: number;
  /** A's items that failed (a slow URL must succeed: a failure means the scenario's setup is wrong), by code. */
  a_errors: Record<string, number>;
  /** From the cancellation of A's jobs until no slow download was left, in seconds; null: some still were. */
  cancel_drain_s: number | null;
  b_first_item_goal_s: number;
  b_finished_goal_s: number;
  failures: string[];
}

/** The loopback image server of the tenants scenario: slow and fast numbered PNGs, and a DNS stub. */
interface SourceServer {
  url: string;
  /** Slow answers under way now, and at most so far. */
  inFlight(): number;
  maxInFlight(): number;
  /** When a slow request last arrived or ended (epoch ms). */
  lastActivity(): number;
  close(): Promise<void>;
}

/** A 16×12 PNG whose pixels spell `i` and a per-run nonce: every URL of a run has bytes of its own. */
function numberedPng(i: number, nonce: number): Promise<Buffer> {
  const pixels = Buffer.alloc(16 * 12 * 3, 0x80);
  pixels.writeUInt32BE(i, 0);
  pixels.writeUInt32BE(nonce, 4);
  return sharp(pixels, { raw: { width: 16, height: 12, channels: 3 } })
    .png()
    .toBuffer();
}

/**
 * `/slow/<i>.png` answers after `delayMs`, `/fast/<i>.png` at once (both `no-store`, so no result is cached by
 * URL), `/dns-query` says NXDOMAIN to every name (the stack resolves nothing on the internet).
 */
async function startSourceServer(delayMs: number): Promise<SourceServer> {
  const nonce = Math.floor(Math.random() * 2 ** 32);
  let inFlight = 0;
  let maxInFlight = 0;
  let lastActivity = Date.now();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://source").pathname;
    const image = /^\/(slow|fast)\/(\d+)\.png$/.exec(path);
    if (path === "/dns-query") {
      res.writeHead(200, { "Content-Type": "application/dns-json" }).end(JSON.stringify({ Status: 3, Answer: [] }));
      return;
    }
    if (!image) {
      res.writeHead(404).end();
      return;
    }
    const answer = () =>
      void numberedPng(Number(image[2]), nonce).then((png) => {
        if (!res.destroyed) res.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "no-store" }).end(png);
      });
    if (image[1] === "fast") {
      answer();
      return;
    }
    lastActivity = Date.now();
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const timer = setTimeout(answer, delayMs);
    res.on("close", () => {
      clearTimeout(timer);
      inFlight--;
      lastActivity = Date.now();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the source server has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    lastActivity: () => lastActivity,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A JSON job of `urls` for `key`: its ID. */
async function submitUrlJob(url: string, urls: string[], key: string): Promise<string> {
  const res = await fetch(`${url}/v1/jobs`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...keyHeaders(key) },
    body: JSON.stringify({ items: urls.map((u, i) => ({ url: u, id: `a${i}` })) }),
  });
  if (res.status !== 202) throw new Error(`URL job submission answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { job_id: string }).job_id;
}

/** The error codes of a job's failed items (cancelled ones are not failures). */
async function failedCodes(url: string, jobId: string, key: string, into: Record<string, number>): Promise<void> {
  const text = await (await fetch(`${url}/v1/jobs/${jobId}/results`, { headers: keyHeaders(key) })).text();
  for (const line of text.trim().split("\n")) {
    if (!line) continue;
    const parsed = JSON.parse(line) as { status: string; error?: { code?: string } };
    if (parsed.status !== "failed") continue;
    const code = parsed.error?.code ?? "unknown";
    into[code] = (into[code] ?? 0) + 1;
  }
}

/**
 * @example
 * const result = await runTenantsLoad({ smoke: true });
 */
export async function runTenantsLoad(options: { smoke: boolean }): Promise<TenantsLoadResult> {
  const perJob = aItems(options.smoke);
  const source = await startSourceServer(SLOW_URL_MS);
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({
      quiet: true,
      rateLimitPerMinute: 100_000,
      vars: {
        API_KEYS: `${TENANT_A_KEY},${TENANT_B_KEY}`,
        // The loopback source server is the one private origin the Worker may fetch from, as in the tests
        // (vitest.config.ts); names would be resolved by its stub, which knows none.
        ALLOW_PRIVATE_SOURCE_ADDRESSES: source.url,
        DNS_RESOLVER_URL: `${source.url}/dns-query`,
        URL_FETCH_TIMEOUT_MS: String(URL_FETCH_TIMEOUT_MS),
      },
    });
    const { url } = stack;
    const bImages = await distinctImages(photo(), B_ITEMS);

    const aStarted = Date.now();
    const aJobs: string[] = [];
    for (let j = 0; j < A_JOBS; j++) {
      const urls = Array.from({ length: perJob }, (_, i) => `${source.url}/slow/${j * perJob + i}.png`);
      aJobs.push(await submitUrlJob(url, urls, TENANT_A_KEY));
    }
    await sleep(B_DELAY_MS);
    const bSubmitted = Date.now();
    const bJob = await submitJob(url, bImages, TENANT_B_KEY);

    // Both keys' progress, POLL_MS apart, until B's job ends or the wait's bound.
    const deadline = bSubmitted + bWaitS(options.smoke) * 1000;
    let bFirstAt: number | null = null;
    let b: JobView;
    let a: JobView[];
    for (;;) {
      [b, a] = await Promise.all([
        getJob(url, bJob, TENANT_B_KEY),
        Promise.all(aJobs.map((id) => getJob(url, id, TENANT_A_KEY))),
      ]);
      if (b.done > 0 && bFirstAt === null) bFirstAt = Date.now();
      if (b.status === "succeeded" || Date.now() >= deadline) break;
      await sleep(POLL_MS);
    }
    const measuredAt = Date.now();
    const bEnd = b.status === "succeeded" ? Date.parse(b.finished_at) : measuredAt;
    const aDone = a.reduce((sum, job) => sum + job.done, 0);

    // A's jobs cancelled, so the run stops by itself; then no slow download may be left (bounded).
    const cancelledAt = Date.now();
    for (const id of aJobs) {
      const res = await fetch(`${url}/v1/jobs/${id}`, { method: "DELETE", headers: keyHeaders(TENANT_A_KEY) });
      await res.arrayBuffer();
    }
    let drainedAt: number | null = null;
    while (Date.now() - cancelledAt < DRAIN_TIMEOUT_MS) {
      // Drained: nothing in flight, and no slow request for a second (the queue's next batch would have asked).
      if (source.inFlight() === 0 && Date.now() - source.lastActivity() >= 1_000) {
        drainedAt = source.lastActivity();
        break;
      }
      await sleep(100);
    }

    const aErrors: Record<string, number> = {};
    for (const id of aJobs) await failedCodes(url, id, TENANT_A_KEY, aErrors);
    const failures: string[] = [];
    const firstS = bFirstAt === null ? null : seconds(bFirstAt - bSubmitted);
    const finishedS = b.status === "succeeded" ? seconds(bEnd - bSubmitted) : null;
    const waitedS = seconds(measuredAt - bSubmitted);
    const aPerS = Number((aDone / ((measuredAt - aStarted) / 1000)).toFixed(2));
    const bPerS = Number((b.done / ((bEnd - bSubmitted) / 1000)).toFixed(2));
    const inFlightMax = source.maxInFlight();
    const startMissed = firstS === null || firstS > B_FIRST_ITEM_GOAL_S;
    const endMissed = finishedS === null || finishedS > B_FINISHED_GOAL_S;
    if (startMissed || endMissed) {
      const started = firstS === null ? `no item done within ${waitedS} s` : `its first item done after ${firstS} s`;
      const ended =
        finishedS === null
          ? `${b.done} of ${B_ITEMS} done after ${waitedS} s`
          : `the job finished after ${finishedS} s`;
      failures.push(
        `tenant B's ${B_ITEMS}-image job, submitted ${B_DELAY_MS / 1000} s after tenant A's ${A_JOBS} jobs of ${perJob} URLs that answer in ${SLOW_URL_MS / 1000} s: expected its first item done within ${B_FIRST_ITEM_GOAL_S} s and the job finished within ${B_FINISHED_GOAL_S} s of its submission; happened: ${started}, ${ended} (A meanwhile: ${aDone} items analysed, ${aPerS}/s, at most ${inFlightMax} slow downloads at once)`,
      );
    }
    if (finishedS !== null) {
      const lost = await checkResults(url, bJob, B_ITEMS, TENANT_B_KEY);
      if (lost) failures.push(lost);
    }
    const aFailed = Object.values(aErrors).reduce((sum, n) => sum + n, 0);
    if (aFailed > 0) {
      failures.push(
        `${aFailed} of tenant A's slow URLs failed (${JSON.stringify(aErrors)}): each should succeed after ${SLOW_URL_MS} ms, so the scenario did not measure what it means to`,
      );
    }
    if (drainedAt === null) {
      failures.push(
        `${source.inFlight()} slow downloads still under way ${DRAIN_TIMEOUT_MS / 1000} s after tenant A's jobs were cancelled`,
      );
    }
    return {
      a_jobs: A_JOBS,
      a_items_per_job: perJob,
      slow_url_ms: SLOW_URL_MS,
      b_items: B_ITEMS,
      b_delay_s: B_DELAY_MS / 1000,
      b_first_item_s: firstS,
      b_finished_s: finishedS,
      b_done: b.done,
      b_waited_s: waitedS,
      a_items_done: aDone,
      a_items_per_s: aPerS,
      b_items_per_s: bPerS,
      slow_downloads_max_in_flight: inFlightMax,
      a_errors: aErrors,
      cancel_drain_s: drainedAt === null ? null : seconds(Math.max(0, drainedAt - cancelledAt)),
      b_first_item_goal_s: B_FIRST_ITEM_GOAL_S,
      b_finished_goal_s: B_FINISHED_GOAL_S,
      failures,
    };
  } finally {
    await stack?.stop();
    await source.close();
  }
}

export function printTenantsLoad(r: TenantsLoadResult): void {
  const met = (ok: boolean) => (ok ? "met" : "NOT met");
  const first = r.b_first_item_s === null ? `none within ${r.b_waited_s} s` : `${r.b_first_item_s} s`;
  const end =
    r.b_finished_s === null ? `not finished: ${r.b_done}/${r.b_items} after ${r.b_waited_s} s` : `${r.b_finished_s} s`;
  console.log(
    [
      `| A: ${r.a_jobs} JSON jobs × ${r.a_items_per_job} URLs answering in ${r.slow_url_ms / 1000} s; B: ${r.b_items} uploads ${r.b_delay_s} s later |`,
      `| B: submission → first item done | ${first} (goal ≤ ${r.b_first_item_goal_s} s: ${met(r.b_first_item_s !== null && r.b_first_item_s <= r.b_first_item_goal_s)}) |`,
      `| B: submission → finished_at | ${end} (goal ≤ ${r.b_finished_goal_s} s: ${met(r.b_finished_s !== null && r.b_finished_s <= r.b_finished_goal_s)}) |`,
      `| items analysed per second | A ${r.a_items_per_s}/s (${r.a_items_done} items), B ${r.b_items_per_s}/s; at most ${r.slow_downloads_max_in_flight} of A's slow downloads at once |`,
      `| A's jobs cancelled → no download left | ${r.cancel_drain_s === null ? "not within 30 s" : `${r.cancel_drain_s} s`} |`,
    ].join("\n"),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Capacity follows the instances
// ---------------------------------------------------------------------------------------------------------------

/**
 * Each container process as a small cloud instance. A `basic` instance has 1/4 vCPU: its cgroup lets it run
 * 25 ms of every 100 ms. Here each process is stopped and continued on that rhythm (`throttle`: SIGSTOP and
 * SIGCONT), and decodes one image at once (what its code chooses on 1/4 vCPU: availableCpus rounds up to 1).
 * Unthrottled, one process with one decode slot used 1.1–1.2 cores (libvips' threads beside the JavaScript), so
 * two of them and workerd asked more than the 2 cores of this machine: one instance against two compared the
 * machine's cores, not the scheduler (1.42×, container CPU 1.14 against 0.73 + 0.72 cores). Every image is
 * analysed at up to 2048 px (the default downscales to 512 px first) and with every metric, so that an item's
 * time is the container's far more than the Worker's.
 */
const INSTANCE_CONTAINER_ENV = { ANALYSIS_CONCURRENCY: "1", ANALYSIS_MAX_SIDE_PX: "2048" };
/** The share of each period a container process may run, and the period, in milliseconds (CFS' default). */
const INSTANCE_CPU_SHARE = 0.25;
const THROTTLE_PERIOD_MS = 100;
/**
 * 1024×768 JPEGs of the smooth reference sample, about 35 KB each: small files, kept in their items' rows
 * (≤ 128 KiB), so no R2 work.
 */
const INSTANCE_IMAGE = { width: 1024, height: 768, quality: 75 };
const INSTANCE_QUERY = "metrics=all";
const instanceItems = (smoke: boolean) => (smoke ? 60 : 200);
/** Measures of each configuration, alternated (the figures are their medians). */
const instanceRounds = (smoke: boolean) => (smoke ? 1 : 3);
const INSTANCE_JOB_TIMEOUT_MS = 180_000;

export interface InstanceMeasure {
  instances: number;
  items_per_s: number;
  /** Each container process's CPU over the job, in cores (CPU seconds per second of the job). */
  container_cores: number[];
}

export interface InstancesLoadResult {
  job_items: number;
  image: string;
  query: string;
  container_env: Record<string, string>;
  /** The share of each 100 ms a container process may run (`throttle`). */
  container_cpu_share: number;
  measures: InstanceMeasure[];
  one_instance_items_per_s: number;
  two_instances_items_per_s: number;
  ratio: number;
  failures: string[];
}

/** Processes `throttle` holds: continued whatever happens to this one, or they would stay stopped. */
const throttled = new Set<number>();
process.once("exit", () => {
  for (const pid of throttled) {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // gone already
    }
  }
});

/**
 * Lets process `pid` run `share` of every `periodMs` (SIGCONT, then SIGSTOP), as a cgroup CPU quota would (all
 * its threads stopped together). Returns the function that ends this and leaves it running.
 */
function throttle(pid: number, share: number, periodMs: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      ended = true; // the process is gone
    }
  };
  throttled.add(pid);
  const cycle = () => {
    if (ended) return;
    signal("SIGCONT");
    timer = setTimeout(() => {
      if (ended) return;
      signal("SIGSTOP");
      timer = setTimeout(cycle, periodMs * (1 - share));
    }, periodMs * share);
  };
  cycle();
  return () => {
    ended = true;
    clearTimeout(timer);
    signal("SIGCONT");
    throttled.delete(pid);
  };
}

/** A process's CPU time so far (user + system), in milliseconds; 0 where /proc does not show it. */
function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ 100: a tick is 10 ms
  } catch {
    return 0;
  }
}

async function measureInstances(stack: LocalStack, instances: number, images: Buffer[]): Promise<InstanceMeasure> {
  const pids = stack.containers.map((c) => c.child.pid);
  const cpuBefore = pids.map(processCpuMs);
  const jobId = await submitJob(stack.url, images, undefined, INSTANCE_QUERY);
  const job = await waitForJob(stack.url, jobId, INSTANCE_JOB_TIMEOUT_MS);
  const cpuAfter = pids.map(processCpuMs);
  // From the job's creation (its uploads read) to its last result: the pace of the queue and the containers.
  const elapsedMs = Date.parse(job.finished_at) - Date.parse(job.created_at);
  const lost = await checkResults(stack.url, jobId, images.length);
  if (lost) throw new Error(lost);
  return {
    instances,
    items_per_s: Number((images.length / (elapsedMs / 1000)).toFixed(1)),
    container_cores: cpuAfter.map((after, i) => Number(((after - (cpuBefore[i] as number)) / elapsedMs).toFixed(2))),
  };
}

/**
 * @example
 * const result = await runInstancesLoad({ smoke: true });
 */
export async function runInstancesLoad(options: { smoke: boolean }): Promise<InstancesLoadResult> {
  const items = instanceItems(options.smoke);
  const stacks: Record<number, LocalStack> = {};
  const unthrottle: (() => void)[] = [];
  const failures: string[] = [];
  const measures: InstanceMeasure[] = [];
  try {
    for (const instances of [1, 2]) {
      stacks[instances] = await startLocalStack({
        quiet: true,
        rateLimitPerMinute: 100_000,
        containers: instances,
        containerEnv: INSTANCE_CONTAINER_ENV,
        vars: { CONTAINER_INSTANCES: String(instances) },
      });
      for (const container of stacks[instances].containers) {
        unthrottle.push(throttle(container.child.pid as number, INSTANCE_CPU_SHARE, THROTTLE_PERIOD_MS));
      }
      // Warm: every instance's container started, the consumer's pipeline run once.
      const warm = await distinctImages(photo(), 8, INSTANCE_IMAGE);
      await waitForJob(
        stacks[instances].url,
        await submitJob(stacks[instances].url, warm, undefined, INSTANCE_QUERY),
        INSTANCE_JOB_TIMEOUT_MS,
      );
    }
    for (let round = 0; round < instanceRounds(options.smoke); round++) {
      // Alternated, so that a drift of the machine's load weighs on both alike.
      for (const instances of round % 2 === 0 ? [1, 2] : [2, 1]) {
        const images = await distinctImages(photo(), items, INSTANCE_IMAGE);
        try {
          measures.push(await measureInstances(stacks[instances] as LocalStack, instances, images));
        } catch (cause) {
          failures.push(`capacity with ${instances} instance(s): ${cause instanceof Error ? cause.message : cause}`);
        }
      }
    }
  } finally {
    for (const end of unthrottle) end();
    for (const stack of Object.values(stacks)) await stack.stop();
  }
  const rate = (instances: number) => {
    const rates = measures.filter((m) => m.instances === instances).map((m) => m.items_per_s);
    return rates.length > 0 ? median(rates) : Number.NaN;
  };
  const one = rate(1);
  const two = rate(2);
  return {
    job_items: items,
    image: `${INSTANCE_IMAGE.width}×${INSTANCE_IMAGE.height} JPEG q${INSTANCE_IMAGE.quality}`,
    query: INSTANCE_QUERY,
    container_env: INSTANCE_CONTAINER_ENV,
    container_cpu_share: INSTANCE_CPU_SHARE,
    measures,
    one_instance_items_per_s: one,
    two_instances_items_per_s: two,
    ratio: Number((two / one).toFixed(2)),
    failures,
  };
}

export function printInstancesLoad(r: InstancesLoadResult): void {
  const cores = (instances: number) =>
    r.measures
      .filter((m) => m.instances === instances)
      .map((m) => m.container_cores.join(" + "))
      .join("; ");
  console.log(
    [
      `| job of ${r.job_items} distinct ${r.image}, ${r.query}; each container ${JSON.stringify(r.container_env)}, running ${r.container_cpu_share * 100} % of each ${THROTTLE_PERIOD_MS} ms |`,
      `| 1 instance, 1 process | ${r.one_instance_items_per_s} items/s (container CPU ${cores(1)} cores) |`,
      `| 2 instances, 2 processes | ${r.two_instances_items_per_s} items/s (container CPU ${cores(2)} cores) |`,
      `| ratio | ${r.ratio}× (2 would be each instance's decode slot used; 1: the second instance adds nothing) |`,
    ].join("\n"),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const smoke = process.argv.includes("--smoke");
  const only = ["tenants", "instances"].find((name) => process.argv.includes(name));
  const failures: string[] = [];
  if (only !== "instances") {
    const tenants = await runTenantsLoad({ smoke });
    printTenantsLoad(tenants);
    console.log(JSON.stringify(tenants));
    failures.push(...tenants.failures);
  }
  if (only !== "tenants") {
    const instances = await runInstancesLoad({ smoke });
    printInstancesLoad(instances);
    console.log(JSON.stringify(instances));
    failures.push(...instances.failures);
  }
  for (const failure of failures) console.log(`FAIL ${failure}`);
  process.exit(failures.length === 0 ? 0 : 1);
}
