/**
 * `npm run dev` in Docker mode, as the Docker-mode tests drive it: whether an engine answers, the dev script started
 * on a free port with the tests' settings, the containers its Durable Objects run (as Docker lists them), and
 * what a test reads from the outside of a running container (its process's CPU time, the bytes waiting in its
 * sockets).
 *
 * Each session runs under a Worker name of its own (DEV_WORKER_NAME), so that its containers and Durable Object
 * state are its own: other Docker-mode sessions of this project may run on the same engine at the same time.
 *
 * Settings reach the Worker through the environment: wrangler's CLOUDFLARE_INCLUDE_PROCESS_ENV makes every variable
 * of dev's environment a binding (which is why the environment given to dev is a short one). wrangler reads the
 * environment only when no `.dev.vars` exists.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";
import { freePort } from "../scripts/container-process.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The Docker CLI wrangler uses (WRANGLER_DOCKER_BIN, e.g. docker-engine's shim), or `docker`. */
export const DOCKER = process.env.WRANGLER_DOCKER_BIN ?? "docker";

/** The variables of the tests' environment that dev, wrangler and Docker need; the rest stays out of the bindings. */
const PASSED_ON = /^(PATH|HOME|TMPDIR|USER|LANG|NODE_EXTRA_CA_CERTS|DOCKER_\w+|WRANGLER_\w+|MINIFLARE_\w+)$/;

/** Runs the Docker CLI and returns what it printed, or throws with its error output. */
export function docker(...args: string[]): string {
  const run = spawnSync(DOCKER, args, { encoding: "utf8", timeout: 30_000 });
  if (run.status !== 0) throw new Error(`${DOCKER} ${args.join(" ")} failed: ${run.stderr || run.error?.message}`);
  return run.stdout.trim();
}

/** Why the tests cannot run here (no engine answers), or null when one does. */
export function noEngineReason(): string | null {
  const info = spawnSync(DOCKER, ["version", "--format", "{{.Server.Version}}"], { encoding: "utf8", timeout: 10_000 });
  if (info.status === 0) return null;
  const said = (info.stderr || info.error?.message || "").trim().split("\n").at(-1);
  return `no Docker engine answered \`${DOCKER} version\` (${said}); start one, e.g. eval "$(../shared/tools/docker-engine up)"`;
}

/**
 * The name every container of the Durable Object class starts with under `wrangler dev` as `workerName`: workerd
 * names them `workerd-<worker>-<class>-<instance id>` (its networking sidecars add `-proxy`).
 */
export function containerNamePrefix(workerName: string): string {
  const config = parse(readFileSync(`${ROOT}/wrangler.toml`, "utf8")) as { containers: Array<{ class_name: string }> };
  return `workerd-${workerName}-${config.containers[0]?.class_name}-`;
}

/**
 * A Worker name for one dev session (scripts/dev.ts DEV_WORKER_NAME): its Durable Objects' state and its containers
 * are then its own, whatever other sessions of this project run at the same time.
 */
export function sessionWorkerName(purpose: string): string {
  return `image-insights-api-${purpose}-${randomUUID().slice(0, 8)}`;
}

/** Deletes what a session's Durable Objects kept in .wrangler/state (one folder per class, named after the Worker). */
export function removeSessionState(workerName: string): void {
  const dir = `${ROOT}/.wrangler/state/v3/do`;
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith(`${workerName}-`)) rmSync(`${dir}/${entry}`, { recursive: true, force: true });
  }
}

export interface ListedContainer {
  id: string;
  name: string;
  image: string;
  /** Docker's word: created, running, paused, exited, … */
  state: string;
}

/** Every container (running or not) whose name starts with `prefix`. */
export function containersNamed(prefix: string): ListedContainer[] {
  const lines = docker(
    "ps",
    "-a",
    "--filter",
    `name=^/${prefix}`,
    "--format",
    "{{.ID}}\t{{.Names}}\t{{.Image}}\t{{.State}}",
  );
  return lines
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [id = "", name = "", image = "", state = ""] = line.split("\t");
      return { id, name, image, state };
    });
}

/** A container's full ID, host PID (0 when not running), start time and state. */
export function inspect(container: string): { id: string; pid: number; startedAt: string; status: string } {
  const [id = "", pid = "0", startedAt = "", status = ""] = docker(
    "inspect",
    "--format",
    "{{.Id}}\t{{.State.Pid}}\t{{.State.StartedAt}}\t{{.State.Status}}",
    container,
  ).split("\t");
  return { id, pid: Number(pid), startedAt, status };
}

/** CPU time a host process has used (user + system, its own threads), in milliseconds. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in ticks of 10 ms.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * The connections to `port` in the network namespace of the host process `pid` (ESTABLISHED ones, whether the
 * program has accepted them or not), each as the bytes received that the program has not read yet: what a request
 * sent to a paused container holds there.
 */
export function connectionsOnPort(pid: number, port: number): number[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const unread: number[] = [];
  for (const file of ["tcp", "tcp6"]) {
    const path = `/proc/${pid}/net/${file}`;
    if (!existsSync(path)) continue;
    for (const line of readFileSync(path, "utf8").split("\n").slice(1)) {
      const [, local, , state, queues] = line.trim().split(/\s+/);
      if (!local?.endsWith(`:${hexPort}`) || state !== "01") continue; // 01: ESTABLISHED
      unread.push(Number.parseInt(queues?.split(":")[1] ?? "0", 16));
    }
  }
  return unread;
}

/** Polls `probe` until `done` holds for its value; fails at the deadline naming `what` and the last value. */
export async function waitUntil<T>(
  what: string,
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  {
    timeoutMs = 30_000,
    intervalMs = 100,
    context = () => "",
  }: { timeoutMs?: number; intervalMs?: number; context?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let failure: unknown;
  for (;;) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch (err) {
      failure = err;
    }
    if (Date.now() > deadline) {
      const reading = failure && last === undefined ? `error ${String(failure)}` : JSON.stringify(last);
      throw new Error(`${what}: not within ${timeoutMs} ms (last reading: ${reading})${context()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface DockerDev {
  url: string;
  process: ChildProcess;
  /** Everything dev, wrangler and workerd printed. */
  output(): string;
  /** The image wrangler built for this session (`cloudflare-dev/<class>:<build id>`). */
  image: string;
  /** Every image it built: a reload (a watched file changed) builds another. */
  images(): string[];
  /** From the start of dev to its first answer (the image build included), in milliseconds. */
  startupMs: number;
  exited: Promise<number | null>;
}

/**
 * Starts `npm run dev` (scripts/dev.ts) with `settings` as Worker variables, and waits until the API answers: the
 * image is built first, so the deadline is long.
 */
export async function startDockerDev(settings: Record<string, string>, timeoutMs = 240_000): Promise<DockerDev> {
  if (existsSync(`${ROOT}/.dev.vars`)) {
    throw new Error(
      "test:docker gives the Worker its settings through the environment, which wrangler ignores when .dev.vars exists: move .dev.vars aside while it runs",
    );
  }
  const startedAt = performance.now();
  const port = await freePort();
  const passedOn = Object.fromEntries(Object.entries(process.env).filter(([name]) => PASSED_ON.test(name)));
  let output = "";
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts"], {
    cwd: ROOT,
    env: { ...passedOn, PORT: String(port), CLOUDFLARE_INCLUDE_PROCESS_ENV: "true", ...settings },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  await waitUntil(
    "npm run dev answered GET /health",
    async () => (gone ? "exited" : (await fetch(`${url}/health`)).status),
    (status) => status === 200 || status === "exited",
    { timeoutMs, intervalMs: 500, context: () => `\ndev printed:\n${output}` },
  ).then((status) => {
    if (status === "exited") throw new Error(`npm run dev exited before it answered; it printed:\n${output}`);
  });
  const startupMs = performance.now() - startedAt;
  // "Successfully tagged cloudflare-dev/…" (Docker's builder) or "naming to docker.io/cloudflare-dev/…" (buildx).
  const images = () => [...new Set(output.match(/cloudflare-dev\/[\w.-]+:[\w.-]+/g) ?? [])];
  const image = images()[0];
  if (!image) throw new Error(`npm run dev printed no image it built; it printed:\n${output}`);
  return { url, process: child, output: () => output, image, images, startupMs, exited };
}
