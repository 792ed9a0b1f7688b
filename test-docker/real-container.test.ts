/**
 * The path every user with Docker takes and Cloudflare runs: `npm run dev` in Docker mode, where wrangler builds
 * ./Dockerfile and the real `@cloudflare/containers` Container class starts, proxies to and stops real containers.
 * One dev server serves the tests of this file, in order: each leaves the instances as the next one expects.
 *
 * Skipped, saying why, where no Docker engine answers.
 */
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../scripts/dev-server.ts";
import {
  connectionsOnPort,
  containerNamePrefix,
  containersNamed,
  cpuTimeMs,
  type DockerDev,
  docker,
  inspect,
  noEngineReason,
  removeSessionState,
  sessionWorkerName,
  startDockerDev,
  waitUntil,
} from "./docker-dev.ts";

const noEngine = noEngineReason();
if (noEngine) console.warn(`test:docker skipped: ${noEngine}`);

/** The settings dev runs with: short enough for a test to see an instance sleep, long enough for a cold start. */
const INSTANCES = 2;
const SLEEP_AFTER_MS = 10_000;
const START_TIMEOUT_MS = 10_000;
/** The container's port (worker/src/config.ts CONTAINER_PORT). */
const CONTAINER_PORT = 8080;
/**
 * How long after `sleepAfter` the Container class's alarm has surely looked at an instance: it wakes when the
 * activity deadline passes, and the stop itself takes a moment.
 */
const ALARM_SLACK_MS = 4_000;

const SAMPLES_DIR = "/work/shared/fixtures/reference";
const SAMPLES = ["sample1-536x354-grayscale.jpg", "sample2-536x354.jpg", "sample3-color-5000x3330.jpg"];
const sample = (name: string) => readFileSync(`${SAMPLES_DIR}/${name}`);

/** Keys of this run only: nothing cached by an earlier run (or by the local-mode run) can answer for the container. */
const KEY = `docker-test-${randomUUID()}`;
/** /health?deep=1's polls count against a key's rate limit: their own key. */
const HEALTH_KEY = `docker-test-health-${randomUUID()}`;

const sha256Hex = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
/**
 * The instance the Worker sends an image to: worker/src/analyzer/client.ts's `instanceIndex` (the SHA-256's first 32
 * bits modulo the instance count), written again here because that module is the Worker's, typed for workerd.
 */
const instanceIndex = (sha256: string, instances: number) => Number.parseInt(sha256.slice(0, 8), 16) % instances;

/**
 * The same image with bytes after its end (which decoders ignore), chosen so that it goes to `instance`: a new
 * upload, never cached, routed where the test wants it (worker/src/analyzer/client.ts routes by the SHA-256).
 */
function uploadFor(instance: number, image: Buffer): Buffer {
  for (let n = 0; n < 1_000; n++) {
    const bytes = Buffer.concat([image, Buffer.from(`\n${randomUUID()}`)]);
    if (instanceIndex(sha256Hex(bytes), INSTANCES) === instance) return bytes;
  }
  throw new Error(`no variant of the image goes to instance ${instance}`);
}

async function analyse(url: string, key: string, image: Buffer, query = "metrics=all"): Promise<Response> {
  const form = new FormData();
  form.append("image", new Blob([new Uint8Array(image)], { type: "image/jpeg" }), "image.jpg");
  return fetch(`${url}/v1/image/analysis?${query}`, { method: "POST", body: form, headers: { "X-API-Key": key } });
}

/** An answer's numbers: everything but how long it took. */
function numbers(body: Record<string, unknown>): Record<string, unknown> {
  const { processing_time_ms: _timing, ...rest } = body;
  return rest;
}

type InstanceState = { name: string; state: string };

/** The Worker's JSON log lines among what dev printed. */
function logLines(output: string): Array<Record<string, unknown>> {
  return output.split("\n").flatMap((line) => {
    const json = line.slice(line.indexOf("{"));
    try {
      return json.startsWith('{"time"') ? [JSON.parse(json) as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

describe.skipIf(noEngine !== null)("npm run dev with a Docker engine: the real Container class", () => {
  const workerName = sessionWorkerName("docker-test");
  const localWorkerName = sessionWorkerName("local-test");
  const prefix = containerNamePrefix(workerName);
  let dev: DockerDev | undefined;
  const localAnswers = new Map<string, Record<string, unknown>>();
  /** Each instance's container name, learnt as it first starts (workerd names it by the instance's id). */
  const containerOf = new Map<number, string>();
  /** The 7,000 × 7,000 progressive JPEG whose decode takes the container ≥ 0.7 s here: a request that lasts. */
  let slowImage: Buffer;

  const server = (): DockerDev => {
    if (!dev) throw new Error("npm run dev did not start");
    return dev;
  };
  const appContainers = () => containersNamed(prefix).filter((c) => !c.name.endsWith("-proxy"));
  const running = () => appContainers().filter((c) => c.state === "running" || c.state === "paused");
  const deepHealth = async (): Promise<InstanceState[]> => {
    const res = await fetch(`${server().url}/health?deep=1`, { headers: { "X-API-Key": HEALTH_KEY } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { instances: InstanceState[] }).instances;
  };
  const stateOf = async (instance: number) =>
    (await deepHealth()).find((i) => i.name === `analyzer-${instance}`)?.state ?? "missing";
  const withOutput = () => `\ndev printed (last 4,000 characters):\n${server().output().slice(-4_000)}`;

  /** Analyses `image` on `instance` and learns which container serves that instance if it started one. */
  async function analyseOn(instance: number, image: Buffer): Promise<Response> {
    const before = new Set(running().map((c) => c.name));
    const res = await analyse(server().url, KEY, image);
    const started = running().filter((c) => !before.has(c.name));
    if (started.length === 1 && started[0]) containerOf.set(instance, started[0].name);
    return res;
  }

  beforeAll(async () => {
    slowImage = await sharp({
      create: { width: 7_000, height: 7_000, channels: 3, background: { r: 120, g: 80, b: 200 } },
    })
      .jpeg({ progressive: true })
      .toBuffer();

    // The local path's answers first, with a key of its own, so that neither path can answer from the other's cache
    // (KV's local state is shared by every session).
    const localKey = `local-test-${randomUUID()}`;
    let local: DevServer | undefined;
    try {
      local = await startDevServer({
        CLOUDFLARE_INCLUDE_PROCESS_ENV: "true",
        API_KEYS: localKey,
        DEV_WORKER_NAME: localWorkerName,
      });
      for (const name of SAMPLES) {
        const res = await analyse(local.url, localKey, sample(name));
        expect(res.status, `local mode, ${name}`).toBe(200);
        localAnswers.set(name, (await res.json()) as Record<string, unknown>);
      }
    } finally {
      local?.process.kill("SIGTERM");
      await local?.exited;
    }

    dev = await startDockerDev({
      DEV_WORKER_NAME: workerName,
      API_KEYS: `${KEY},${HEALTH_KEY}`,
      CONTAINER_INSTANCES: String(INSTANCES),
      CONTAINER_SLEEP_AFTER: `${SLEEP_AFTER_MS / 1_000}s`,
      CONTAINER_START_TIMEOUT_MS: String(START_TIMEOUT_MS),
    });
  }, 360_000);

  afterAll(async () => {
    // Whatever a failed test left, all this file's own: the dev server, its containers (named after its Worker), the
    // images it built and its Durable Objects' state.
    if (dev && dev.process.exitCode === null && dev.process.signalCode === null) {
      dev.process.kill("SIGKILL");
      await dev.exited;
    }
    const left = containersNamed(prefix).map((c) => c.id);
    if (left.length > 0) docker("rm", "--force", ...left);
    for (const image of dev?.images() ?? []) docker("rmi", image);
    removeSessionState(workerName);
    removeSessionState(localWorkerName);
  }, 60_000);

  afterEach(({ task }) => {
    // wrangler dev rebuilds and restarts the Worker (and its Durable Objects) when a file it watches changes.
    if (task.result?.state === "fail" && dev?.output().includes("Reloading local server")) {
      console.warn(
        "wrangler reloaded the Worker during this run (a file under worker/, contract/ or scripts/ changed), which restarts its Durable Objects mid-test: run again on a tree nobody is editing",
      );
    }
  });

  it("npm run dev picks Docker mode and builds the image from ./Dockerfile", () => {
    expect(server().output()).toContain("[dev] mode: docker");
    expect(server().output()).toContain("Container image(s) ready");
    const sizeMb = Number(docker("image", "inspect", "--format", "{{.Size}}", server().image)) / 1e6;
    console.log(
      `image ${server().image}: ${sizeMb.toFixed(0)} MB; dev answered ${(server().startupMs / 1_000).toFixed(1)} s after it started, its build included`,
    );
    expect(sizeMb).toBeGreaterThan(0);
    expect(appContainers()).toEqual([]); // nothing runs before the first request
  });

  it("a cold start answers within CONTAINER_START_TIMEOUT_MS, from a container of that image", async () => {
    const instance = 0;
    const image = uploadFor(instance, sample("sample2-536x354.jpg"));
    const startedAt = performance.now();
    const res = await analyseOn(instance, image);
    const elapsedMs = performance.now() - startedAt;
    console.log(`cold start: stopped instance to its first 200 in ${elapsedMs.toFixed(0)} ms (end to end)`);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(elapsedMs).toBeLessThan(START_TIMEOUT_MS);
    const started = running();
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ name: containerOf.get(instance), image: server().image, state: "running" });
    expect(await stateOf(instance)).toBe("healthy");
    expect(await stateOf(1 - instance)).toBe("stopped");
    // Checked field by field with the local path's answer in the next test; here, the reference numbers.
    expect((await res.json()) as Record<string, unknown>).toMatchObject({ cached: false, brightness_score: 57 });
  });

  it("gives the local path's numbers on the reference samples, field by field", async () => {
    for (const name of SAMPLES) {
      const image = sample(name);
      const res = await analyseOn(instanceIndex(sha256Hex(image), INSTANCES), image);
      expect(res.status, name).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      const local = localAnswers.get(name) ?? {};
      expect(body.cached, name).toBe(false);
      expect(local.cached, name).toBe(false);
      expect(numbers(body), name).toEqual(numbers(local));
    }
  });

  it("runs CONTAINER_INSTANCES containers at once, and no more", async () => {
    // Twice as many distinct uploads as instances, all at once, while Docker is watched.
    const uploads = [0, 1, 0, 1].map((i) => uploadFor(i, sample("sample1-536x354-grayscale.jpg")));
    let most = 0;
    let sending = true;
    const watching = (async () => {
      while (sending) {
        most = Math.max(most, running().length);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const answers = await Promise.all(uploads.map((u, i) => analyseOn(i % INSTANCES, u)));
    sending = false;
    await watching;
    most = Math.max(most, running().length);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(most).toBe(INSTANCES);
    expect(new Set(running().map((c) => c.name))).toEqual(new Set([containerOf.get(0), containerOf.get(1)]));
    expect(await deepHealth()).toEqual([
      expect.objectContaining({ name: "analyzer-0", state: "healthy" }),
      expect.objectContaining({ name: "analyzer-1", state: "healthy" }),
    ]);
  });

  it("never stops a container for sleepAfter while a request is in flight on it", async () => {
    const instance = 1;
    const name = containerOf.get(instance) ?? "";
    expect((await analyseOn(instance, uploadFor(instance, sample("sample2-536x354.jpg")))).status).toBe(200);
    const before = inspect(name);
    expect(before.status).toBe("running");
    // Paused only once the program has closed its idle connections (Node's 5 s keep-alive): a request sent on one
    // would find it closed on resuming, the frozen clock having run on. On a new one it waits to be accepted.
    await waitUntil(
      "no connection open to the container",
      () => connectionsOnPort(before.pid, CONTAINER_PORT),
      (open) => open.length === 0,
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    docker("pause", name); // the request reaches the process and waits there
    const sentAt = Date.now();
    const pending = analyse(server().url, KEY, uploadFor(instance, sample("sample2-536x354.jpg")));
    const seen = new Set<string>();
    try {
      await waitUntil(
        "the request's bytes in the paused container",
        () => connectionsOnPort(before.pid, CONTAINER_PORT),
        (unread) => unread.some((bytes) => bytes > 0),
        { timeoutMs: 10_000, context: withOutput },
      );
      // The promise is about time: through sleepAfter and the alarm's look at it, watched every half second.
      await waitUntil(
        "sleepAfter and the alarm's look at it passed",
        () => {
          const now = inspect(name);
          seen.add(`${now.status} ${now.id}`);
          return Date.now() - sentAt;
        },
        (elapsed) => elapsed >= SLEEP_AFTER_MS + ALARM_SLACK_MS,
        { timeoutMs: SLEEP_AFTER_MS + ALARM_SLACK_MS + 5_000, intervalMs: 500 },
      );
    } finally {
      if (inspect(name).status === "paused") docker("unpause", name);
    }
    expect([...seen]).toEqual([`paused ${before.id}`]); // never stopped, never replaced
    const res = await pending;
    expect(res.status, withOutput()).toBe(200);
    expect(((await res.json()) as Record<string, unknown>).brightness_score).toBe(57);
    const after = inspect(name);
    expect({ id: after.id, startedAt: after.startedAt, status: after.status }).toEqual({
      id: before.id,
      startedAt: before.startedAt,
      status: "running",
    });
  });

  it("answers a request whose container is killed (docker kill) 503 container_failed, and the next one starts a fresh container", async () => {
    const instance = 0;
    const name = containerOf.get(instance) ?? "";
    // Running, whatever the last test's wait did to it (it may have slept).
    expect((await analyseOn(instance, uploadFor(instance, sample("sample2-536x354.jpg")))).status).toBe(200);
    const killed = inspect(name);
    expect(killed.status).toBe("running");
    const cpuBefore = cpuTimeMs(killed.pid);
    let settled = false;
    const pending = analyse(server().url, KEY, uploadFor(instance, slowImage)).finally(() => {
      settled = true;
    });
    // The decode is under way (the upload read whole before it starts), and far from done: ≥ 0.7 s of CPU here.
    await waitUntil(
      "the container decoding the slow image",
      () => cpuTimeMs(killed.pid) - cpuBefore,
      (used) => used >= 250,
      { timeoutMs: 20_000, intervalMs: 10, context: withOutput },
    );
    expect(settled).toBe(false);
    docker("kill", name);
    const res = await pending;
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("5");
    const body = (await res.json()) as { detail: { code: string; error: string } };
    expect(body.detail).toMatchObject({
      code: "container_failed",
      error: "The analysis stopped unexpectedly, please retry later",
    });
    // The runtime reports the exit as the kill's (128 + 9), and the class calls onStop with it.
    await waitUntil(
      "the Durable Object's log of its container's exit",
      () =>
        logLines(server().output()).filter(
          (l) => l.msg === "container stopped" && l.instance === `analyzer-${instance}`,
        ),
      (stops) => stops.some((l) => l.exit_code === 137),
      { timeoutMs: 10_000 },
    );
    expect(await stateOf(instance)).toBe("stopped");

    const next = await analyse(server().url, KEY, uploadFor(instance, sample("sample2-536x354.jpg")));
    expect(next.status).toBe(200);
    const fresh = inspect(name);
    expect(fresh.status).toBe("running");
    expect(fresh.id).not.toBe(killed.id);
    expect(await stateOf(instance)).toBe("healthy");
  });

  it("stops an idle container after CONTAINER_SLEEP_AFTER, and /health?deep=1 shows it", async () => {
    const instance = 0;
    const name = containerOf.get(instance) ?? "";
    const res = await analyse(server().url, KEY, uploadFor(instance, sample("sample2-536x354.jpg")));
    expect(res.status).toBe(200);
    const lastActivity = Date.now();
    const states: string[] = [];
    await waitUntil(
      `analyzer-${instance} stopped`,
      async () => {
        states.push(await stateOf(instance));
        return states.at(-1);
      },
      (state) => state === "stopped",
      { timeoutMs: SLEEP_AFTER_MS + ALARM_SLACK_MS + 5_000, intervalMs: 500, context: withOutput },
    );
    const idleMs = Date.now() - lastActivity;
    console.log(
      `sleep: an idle container stopped ${idleMs} ms after its last request (sleepAfter ${SLEEP_AFTER_MS} ms)`,
    );
    expect(states[0]).toBe("healthy");
    // Never sooner (less the moment between the Durable Object's last renewal and this test's clock reading).
    expect(idleMs).toBeGreaterThanOrEqual(SLEEP_AFTER_MS - 500);
    expect(idleMs).toBeLessThan(SLEEP_AFTER_MS + ALARM_SLACK_MS + 1_000);
    // Stopped with SIGTERM, which the program answers by draining and exiting 0.
    expect(docker("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name)).toBe("exited 0");
  });

  it("leaves no container behind when npm run dev gets SIGTERM", async () => {
    const instance = 1;
    expect((await analyse(server().url, KEY, uploadFor(instance, sample("sample2-536x354.jpg")))).status).toBe(200);
    expect(running().length).toBeGreaterThan(0);
    expect(containersNamed(prefix).some((c) => c.name.endsWith("-proxy"))).toBe(true);
    server().process.kill("SIGTERM");
    const code = await waitUntil(
      "npm run dev exited",
      () => server().process.exitCode,
      (c) => c !== null,
      {
        timeoutMs: 15_000,
        context: withOutput,
      },
    );
    expect(code).toBe(0);
    expect(containersNamed(prefix)).toEqual([]);
    await expect(fetch(`${server().url}/health`)).rejects.toThrow(); // nothing listens on its port any more
  });
});
