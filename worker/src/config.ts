/**
 * The Worker's environment (bindings, variables, secrets) and its settings, validated once per isolate (the
 * first request), so a bad value is reported once and clearly. The settings themselves, their defaults and
 * their rules are in settings.ts.
 */
import { misconfigured } from "../../contract/errors.ts";
import type { AnalysisContainer } from "./container/index.ts";
import type { BatchJob, JobMessage } from "./jobs/index.ts";
import type { TenantJobs } from "./jobs/tenant.ts";
import { log } from "./log.ts";
import { loadConfig, type Vars, type WorkerConfig } from "./settings.ts";

export * from "./settings.ts";

/** The bindings, variables and secrets `wrangler.toml` declares. */
export interface Env extends Vars {
  ANALYZER: DurableObjectNamespace<AnalysisContainer>;
  RESULTS: KVNamespace;
  RATE_LIMITER?: RateLimit;
  JOBS: DurableObjectNamespace<BatchJob>;
  /** One key's unfinished jobs: its open items and which of its jobs may send items (jobs/tenant.ts). */
  TENANTS: DurableObjectNamespace<TenantJobs>;
  JOB_QUEUE: Queue<JobMessage>;
  UPLOADS: R2Bucket;
}

type Loaded = { config: WorkerConfig } | { error: Error };

const parsed = new WeakMap<object, Loaded>();

/**
 * `loadConfig`, once per `env` object (the runtime hands the same object to every request of an isolate):
 * a bad value is parsed and logged once, with the variable's name, and never reaches a caller.
 *
 * @example
 * const loaded = loadedConfig(env);
 * if ("error" in loaded) return unhealthy();
 */
export function loadedConfig(env: Env): Loaded {
  let loaded = parsed.get(env);
  if (!loaded) {
    try {
      loaded = { config: loadConfig(env) };
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause));
      log("error", "invalid configuration", { cause: error.message });
      loaded = { error };
    }
    parsed.set(env, loaded);
  }
  return loaded;
}

/**
 * The validated settings; a misconfigured Worker throws the public 503 `misconfigured` (the variable's name
 * stays in the log).
 *
 * @example
 * configFor(env).maxUploadBytes; // 5242880
 */
export function configFor(env: Env): WorkerConfig {
  const loaded = loadedConfig(env);
  if ("error" in loaded) throw misconfigured();
  return loaded.config;
}
