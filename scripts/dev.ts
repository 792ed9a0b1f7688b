/**
 * `npm run dev`: the Worker on http://localhost:8787 (PORT overrides), in front of a container.
 *
 * - Where a Docker engine answers: plain `wrangler dev`, which builds ./Dockerfile and runs the real container.
 * - Where none does (CI, this project's machines): the container program as a local Node process on
 *   CONTAINER_PORT (default 8080), and `wrangler dev --enable-containers=false` with LOCAL_CONTAINER_URL
 *   pointing at it (see worker/src/analyzer/local-runtime.ts). A container process that dies is restarted,
 *   as Cloudflare would start a new container.
 *
 * Either way ENVIRONMENT=development. One Ctrl-C (or SIGTERM) stops everything this script started: in Docker
 * mode that includes the containers, which wrangler leaves in part (see `removeContainersLeft`).
 *
 * DEV_WORKER_NAME=NAME runs the Worker as NAME instead of wrangler.toml's `name`: its Durable Objects, their
 * state in .wrangler/state and, in Docker mode, their containers are then its own. Two Docker-mode sessions of this
 * project on one engine otherwise share their containers' names (workerd names a container after the Worker, the
 * class and the instance) and stop or remove each other's (`npm run test:docker` sets it).
 *
 * The rate limit is wrangler.toml's (120 a minute per client), as deployed; DEV_RATE_LIMIT_PER_MINUTE=N runs
 * wrangler on a copy of wrangler.toml with N instead (scripts/dev-rate-limit.ts says why a copy, and where the
 * counts are kept).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parse } from "smol-toml";
import { type ContainerProcess, startContainerProcess } from "./container-process.ts";
import { devRateLimit, rateLimitOf, writeDevConfig } from "./dev-rate-limit.ts";

const port = process.env.PORT ?? "8787";
const containerPort = Number(process.env.CONTAINER_PORT ?? "8080");
/** Pause before restarting a container process that exited, in milliseconds. */
const RESTART_DELAY_MS = 500;
/** How long children get to exit after SIGTERM before SIGKILL, in milliseconds. */
const STOP_GRACE_MS = 5_000;

const say = (msg: string) => console.log(`[dev] ${msg}`);
let stopping = false;
/** The latest container process, as soon as it is asked for: still starting, or running. */
let container: Promise<ContainerProcess> | undefined;

function dockerEngineAnswers(): boolean {
  if (process.env.DEV_CONTAINER_MODE === "local") return false;
  return spawnSync("docker", ["info"], { stdio: "ignore", timeout: 5_000 }).status === 0;
}

/**
 * The containers this Worker's Durable Objects ran under `wrangler dev`: workerd names each
 * `workerd-<worker>-<class>-<instance id>`, and its networking sidecar the same with `-proxy`.
 */
function containerNamePrefixes(tomlText: string, workerName: string | undefined): string[] {
  const config = parse(tomlText) as { name?: string; containers?: Array<{ class_name?: string }> };
  return (config.containers ?? []).map((c) => `workerd-${workerName ?? config.name}-${c.class_name}-`);
}

/**
 * Removes the containers a Docker-mode session leaves once wrangler has exited. wrangler removes the application
 * containers itself (by their image) but not workerd's networking sidecars, which keep running, one per instance
 * that ever started, until something removes them: measured with wrangler 4.156 and Docker 20.10 (test-docker/).
 * By name, as workerd gives them: a second Docker-mode `npm run dev` of this project would use the same names.
 */
function removeContainersLeft(prefixes: string[]): void {
  const docker = process.env.WRANGLER_DOCKER_BIN ?? "docker";
  const ids = prefixes.flatMap((prefix) => {
    const listed = spawnSync(docker, ["ps", "-aq", "--filter", `name=^/${prefix}`], {
      encoding: "utf8",
      timeout: 10_000,
    });
    return listed.status === 0 ? listed.stdout.split("\n").filter(Boolean) : [];
  });
  if (ids.length === 0) return;
  const removed = spawnSync(docker, ["rm", "--force", ...ids], { stdio: "ignore", timeout: 20_000 });
  say(
    removed.status === 0
      ? `removed the ${ids.length} container(s) wrangler left behind (workerd's networking sidecars)`
      : `could not remove the containers wrangler left: run ${docker} rm --force ${ids.join(" ")}`,
  );
}

async function keepContainerRunning(): Promise<void> {
  while (!stopping) {
    try {
      container = startContainerProcess({ port: containerPort, stdio: "inherit" });
      await container;
    } catch (err) {
      say(`the container process did not start: ${(err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
      continue;
    }
    const code = await (await container).exited;
    if (stopping) return;
    say(`the container process exited (code ${code}); restarting it in ${RESTART_DELAY_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
  }
}

const wranglerArgs = [
  "node_modules/wrangler/bin/wrangler.js",
  "dev",
  "--port",
  port,
  "--var",
  "ENVIRONMENT:development",
];
// Read, refused when it is no number, and its config written, before anything starts.
const wranglerToml = readFileSync("wrangler.toml", "utf8");
const workerName = process.env.DEV_WORKER_NAME || undefined;
if (workerName) {
  wranglerArgs.push("--name", workerName);
  say(`worker name: ${workerName} (DEV_WORKER_NAME): its Durable Objects, their state and containers are its own`);
}
const perMinute = devRateLimit(process.env.DEV_RATE_LIMIT_PER_MINUTE);
const devConfig = perMinute === null ? null : writeDevConfig(process.cwd(), wranglerToml, perMinute);
let worker: ChildProcess;
const dockerMode = dockerEngineAnswers();
if (dockerMode) {
  say("mode: docker (a Docker engine answers: wrangler dev builds and runs the real container)");
} else {
  const localUrl = `http://127.0.0.1:${containerPort}`;
  say(`mode: local (no Docker engine: the container runs as a Node process at ${localUrl})`);
  wranglerArgs.push("--enable-containers=false", "--var", `LOCAL_CONTAINER_URL:${localUrl}`);
  void keepContainerRunning();
}
// wrangler's banner asks registry.npmjs.org for its latest version and adds "(update available …)" to it. The
// pinned version is on purpose (docs/DEVELOPMENT.md, "Toolchain"), and wrangler has no switch for that check alone:
// WRANGLER_HIDE_BANNER skips the banner and, with it, the check (no request is made). The version is named here.
// The Worker reads no `request.cf`, so Miniflare's placeholder does: CLOUDFLARE_CF_FETCH_ENABLED=false spares a
// download from workers.cloudflare.com (and, offline, a warning with a stack trace), as the scripts' `cf: false`.
const wranglerVersion: string = JSON.parse(readFileSync("node_modules/wrangler/package.json", "utf8")).version;
say(`wrangler ${wranglerVersion} (pinned in package.json: docs/DEVELOPMENT.md, "Toolchain", says why)`);
// The limit, said once: a loop of requests that meets 429 under dev should not be a surprise.
if (perMinute === null) {
  const deployed = rateLimitOf(wranglerToml);
  say(
    `rate limit: ${deployed ? `${deployed.limit} requests per ${deployed.period} s` : "wrangler.toml's [[ratelimits]]"} per client, as deployed (DEV_RATE_LIMIT_PER_MINUTE=1000 raises it; rm -rf .wrangler/state/v3/ratelimit resets the counts)`,
  );
} else if (devConfig) {
  wranglerArgs.push("--config", devConfig);
  say(
    `rate limit: ${perMinute} requests a minute per client (DEV_RATE_LIMIT_PER_MINUTE; wrangler.toml's own is for deploys)`,
  );
}
worker = spawn(process.execPath, wranglerArgs, {
  stdio: "inherit",
  env: {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_HIDE_BANNER: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
  },
});
say(`the API will answer on http://localhost:${port}`);
worker.on("exit", (code) => void shutdown(code ?? 1));

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say("stopping");
  const force = setTimeout(() => {
    worker.kill("SIGKILL");
    void container?.then((c) => c.child.kill("SIGKILL"));
    if (dockerMode) removeContainersLeft(containerNamePrefixes(wranglerToml, workerName));
    process.exit(code);
  }, STOP_GRACE_MS);
  force.unref();
  const workerExited = worker.exitCode !== null ? Promise.resolve() : new Promise((r) => worker.once("exit", r));
  worker.kill("SIGTERM");
  // A process still starting is waited for and stopped too: a restart racing the shutdown leaves no orphan.
  await Promise.all([workerExited, container?.then((c) => c.stop("SIGTERM")).catch(() => undefined)]);
  if (dockerMode) removeContainersLeft(containerNamePrefixes(wranglerToml, workerName));
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
