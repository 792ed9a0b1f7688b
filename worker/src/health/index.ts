/**
 * `GET /health`: answered by the Worker itself, so a health check never wakes (or pays for) a container.
 * `GET /health?deep=1` adds each instance's state and latency. It only reads: it never starts a container
 * and never renews one's activity, so a monitor polling it cannot keep containers (and their bill) awake.
 * Because it fans out to every instance, it needs an API key and is rate limited like the API.
 * The warm-up cron is the one caller that starts containers (`warmInstances`).
 */
import type { HealthResponse } from "../../../contract/service.ts";
import { SERVICE_NAME } from "../../../contract/service.ts";
import pkg from "../../../package.json" with { type: "json" };
import { instanceName } from "../analyzer/client.ts";
import type { InstanceHealth } from "../analyzer/durable-object.ts";
import type { WorkerConfig } from "../config.ts";
import { withDeadline } from "../deadline.ts";
import type { Env } from "../env.ts";

/** How long one instance's probe may take before it is reported unhealthy, in milliseconds. */
export const PROBE_TIMEOUT_MS = 5_000;

export interface DeepHealthResponse extends HealthResponse {
  instances: Array<{ name: string } & InstanceHealth>;
}

/** The Worker's own health answer. */
export function health(): HealthResponse {
  return { status: "healthy", service: SERVICE_NAME, version: pkg.version };
}

/**
 * Why a Worker that no one can call is unhealthy, and what its operator does about it. Said to anyone who asks:
 * that no key is configured is no secret worth keeping, since every call already answers 401.
 */
export const NO_API_KEYS_REASON =
  'No API key is configured and PUBLIC_API is not "true", so every API call is refused (401): set keys with `npx wrangler secret put API_KEYS`, or PUBLIC_API = "true" for an open API.';

/**
 * The health answer of a Worker that refuses every call (config.ts `refusesEveryCall`): every setting is valid,
 * yet it serves no one, and a monitor that sees `healthy` would never say so.
 */
export function keylessHealth(): HealthResponse {
  return { ...health(), status: "unhealthy", reason: NO_API_KEYS_REASON };
}

/**
 * Probes every instance in parallel, reading state only (`warm`: the cron's start of every instance).
 *
 * @example
 * await probeInstances(env, config); // [{ name: "analyzer-0", state: "stopped" }, …]
 */
export async function probeInstances(
  env: Env,
  config: WorkerConfig,
  warm = false,
): Promise<DeepHealthResponse["instances"]> {
  return Promise.all(
    Array.from({ length: config.containerInstances }, async (_, i) => {
      const name = instanceName(i);
      const unhealthy: InstanceHealth = { state: "unhealthy" };
      const stub = env.ANALYZER.getByName(name);
      const result = await withDeadline(
        () => (warm ? stub.warm() : stub.probe()),
        PROBE_TIMEOUT_MS,
        () => unhealthy,
      ).catch(() => unhealthy);
      return { name, ...result };
    }),
  );
}
