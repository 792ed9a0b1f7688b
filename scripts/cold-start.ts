/**
 * `npm run bench:cold-start`: the container image's size and a stopped instance's cold start, on a real Docker
 * engine (Docker Desktop, or `eval "$(../shared/tools/docker-engine up)"` on a machine without one).
 *
 * Builds `./Dockerfile` with the engine, prints the image's size as the engine reports it (`docker image inspect`,
 * in MB = 10^6 bytes and in MiB), then RUNS times (default 5) starts a fresh container of it and measures, from the
 * `docker run` call, when
 * - `docker run -d` returned,
 * - the container started (docker's `State.StartedAt`),
 * - the program listened (docker's timestamp of its "listening" log line),
 * - the port answered (the first 200 of `GET /health`, polled every `--poll-ms`, 10 by default, from the moment
 *   `docker run` returned),
 * - the first analysis answered 200 (a reference sample POSTed to the container's analysis route as soon as
 *   `/health` answered, as the Container class forwards a request once the port is ready): Node started, the
 *   modules loaded, the first decode. That is what the caller of a stopped instance waits, less what Cloudflare
 *   adds (placing the instance, fetching the image, the Durable Object, the network).
 * Each container is removed before the next starts; the image is kept (the next build reuses its layers). The
 * answer's `brightness_score` is checked against the reference service's (expected.json): a cold image that
 * answers wrong fails the run.
 *
 * Options: `--runs N`, `--no-build` (measure the image already tagged), `--tag NAME`, `--sample FILE` (a name in
 * ../shared/fixtures/reference), `--poll-ms N`. DOCKER names the CLI (default: the engine's own /usr/bin/docker when
 * present, whose API version matches Debian's engine; else `docker` on PATH).
 *
 * Timings depend on the machine and on what else runs on it: the machine (CPU model, cores) and the load average
 * are printed beside them. Compare figures measured on the same machine, best interleaved (`--no-build --runs 1`
 * in turn with each image's tag).
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { ANALYSIS_PATH, IMAGE_FIELD } from "../contract/service.ts";
import { freePort } from "./container-process.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const REFERENCE_DIR = fileURLToPath(new URL("../../shared/fixtures/reference/", import.meta.url));
const DOCKER = process.env.DOCKER ?? (existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker");
/** The port the image's program listens on (the Dockerfile's PORT and EXPOSE). */
const CONTAINER_PORT = 8080;
/** How long one cold start may take before the run fails, in milliseconds. */
const COLD_START_LIMIT_MS = 30_000;
/** How long one poll may wait for its answer (a decode of a small sample takes tens of milliseconds). */
const ATTEMPT_TIMEOUT_MS = 10_000;

const execFileAsync = promisify(execFile);

async function docker(args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(DOCKER, args, { maxBuffer: 16 * 2 ** 20 });
    return stdout.trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(
      `${DOCKER} ${args.join(" ")} failed: ${stderr || (err as Error).message}\n` +
        `Is a Docker engine running? Here: eval "$(../shared/tools/docker-engine up)"; elsewhere start Docker Desktop.`,
    );
  }
}

/** Builds `./Dockerfile` as `tag`, showing the build's output only if it fails; returns the seconds it took. */
async function build(tag: string): Promise<number> {
  const started = performance.now();
  const child = spawn(DOCKER, ["build", "-t", tag, "-f", "Dockerfile", "."], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  if (code !== 0) {
    process.stderr.write(output);
    throw new Error(`docker build of ./Dockerfile failed (exit ${code}): its output is above`);
  }
  return (performance.now() - started) / 1000;
}

/** `StartedAt` in milliseconds since the epoch (docker gives nanoseconds, which Date.parse may refuse). */
function epochMs(rfc3339: string): number {
  return Date.parse(rfc3339.replace(/(\.\d{3})\d+/, "$1"));
}

interface ColdStart {
  /** `docker run -d` returned (the container created and started). */
  runReturnedMs: number;
  /** The container's process started, by docker's clock. */
  startedMs: number;
  /** The program logged "listening" (docker's timestamp of the line). */
  listeningMs: number;
  /** The first 200 of `/health` through docker's published port. */
  reachableMs: number;
  /** The first 200 of the analysis: Node started, modules loaded, the first decode and analysis done. */
  firstAnalysisMs: number;
}

/**
 * Calls `attempt` every `pollMs` until it returns a value (not undefined), from `t0`; resolves with the
 * milliseconds since `t0` and that value. Rejects past COLD_START_LIMIT_MS.
 */
async function pollUntil<T>(
  t0: number,
  what: string,
  attempt: () => Promise<T | undefined>,
  cancelled: { value: boolean },
) {
  for (;;) {
    if (cancelled.value) throw new Error(`${what}: polling cancelled`);
    try {
      const value = await attempt();
      if (value !== undefined) return { ms: performance.now() - t0, value };
    } catch {
      // not listening yet: docker's proxy accepts and closes, or nothing listens on the port yet
    }
    if (performance.now() - t0 > COLD_START_LIMIT_MS) {
      throw new Error(`${what} did not answer 200 within ${COLD_START_LIMIT_MS} ms of docker run`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function coldStart(tag: string, sample: { name: string; bytes: Uint8Array<ArrayBuffer> }): Promise<ColdStart> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const wallAtStart = Date.now();
  const t0 = performance.now();
  const run = docker(["run", "-d", "-p", `127.0.0.1:${port}:${CONTAINER_PORT}`, tag]).then((id) => ({
    id,
    ms: performance.now() - t0,
  }));
  const cancelled = { value: false };
  // Polling starts once `docker run` has returned, as a caller's would once the start call returns: while docker
  // is still wiring the published port, a connection's SYN can be dropped and TCP retries it only after 1 s,
  // which measured the poll, not the container. One poller at a time, as the Container class waits for the port
  // before it forwards a request: each attempt on a port that nothing answers yet costs docker's proxy an accept
  // and a dial, on the cores the starting container needs.
  const reachable = run.then(() =>
    pollUntil(
      t0,
      "GET /health",
      async () =>
        (await fetch(`${url}/health`, { signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) })).status === 200
          ? true
          : undefined,
      cancelled,
    ),
  );
  const analysis = reachable.then(() =>
    pollUntil(
      t0,
      `POST ${ANALYSIS_PATH}`,
      async () => {
        const form = new FormData();
        form.append(IMAGE_FIELD, new Blob([sample.bytes], { type: "image/jpeg" }), sample.name);
        const response = await fetch(`${url}${ANALYSIS_PATH}`, {
          method: "POST",
          body: form,
          signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
        });
        return response.status === 200 ? ((await response.json()) as { brightness_score: number }) : undefined;
      },
      cancelled,
    ),
  );
  let id: string | undefined;
  try {
    const started = await run;
    id = started.id;
    const [health, first] = await Promise.all([reachable, analysis]);
    const startedAt = await docker(["inspect", "--format", "{{.State.StartedAt}}", id]);
    const expected = expectedBrightness(sample.name);
    if (first.value.brightness_score !== expected) {
      throw new Error(
        `the cold container answered brightness_score ${first.value.brightness_score} for ${sample.name}, ` +
          `the reference service ${expected}: the image does not compute what the code does`,
      );
    }
    return {
      runReturnedMs: started.ms,
      startedMs: epochMs(startedAt) - wallAtStart,
      listeningMs: epochMs(await listeningLogged(id)) - wallAtStart,
      reachableMs: health.ms,
      firstAnalysisMs: first.ms,
    };
  } finally {
    // The container goes whether the run succeeded or not; a poller still waiting stops.
    cancelled.value = true;
    if (id) await docker(["rm", "-f", id]);
    await Promise.allSettled([reachable, analysis]);
  }
}

/** When the program logged "listening", by docker's clock (`docker logs -t` stamps each line as it arrives). */
async function listeningLogged(id: string): Promise<string> {
  const { stdout, stderr } = await execFileAsync(DOCKER, ["logs", "-t", id]);
  const line = `${stdout}${stderr}`.split("\n").find((entry) => entry.includes('"msg":"listening"'));
  if (!line) throw new Error(`container ${id} answered but never logged "listening": did server.ts's log line change?`);
  return line.slice(0, line.indexOf(" "));
}

function expectedBrightness(name: string): number {
  const expected = JSON.parse(readFileSync(`${REFERENCE_DIR}expected.json`, "utf8")) as Record<
    string,
    { brightness_score: number }
  >;
  const score = expected[name]?.brightness_score;
  if (score === undefined) throw new Error(`${REFERENCE_DIR}expected.json has no entry for ${name}`);
  return score;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const { values: options } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    tag: { type: "string", default: "image-insights-container:bench" },
    sample: { type: "string", default: "sample2-536x354.jpg" },
    "no-build": { type: "boolean", default: false },
    "poll-ms": { type: "string", default: "10" },
  },
});
const runs = Number(options.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs takes a whole number ≥ 1, not ${options.runs}`);
const pollMs = Number(options["poll-ms"]);
if (!(pollMs > 0)) throw new Error(`--poll-ms takes a number of milliseconds > 0, not ${options["poll-ms"]}`);
const tag = options.tag;
const sample = { name: options.sample, bytes: new Uint8Array(readFileSync(`${REFERENCE_DIR}${options.sample}`)) };

const cpu = cpus();
console.log(
  `machine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores; ` +
    `Docker ${await docker(["version", "--format", "{{.Server.Version}}"])} ` +
    `(${await docker(["info", "--format", "{{.Driver}}"])}); load average ${loadavg()[0]?.toFixed(2)}`,
);

if (!options["no-build"]) {
  // The image this tag named before is replaced; remove it once nothing else names it (our own, never others').
  const previous = await docker(["image", "inspect", "--format", "{{.Id}}", tag]).catch(() => undefined);
  const seconds = await build(tag);
  const current = await docker(["image", "inspect", "--format", "{{.Id}}", tag]);
  if (previous && previous !== current) await docker(["rmi", previous]).catch(() => undefined);
  console.log(`built ${tag} from ./Dockerfile in ${seconds.toFixed(1)} s`);
}
const bytes = Number(await docker(["image", "inspect", "--format", "{{.Size}}", tag]));
console.log(`image size: ${(bytes / 1e6).toFixed(1)} MB (${(bytes / 2 ** 20).toFixed(1)} MiB), ${tag}`);

const results: ColdStart[] = [];
for (let i = 1; i <= runs; i++) {
  const result = await coldStart(tag, sample);
  results.push(result);
  console.log(
    `run ${i}: docker run returned ${result.runReturnedMs.toFixed(0)} ms, container started ` +
      `${result.startedMs.toFixed(0)} ms, listening ${result.listeningMs.toFixed(0)} ms, ` +
      `/health 200 ${result.reachableMs.toFixed(0)} ms, ` +
      `first analysis 200 ${result.firstAnalysisMs.toFixed(0)} ms`,
  );
}

const rows: [string, keyof ColdStart][] = [
  ["docker run returned", "runReturnedMs"],
  ["container started (State.StartedAt)", "startedMs"],
  ["listening (its log line, docker's clock)", "listeningMs"],
  ["reachable (first /health 200)", "reachableMs"],
  [`first analysis 200 (${sample.name})`, "firstAnalysisMs"],
];
console.log(`\ncold start, from the docker run call, ${runs} runs: median (min–max)`);
for (const [label, key] of rows) {
  const values = results.map((result) => result[key]);
  console.log(
    `  ${label.padEnd(48)} ${median(values).toFixed(0).padStart(5)} ms ` +
      `(${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)})`,
  );
}
console.log(`load average after: ${loadavg()[0]?.toFixed(2)}`);
