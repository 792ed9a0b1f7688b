/**
 * `npm run test:load` (`-- --smoke` for the 2–3 minute CI version): the local stack (Worker in workerd through
 * Miniflare, Durable Objects, the container process) under open-loop load on loopback, bounded in requests
 * and time.
 *
 * 1. A capacity sweep at rising request rates with a fixed image mix (small and large JPEG, PNG, WebP; every
 *    request's bytes unique, so the cache never answers): per step p50/p90/p99 of the answers, the rate
 *    achieved, the error classes, and the container's peak RSS.
 * 2. Twice the knee rate: excess requests must be shed with 503 in milliseconds while accepted ones keep their
 *    latency.
 * 3. Half the knee rate: the service recovers (no errors).
 *
 * 4. Batch jobs (scripts/load-jobs.ts): a job's throughput against single-request capacity, and single requests'
 *    latency while another key's big job runs (goal ≤ 1.5× idle); every job must end with one result per item.
 * 5. Two tenants (scripts/load-tenants.ts, a stack of its own): key A floods the queue with three jobs of slow
 *    URLs, key B submits 12 images a few seconds later; B's job must start within seconds and end within 60 s.
 * 6. Capacity follows the instances (scripts/load-tenants.ts, two stacks; full run only): a job's items per second
 *    with one container instance (one process) against two (two processes), each held to one decode at once and
 *    a quarter of a CPU, like a `basic` instance.
 *
 * Exits non-zero when the container's peak RSS reaches 512 MiB (half a `basic` instance), when any answer is a
 * 5xx other than a 503 with `Retry-After`, when the recovery step has errors, when a job loses or doubles an
 * item, when single requests' latency under another key's job passes its fail bound, or when tenant B's job
 * misses its goals. Results also go to test-results/load.json.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { BUSY_OVER_IDLE_FAIL, BUSY_OVER_IDLE_GOAL, LOAD_KEYS, runJobsLoad } from "./load-jobs.ts";
import { printInstancesLoad, printTenantsLoad, runInstancesLoad, runTenantsLoad } from "./load-tenants.ts";
import { startLocalStack } from "./local-stack.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SMOKE = process.argv.includes("--smoke");
/**
 * Offered request rates of the sweep, per second. The full run climbs past what 2 cores serve of this mix (about
 * 45/s with the whole stack on them), so that its knee is the service's and "twice the knee" is overload.
 */
const SWEEP_RPS = SMOKE ? [2, 4, 8, 12] : [2, 4, 6, 8, 12, 16, 24, 32, 48];
const STEP_S = SMOKE ? 12 : 20;
const OVERLOAD_S = SMOKE ? 30 : 60;
const RECOVERY_S = SMOKE ? 12 : 20;
/** A step is within capacity while its p99 stays under this and almost everything succeeds. */
const KNEE_P99_MS = 2_000;
const PEAK_RSS_LIMIT_MIB = 512;
const CLIENT_TIMEOUT_MS = 40_000;
const RSS_SAMPLE_MS = 200;

/** One answer: its status (0: no answer within the client's timeout), its error code, if any, and its time. */
type Sample = { status: number; code: string | null; ms: number; retryAfter: string | null };

const reference = (name: string) => readFileSync(`${ROOT}../shared/fixtures/reference/${name}`);
const small = reference("sample2-536x354.jpg");
const large = reference("sample3-color-5000x3330.jpg");
const png = await sharp(small).resize(1024).png().toBuffer();
const webp = await sharp(small).resize(1024).webp().toBuffer();
/** The mix: weight, label, bytes, type. */
const MIX: Array<[number, string, Buffer, string]> = [
  [50, "small JPEG 536×354", small, "image/jpeg"],
  [20, "PNG 1024×676", png, "image/png"],
  [20, "WebP 1024×676", webp, "image/webp"],
  [10, "large JPEG 5000×3330", large, "image/jpeg"],
];

function pickImage(i: number): [Buffer, string] {
  let roll = (i * 37) % 100; // deterministic, evenly spread
  for (const [weight, , bytes, type] of MIX) {
    if (roll < weight) return [bytes, type];
    roll -= weight;
  }
  return [small, "image/jpeg"];
}

// Two keys: the sweep's and the single requests' one, and the jobs' one (scripts/load-jobs.ts).
const stack = await startLocalStack({
  quiet: true,
  rateLimitPerMinute: 100_000,
  vars: { API_KEYS: `${LOAD_KEYS.single},${LOAD_KEYS.jobs}` },
});
let stackStopped = false;
const stopStack = async () => {
  if (stackStopped) return;
  stackStopped = true;
  await stack.stop();
};
const pid = stack.container.child.pid as number;
const rssMiB = (field: "VmRSS" | "VmHWM") => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
};

/** An error answer's `detail.code`, or null when the body is not the API's envelope. */
function errorCode(body: string): string | null {
  try {
    const code = (JSON.parse(body) as { detail?: { code?: unknown } }).detail?.code;
    return typeof code === "string" ? code : null;
  } catch {
    return null;
  }
}

let sent = 0;
async function send(): Promise<Sample> {
  const [bytes, type] = pickImage(sent++);
  // Unique bytes (a random tail, ignored by decoders) so that neither the cache nor coalescing answers.
  const unique = Buffer.concat([bytes, randomBytes(16)]);
  const form = new FormData();
  form.append("image", new Blob([unique], { type }), "load");
  const started = performance.now();
  try {
    const res = await fetch(`${stack.url}/v1/image/analysis`, {
      method: "POST",
      body: form,
      headers: { "X-API-Key": LOAD_KEYS.single },
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    const body = await res.text();
    const ms = performance.now() - started;
    return {
      status: res.status,
      code: res.ok ? null : errorCode(body),
      ms,
      retryAfter: res.headers.get("Retry-After"),
    };
  } catch {
    return { status: 0, code: null, ms: performance.now() - started, retryAfter: null };
  }
}

/** Sends at `rps` for `seconds` (open loop: arrivals do not wait for answers); peak RSS sampled meanwhile. */
async function step(rps: number, seconds: number) {
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB("VmRSS"));
  }, RSS_SAMPLE_MS);
  const started = performance.now();
  const pending: Promise<Sample>[] = [];
  const total = Math.round(rps * seconds);
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rps;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(send());
  }
  const samples = await Promise.all(pending);
  clearInterval(sampler);
  const elapsedS = (performance.now() - started) / 1000;
  const ok = samples
    .filter((s) => s.status === 200)
    .map((s) => s.ms)
    .sort((a, b) => a - b);
  const shed = samples
    .filter((s) => s.status === 503)
    .map((s) => s.ms)
    .sort((a, b) => a - b);
  const pct = (sorted: number[], p: number) =>
    sorted.length ? (sorted[Math.ceil((p / 100) * sorted.length) - 1] as number) : Number.NaN;
  const classes: Record<string, number> = {};
  // Every answer that was not a 200, by status and code (`504 container_timeout`, `timeout`: none in time).
  const errors: Record<string, number> = {};
  for (const s of samples) {
    const status = s.status === 0 ? "timeout" : String(s.status);
    classes[status] = (classes[status] ?? 0) + 1;
    if (s.status === 200) continue;
    const error = s.code ? `${status} ${s.code}` : status;
    errors[error] = (errors[error] ?? 0) + 1;
  }
  // Bad: no answer in time, or a 5xx that is not a shed 503 with Retry-After.
  const badSamples = samples.filter((s) => s.status === 0 || (s.status >= 500 && !(s.status === 503 && s.retryAfter)));
  const bad = badSamples.length;
  return {
    offered_rps: rps,
    achieved_rps: Number((ok.length / elapsedS).toFixed(2)),
    p50_ms: Math.round(pct(ok, 50)),
    p90_ms: Math.round(pct(ok, 90)),
    p99_ms: Math.round(pct(ok, 99)),
    shed_p50_ms: Math.round(pct(shed, 50)),
    statuses: classes,
    errors,
    bad,
    bad_p50_ms: Math.round(
      pct(
        badSamples.map((s) => s.ms).sort((a, b) => a - b),
        50,
      ),
    ),
    success_ratio: ok.length / samples.length,
    peak_rss_mib: Math.round(peak),
  };
}

type StepResult = Awaited<ReturnType<typeof step>>;
const row = (label: string, r: StepResult) =>
  `| ${label.padEnd(14)} | ${String(r.offered_rps).padStart(5)} | ${String(r.achieved_rps).padStart(6)} | ${String(r.p50_ms).padStart(6)} | ${String(r.p90_ms).padStart(6)} | ${String(r.p99_ms).padStart(6)} | ${String(r.shed_p50_ms).padStart(7)} | ${JSON.stringify(r.statuses).padEnd(28)} | ${String(r.peak_rss_mib).padStart(8)} |`;

console.log(
  `image-insights-api load ${SMOKE ? "(smoke)" : "(full)"}: ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
console.log(`mix: ${MIX.map(([w, label]) => `${w}% ${label}`).join(", ")}; every request unique (no cache hits)`);
console.log(
  "| step           | rps   | ok/s   | p50 ms | p90 ms | p99 ms | 503 p50 | statuses                     | RSS MiB  |",
);
console.log(
  "|----------------|-------|--------|--------|--------|--------|---------|------------------------------|----------|",
);

const sweep: StepResult[] = [];
let failures: string[] = [];
try {
  for (const rps of SWEEP_RPS) {
    const result = await step(rps, STEP_S);
    sweep.push(result);
    console.log(row("sweep", result));
    if (result.p99_ms > KNEE_P99_MS * 2 && result.success_ratio < 0.5) break; // far past the knee: stop climbing
  }
  const within = sweep.filter((r) => r.p99_ms <= KNEE_P99_MS && r.success_ratio >= 0.99);
  const knee = within.at(-1)?.offered_rps ?? (SWEEP_RPS[0] as number);
  const overload = await step(knee * 2, OVERLOAD_S);
  console.log(row(`2× knee (${knee})`, overload));
  console.log(`|   its answers other than 200: ${JSON.stringify(overload.errors)} |`);
  const recovery = await step(Math.max(1, knee / 2), RECOVERY_S);
  console.log(row("recovery", recovery));
  const peakMiB = Math.round(rssMiB("VmHWM"));
  console.log(
    `\nknee: ${knee} req/s (p99 ≤ ${KNEE_P99_MS} ms, ≥ 99 % success); container peak RSS (VmHWM) ${peakMiB} MiB`,
  );

  console.log("\nbatch jobs (distinct 320×240 JPEGs):");
  const jobs = await runJobsLoad(stack.url, small, { smoke: SMOKE, keys: LOAD_KEYS });
  const busyGoal = `${jobs.busy_goal_met ? "met" : "NOT met"}; ${jobs.busy_samples} requests while it ran; other processes ${jobs.other_cores_idle} / ${jobs.other_cores_busy} cores; ${jobs.busy_not_checked === null ? `the run fails past ${BUSY_OVER_IDLE_FAIL}×` : `not checked: ${jobs.busy_not_checked}`}`;
  console.log(
    `| single-request capacity | ${jobs.single_capacity_per_s}/s (${4} clients; Worker CPU ${jobs.worker_cpu_ms_per_single} ms/request) |\n| job of ${jobs.job_items} | ${jobs.job_items_per_s} items/s = ${Math.round(jobs.job_share_of_capacity * 100)} % of capacity (goal ≥ 80 %; pairs ${jobs.shares.join(", ")}; submission ${jobs.job_submit_ms} ms; Worker CPU ${jobs.worker_cpu_ms_per_job_item} ms/item) |\n| single p50 idle / while another key's ${jobs.big_job_items}-item job runs | ${jobs.idle_p50_ms} ms / ${jobs.busy_p50_ms} ms = ${jobs.busy_over_idle}× (goal ≤ ${BUSY_OVER_IDLE_GOAL}×: ${busyGoal}) |\n| ${jobs.big_job_items}-item job | ${jobs.big_job_seconds} s |`,
  );
  // The main stack is not needed any more: the next scenarios start stacks of their own.
  await stopStack();

  console.log("\ntwo tenants: A floods the queue with slow URLs, B submits a small job:");
  // A scenario that cannot run (a refused submission, a stack that does not start) is a failure of its own, and
  // the others still run and are written.
  const failed =
    (scenario: string) =>
    (cause: unknown): { failures: string[]; error: true } => ({
      failures: [`${scenario} did not run: ${cause instanceof Error ? cause.message : String(cause)}`],
      error: true,
    });
  const tenants = await runTenantsLoad({ smoke: SMOKE }).catch(failed("the two-tenant scenario"));
  if (!("error" in tenants)) printTenantsLoad(tenants);

  // Full run only: its two stacks and six jobs take 2–3 minutes, and the smoke (CI) has no room for them; one job
  // of each in the smoke's time would be too short for its pace to say more than the machine's noise.
  console.log("\nbatch capacity with 1 container instance against 2 (one process each, 1 decode at once):");
  const instances = SMOKE ? null : await runInstancesLoad({ smoke: SMOKE }).catch(failed("the instances scenario"));
  if (instances && !("error" in instances)) printInstancesLoad(instances);
  else if (!instances) console.log("| full run only (or: node --import tsx scripts/load-tenants.ts instances) |");

  failures = [
    ...jobs.failures,
    ...tenants.failures,
    ...(instances?.failures ?? []),
    ...[...sweep, overload, recovery]
      .filter((r) => r.bad > 0)
      .map(
        (r) =>
          `${r.bad} answers at ${r.offered_rps} req/s were 5xx without Retry-After or timed out (errors ${JSON.stringify(r.errors)}; bad p50 ${r.bad_p50_ms} ms)`,
      ),
    ...(recovery.success_ratio < 1 ? [`recovery had ${Math.round((1 - recovery.success_ratio) * 100)} % errors`] : []),
    ...(peakMiB >= PEAK_RSS_LIMIT_MIB ? [`container peak RSS ${peakMiB} MiB ≥ ${PEAK_RSS_LIMIT_MIB} MiB`] : []),
  ];
  mkdirSync(`${ROOT}test-results`, { recursive: true });
  writeFileSync(
    `${ROOT}test-results/load.json`,
    JSON.stringify(
      {
        smoke: SMOKE,
        machine: cpus()[0]?.model,
        sweep,
        knee,
        overload,
        recovery,
        peak_rss_mib: peakMiB,
        jobs,
        tenants,
        instances,
        failures,
      },
      null,
      2,
    ),
  );
} finally {
  await stopStack();
}
for (const failure of failures) console.log(`FAIL ${failure}`);
console.log(`${failures.length === 0 ? 1 : 0} passed, ${failures.length === 0 ? 0 : 1} failed`);
process.exit(failures.length === 0 ? 0 : 1);
