/**
 * `GET /health`: answered by the Worker itself, so a health check never wakes (or pays for) a container.
 * `GET /health?deep=1` adds each instance's state and latency, without starting a stopped container unless
 * `&wake=1` is given (which needs an API key: it costs money). The warm-up cron uses the same probe.
 */
import type { HealthResponse } from "../../../contract/service.ts";
import { SERVICE_NAME } from "../../../contract/service.ts";
import pkg from "../../../package.json" with { type: "json" };
import type { Env, WorkerConfig } from "../config.ts";
import type { InstanceHealth } from "../container/index.ts";
import { withDeadline } from "../deadline.ts";
import { instanceName } from "../routing/index.ts";

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
 * Probes every instance in parallel.
 *
 * @example
 * await probeInstances(env, config, false); // [{ name: "analyzer-0", state: "stopped" }, …]
 */
export async function probeInstances(
  env: Env,
  config: WorkerConfig,
  wake: boolean,
): Promise<DeepHealthResponse["instances"]> {
  return Promise.all(
    Array.from({ length: config.containerInstances }, async (_, i) => {
      const name = instanceName(i);
      const unhealthy: InstanceHealth = { state: "unhealthy" };
      const stub = env.ANALYZER.getByName(name);
      const result = await withDeadline(
        () => stub.probe(wake),
        PROBE_TIMEOUT_MS,
        () => unhealthy,
      ).catch(() => unhealthy);
      return { name, ...result };
    }),
  );
}
