/**
 * The Worker's settings: `[vars]` and secrets from `wrangler.toml` / `.dev.vars`, parsed and validated once
 * per isolate (the first request), so a bad value is reported once and clearly. Every limit is a named
 * constant with its unit; the variable of the same name overrides it.
 */
import type { AnalysisContainer } from "./container/index.ts";

/** The port the container listens on (its `PORT`). */
export const CONTAINER_PORT = 8080;
/** How long an idle container stays up before it is stopped, as a duration string (`30s`, `5m`, `1h`). */
export const CONTAINER_SLEEP_AFTER = "5m";
/** How long a request waits for a cold container to start listening, in milliseconds. */
export const CONTAINER_START_TIMEOUT_MS = 20_000;
/** Largest accepted upload, in bytes (the reference's 5 MB). */
export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

/** The bindings and variables `wrangler.toml` declares. */
export interface Env {
  ANALYZER: DurableObjectNamespace<AnalysisContainer>;
  ENVIRONMENT?: string;
  CONTAINER_SLEEP_AFTER?: string;
  CONTAINER_START_TIMEOUT_MS?: string;
  MAX_UPLOAD_BYTES?: string;
  /** Dev and tests only: the URL of a container process on this machine (see container/local-runtime.ts). */
  LOCAL_CONTAINER_URL?: string;
}

export interface WorkerConfig {
  environment: string;
  containerSleepAfter: string;
  containerStartTimeoutMs: number;
  maxUploadBytes: number;
}

/**
 * Reads one positive integer setting, or its default.
 *
 * @example
 * positiveInt({ MAX_UPLOAD_BYTES: "1024" }, "MAX_UPLOAD_BYTES", 5); // 1024
 */
export function positiveInt(env: Record<string, unknown>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`Expected a positive integer for ${name} but received ${String(raw)}`);
  }
  return value;
}

const DURATION = /^\d+(s|m|h)$/;

/**
 * Parses and validates the Worker's settings.
 *
 * @example
 * loadConfig(env).containerSleepAfter; // "5m" unless CONTAINER_SLEEP_AFTER is set
 */
export function loadConfig(env: Env): WorkerConfig {
  const sleepAfter = env.CONTAINER_SLEEP_AFTER || CONTAINER_SLEEP_AFTER;
  if (!DURATION.test(sleepAfter)) {
    throw new Error(`Expected a duration like 30s, 5m or 1h for CONTAINER_SLEEP_AFTER but received ${sleepAfter}`);
  }
  return {
    environment: env.ENVIRONMENT || "production",
    containerSleepAfter: sleepAfter,
    containerStartTimeoutMs: positiveInt({ ...env }, "CONTAINER_START_TIMEOUT_MS", CONTAINER_START_TIMEOUT_MS),
    maxUploadBytes: positiveInt({ ...env }, "MAX_UPLOAD_BYTES", MAX_UPLOAD_BYTES),
  };
}

const parsed = new WeakMap<object, WorkerConfig>();

/** `loadConfig`, once per `env` object: the runtime hands the same object to every request of an isolate. */
export function configFor(env: Env): WorkerConfig {
  let config = parsed.get(env);
  if (!config) {
    config = loadConfig(env);
    parsed.set(env, config);
  }
  return config;
}
