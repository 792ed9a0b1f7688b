/**
 * The Worker's settings: every limit a named constant with its unit, which the variable of the same name
 * (`[vars]` and secrets from `wrangler.toml` / `.dev.vars`) overrides; `loadConfig`, which parses and validates
 * them all; and `configFor`, which does so once per isolate. No bindings and no Workers types: `npm run
 * check:deploy` runs the same `loadConfig` on wrangler.toml in Node, so a value the Worker would refuse never
 * deploys.
 */
import { durationMs, integerSetting } from "../../contract/config.ts";
import { misconfigured } from "../../contract/errors.ts";
import { MAX_JOB_ITEMS, MAX_JOB_UPLOAD_BYTES, MAX_UPLOAD_BYTES } from "../../contract/limits.ts";
import { log } from "./log.ts";

/** The size limits clients plan by (MAX_UPLOAD_BYTES, MAX_JOB_ITEMS, MAX_JOB_UPLOAD_BYTES) are the contract's. */
export { MAX_JOB_ITEMS, MAX_JOB_UPLOAD_BYTES, MAX_UPLOAD_BYTES };

/** The port the container listens on (its `PORT`). */
export const CONTAINER_PORT = 8080;
/** How long an idle container stays up before it is stopped, as a duration string (`30s`, `5m`, `1h`). */
export const CONTAINER_SLEEP_AFTER = "5m";
/** How long a request waits for a cold container to start listening, in milliseconds. */
export const CONTAINER_START_TIMEOUT_MS = 20_000;
/**
 * How long the Worker waits for a container's answer, in milliseconds: longer than the container's own
 * processing deadline (10 s) plus a cold start, so the container times out first and says why.
 */
export const CONTAINER_DEADLINE_MS = 30_000;
/** How many container instances analyses are spread over (at most `max_instances` in wrangler.toml). */
export const CONTAINER_INSTANCES = 4;
/** `max_instances` of `[[containers]]` in wrangler.toml: more instances than this could never start. */
export const MAX_CONTAINER_INSTANCES = 4;
/** How long a result stays in the KV cache, in seconds (KV's minimum is 60). */
export const RESULT_TTL_S = 86_400;
/** One deadline for a whole URL download (checks, redirects and body), in milliseconds. */
export const URL_FETCH_TIMEOUT_MS = 5_000;
/** How long a URL's result is cached when its server gives no shorter `max-age`, in seconds. */
export const URL_RESULT_TTL_S = 3_600;
/**
 * The ports a source URL may name, comma-separated: only the web's own by default, so the service cannot be
 * used to probe other ports of public hosts.
 */
export const URL_ALLOWED_PORTS = [80, 443];
/** The DNS-over-HTTPS JSON endpoint that names in source URLs are resolved with. */
export const DNS_RESOLVER_URL = "https://cloudflare-dns.com/dns-query";
/** The rate limit's window, in seconds: must equal `period` of `[[ratelimits]]` in wrangler.toml. */
export const RATE_LIMIT_PERIOD_S = 60;
/** The only windows the Workers Rate Limiting binding offers, in seconds. */
export const RATE_LIMIT_PERIODS_S = [10, 60] as const;
/**
 * Who shares the result cache: `key` (each API key its own: one tenant never learns, from `cached: true`,
 * that another analysed the same bytes or URL) or `shared` (one cache for all: cheaper, and leaks that fact).
 */
export const RESULT_CACHE_SCOPE = "key";
/** How long a job, its results and its uploads are kept, as a duration (`7d`, `12h`). */
export const JOB_RETENTION = "7d";
/**
 * How many of one queue consumer invocation's items are analysed on one container instance at once: batch
 * capacity follows CONTAINER_INSTANCES. Two, as many as a container decodes at once here; the container itself
 * puts single requests before job items (docs/OPERATIONS.md, "Who waits for whom").
 */
export const JOB_ITEMS_PER_INSTANCE = 2;
/**
 * The most items one consumer invocation works on at once (downloading, reading, waiting for an instance,
 * analysed): a slow download holds one of these, never an instance's place. Each may hold an image of up to
 * MAX_UPLOAD_BYTES in the Worker's memory (128 MB on Cloudflare), so 16 × 5 MiB stays under it. Past
 * 16 / JOB_ITEMS_PER_INSTANCE instances, capacity grows with the queue's `max_concurrency` (docs/OPERATIONS.md).
 */
export const JOB_ITEMS_IN_FLIGHT_MAX = 16;
/**
 * How long a consumer's claim of an item is valid, in seconds: longer than one item can take (a download of
 * URL_FETCH_TIMEOUT_MS and two container calls of CONTAINER_DEADLINE_MS each), so a claim that expires belongs
 * to a consumer that died. Only then is the item sent again; an item waiting in the queue is never re-sent.
 */
export const JOB_ITEM_LEASE_S = 120;
/** How many times one item is claimed before it is recorded as failed with its last error. */
export const JOB_ITEM_MAX_ATTEMPTS = 5;
/**
 * How long one consumer invocation keeps starting items, in milliseconds. A queue consumer may run 15 minutes
 * of wall-clock time; what it has not started by then is handed back to its job (sent again, no attempt spent),
 * and what it started ends within an item's longest run (loadConfig checks that the two fit in 15 minutes).
 */
export const JOB_CONSUMER_BUDGET_MS = 600_000;
/** A queue consumer invocation's wall-clock limit on Cloudflare, in milliseconds. */
export const QUEUE_CONSUMER_WALL_CLOCK_MS = 15 * 60_000;
/**
 * How many items one key's unfinished jobs may hold together: a job that would pass it is refused with 429
 * `too_many_open_items` (its items count from submission to the job's end).
 */
export const JOB_MAX_OPEN_ITEMS_PER_KEY = 10_000;
/**
 * How many of one key's jobs send items to the queue at once (the oldest first; the others wait, queued): so a
 * key's backlog, however many jobs it submits, holds at most this many jobs' windows of the shared queue, and
 * another key's job starts behind them within seconds.
 */
export const JOB_ACTIVE_JOBS_PER_KEY = 2;
/** How many times a webhook is tried before it is given up (with exponential backoff from WEBHOOK_RETRY_BASE_S). */
export const WEBHOOK_MAX_ATTEMPTS = 8;
/** The first webhook retry's delay, in seconds; each next one doubles it. */
export const WEBHOOK_RETRY_BASE_S = 30;

/** `ENVIRONMENT` when unset: the strict one (https only for the resolver). */
export const ENVIRONMENT = "production";

/** The variables and secrets `wrangler.toml` and `.dev.vars` declare: strings, or absent. */
export interface Vars {
  /**
   * Secret: comma-separated API keys, each plain (`<secret>`) or named (`<id>:<secret>`); several at once so a
   * key can be rotated without downtime, and a named id's secrets are one tenant (`apiKeys`).
   */
  API_KEYS?: string;
  PUBLIC_API?: string;
  ENVIRONMENT?: string;
  CONTAINER_SLEEP_AFTER?: string;
  CONTAINER_START_TIMEOUT_MS?: string;
  CONTAINER_DEADLINE_MS?: string;
  CONTAINER_INSTANCES?: string;
  MAX_UPLOAD_BYTES?: string;
  RESULT_TTL_S?: string;
  RATE_LIMIT_PERIOD_S?: string;
  RESULT_CACHE_SCOPE?: string;
  CORS_ALLOW_ORIGINS?: string;
  URL_FETCH_TIMEOUT_MS?: string;
  URL_RESULT_TTL_S?: string;
  DNS_RESOLVER_URL?: string;
  URL_ALLOWED_PORTS?: string;
  MAX_JOB_ITEMS?: string;
  MAX_JOB_UPLOAD_BYTES?: string;
  JOB_RETENTION?: string;
  JOB_ITEMS_PER_INSTANCE?: string;
  JOB_ITEM_LEASE_S?: string;
  JOB_ITEM_MAX_ATTEMPTS?: string;
  JOB_CONSUMER_BUDGET_MS?: string;
  JOB_MAX_OPEN_ITEMS_PER_KEY?: string;
  JOB_ACTIVE_JOBS_PER_KEY?: string;
  /** Secret: signs job webhooks (Standard Webhooks: `whsec_` and base64). Jobs with a callback_url need it. */
  WEBHOOK_SECRET?: string;
  WEBHOOK_MAX_ATTEMPTS?: string;
  WEBHOOK_RETRY_BASE_S?: string;
  /** Tests only, refused in production: the share (0–1) of job deliveries the consumer fails on purpose. */
  JOB_FAULT_RATE?: string;
  /** Tests only, refused in production: `false`, or origins (`http://127.0.0.1:9000`) that may be fetched although private. */
  ALLOW_PRIVATE_SOURCE_ADDRESSES?: string;
  /** Dev and tests only: the URL of a container process on this machine (see analyzer/local-runtime.ts). */
  LOCAL_CONTAINER_URL?: string;
}

export interface WorkerConfig {
  environment: string;
  apiKeys: ApiKey[];
  publicApi: boolean;
  containerSleepAfter: string;
  containerStartTimeoutMs: number;
  containerDeadlineMs: number;
  containerInstances: number;
  maxUploadBytes: number;
  resultTtlS: number;
  rateLimitPeriodS: number;
  resultCacheScope: "key" | "shared";
  /** `["*"]` for any origin, else the exact origins allowed. */
  corsAllowOrigins: string[];
  urlFetchTimeoutMs: number;
  urlResultTtlS: number;
  dnsResolverUrl: string;
  maxJobItems: number;
  maxJobUploadBytes: number;
  jobRetentionMs: number;
  jobItemsPerInstance: number;
  /**
   * Items one job keeps in the queue or in a consumer's hands at once (its window): twice what one invocation
   * works on (JOB_ITEMS_IN_FLIGHT_MAX), so the next batch is waiting when one ends, and never a backlog that would
   * hold other keys' jobs.
   */
  jobWindow: number;
  jobItemLeaseS: number;
  jobItemMaxAttempts: number;
  jobConsumerBudgetMs: number;
  jobMaxOpenItemsPerKey: number;
  jobActiveJobsPerKey: number;
  webhookSecret: string | null;
  webhookMaxAttempts: number;
  webhookRetryBaseS: number;
  jobFaultRate: number;
  /** Ports a source URL may name (its effective port: 80 for http, 443 for https when none is written). */
  urlAllowedPorts: number[];
  allowedPrivateOrigins: string[];
}

function flag(env: Record<string, unknown>, name: string): boolean {
  const raw = String(env[name] ?? "").toLowerCase();
  if (raw === "" || raw === "false") return false;
  if (raw === "true") return true;
  throw new Error(`Expected true or false for ${name} but received ${raw}`);
}

function list(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** `URL_ALLOWED_PORTS`: TCP port numbers, comma-separated. */
function ports(raw: string | undefined): number[] {
  if (raw === undefined || raw.trim() === "") return URL_ALLOWED_PORTS;
  return list(raw).map((port) => {
    const value = /^\d{1,5}$/.test(port) ? Number(port) : Number.NaN;
    if (!(value >= 1 && value <= 65_535)) {
      throw new Error(`Expected port numbers from 1 to 65535 for URL_ALLOWED_PORTS but received ${port}`);
    }
    return value;
  });
}

/**
 * `CORS_ALLOW_ORIGINS`: `*` (the default) or exact origins. Read apart from the rest so that even a
 * misconfigured Worker's answers carry the CORS headers a browser needs to show them.
 */
export function corsOrigins(env: Pick<Vars, "CORS_ALLOW_ORIGINS">): string[] {
  return list(env.CORS_ALLOW_ORIGINS || "*");
}

function parseUrl(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

/** An https URL (http is accepted outside production, for a local test resolver). */
function httpsUrl(raw: string, name: string, environment: string): string {
  const url = parseUrl(raw);
  const ok = url && (url.protocol === "https:" || (url.protocol === "http:" && environment !== "production"));
  if (!ok) throw new Error(`Expected an https URL for ${name} but received ${raw}`);
  return url.href;
}

/**
 * `ALLOW_PRIVATE_SOURCE_ADDRESSES`: `false` (the default), or exact origins. Deliberately no `true`: a test
 * names the one fixture server it needs, and every other private address stays refused. Refused in production,
 * like JOB_FAULT_RATE: it turns the SSRF checks off for an origin, which no deployed Worker needs.
 */
function privateOrigins(raw: string | undefined, environment: string): string[] {
  const value = (raw ?? "").trim();
  if (value === "" || value.toLowerCase() === "false") return [];
  if (environment === "production") {
    throw new Error(
      `Expected false (or nothing) in production for ALLOW_PRIVATE_SOURCE_ADDRESSES, a setting for tests that turns the SSRF checks off for an origin, but received ${value}`,
    );
  }
  return list(value).map((origin) => {
    const url = parseUrl(origin);
    if (!url || url.origin !== origin.replace(/\/$/, "")) {
      throw new Error(
        `Expected false or origins like http://127.0.0.1:9000 for ALLOW_PRIVATE_SOURCE_ADDRESSES but received ${origin}`,
      );
    }
    return url.origin;
  });
}

/** The longest id a named API key may have, in characters. */
export const API_KEY_ID_MAX_CHARS = 64;
/** A named API key's id: it is written in job owners, cache partitions and rate-limit buckets as it is. */
const API_KEY_ID = new RegExp(`^[A-Za-z0-9_-]{1,${API_KEY_ID_MAX_CHARS}}$`);
/**
 * The form of a plain key's id (the first 16 hex digits of its secret's SHA-256, auth/index.ts): a named id of
 * this form could be the same as some plain key's, and the two would share jobs, cache and rate limit.
 */
const PLAIN_KEY_ID = /^[0-9a-f]{16}$/;

/** One entry of `API_KEYS`: the secret a client sends, and the tenant it belongs to. */
export interface ApiKey {
  /** `acme` for `acme:<secret>`; null for a plain key, which is known by a hash prefix of its secret instead. */
  id: string | null;
  secret: string;
}

/**
 * `API_KEYS`: comma-separated entries, each a plain key (`<secret>`) or a named one (`<id>:<secret>`). A request
 * with a named key belongs to its id, so `acme:old,acme:new` are one tenant (its jobs, its part of the result
 * cache, its rate limit) and either secret can be dropped without losing anything. An entry is named only when
 * what comes before its first colon is an id (letters, digits, `_`, `-`, at most API_KEY_ID_MAX_CHARS): any
 * other entry is a plain key, whole, exactly as before named keys existed, so keys already in use keep their
 * jobs. No message quotes an entry: it may be a secret.
 *
 * @example
 * apiKeys("acme:k1, acme:k2,k3"); // [{ id: "acme", secret: "k1" }, { id: "acme", secret: "k2" }, { id: null, secret: "k3" }]
 */
export function apiKeys(raw: string | undefined): ApiKey[] {
  const keys = list(raw).map((entry, i): ApiKey => {
    const colon = entry.indexOf(":");
    // `:secret` is a named key whose id was forgotten, not a key anyone uses: said rather than taken whole.
    if (colon === 0) {
      throw new Error(`Expected id:secret for API_KEYS but received entry ${i + 1} with nothing before its colon`);
    }
    const id = entry.slice(0, colon);
    if (colon === -1 || !API_KEY_ID.test(id)) return { id: null, secret: entry };
    const secret = entry.slice(colon + 1).trim();
    if (secret === "") throw new Error(`Expected a secret after the colon for API_KEYS but received none for ${id}`);
    if (PLAIN_KEY_ID.test(id)) {
      throw new Error(
        `Expected an id other than 16 lowercase hex digits (the form of a plain key's id) for API_KEYS but received ${id}`,
      );
    }
    return { id, secret };
  });
  // One secret, one tenant: a secret under two ids would make its requests belong to whichever is checked last.
  const owners = new Map<string, string | null>();
  for (const key of keys) {
    const owner = owners.get(key.secret);
    if (owner !== undefined && owner !== key.id) {
      const name = (id: string | null) => id ?? "a plain key";
      throw new Error(
        `Expected each secret under one id for API_KEYS but received one secret under ${name(owner)} and ${name(key.id)}`,
      );
    }
    owners.set(key.secret, key.id);
  }
  return keys;
}

/**
 * Whether the Worker refuses every API call whatever a caller sends: no API key, PUBLIC_API not true, and not in
 * development (which is open without keys, auth/index.ts `openReason`). No setting is invalid then, yet the
 * deploy serves no one: `GET /health` says so (health/route.ts), and `npm run check:deploy`, which cannot see
 * the API_KEYS secret, says what to do.
 *
 * @example
 * refusesEveryCall(loadConfig({})); // true: production, no keys, not public
 */
export function refusesEveryCall(config: Pick<WorkerConfig, "apiKeys" | "publicApi" | "environment">): boolean {
  return config.apiKeys.length === 0 && !config.publicApi && config.environment !== "development";
}

/**
 * Parses and validates the Worker's settings.
 *
 * @example
 * loadConfig(env).containerSleepAfter; // "5m" unless CONTAINER_SLEEP_AFTER is set
 */
export function loadConfig(env: Vars): WorkerConfig {
  const vars: Record<string, unknown> = { ...env };
  const environment = env.ENVIRONMENT || ENVIRONMENT;
  const sleepAfter = env.CONTAINER_SLEEP_AFTER || CONTAINER_SLEEP_AFTER;
  // `@cloudflare/containers` reads s, m and h only.
  const sleepAfterMs = sleepAfter.endsWith("d") ? Number.NaN : durationMs(sleepAfter);
  if (!(sleepAfterMs > 0)) {
    throw new Error(`Expected a duration like 30s, 5m or 1h for CONTAINER_SLEEP_AFTER but received ${sleepAfter}`);
  }
  const containerStartTimeoutMs = integerSetting(vars, "CONTAINER_START_TIMEOUT_MS", CONTAINER_START_TIMEOUT_MS);
  // A request in flight keeps its container awake whatever sleepAfter says (analyzer/durable-object.ts). But a
  // container that may sleep sooner than it may take to start would be paid for a start it barely uses:
  // such a setting is a mistake.
  if (sleepAfterMs < containerStartTimeoutMs) {
    throw new Error(
      `Expected CONTAINER_SLEEP_AFTER of at least CONTAINER_START_TIMEOUT_MS (${containerStartTimeoutMs} ms) but received ${sleepAfter}`,
    );
  }
  const containerDeadlineMs = integerSetting(vars, "CONTAINER_DEADLINE_MS", CONTAINER_DEADLINE_MS);
  // A request may meet a cold start, and a retry on a second instance: the deadline must outlast the start.
  if (containerDeadlineMs <= containerStartTimeoutMs) {
    throw new Error(
      `Expected CONTAINER_DEADLINE_MS above CONTAINER_START_TIMEOUT_MS (${containerStartTimeoutMs}) but received ${containerDeadlineMs}`,
    );
  }
  const containerInstances = integerSetting(vars, "CONTAINER_INSTANCES", CONTAINER_INSTANCES);
  if (containerInstances > MAX_CONTAINER_INSTANCES) {
    throw new Error(
      `Expected CONTAINER_INSTANCES of at most ${MAX_CONTAINER_INSTANCES} (max_instances in wrangler.toml) but received ${containerInstances}`,
    );
  }
  const rateLimitPeriodS = integerSetting(vars, "RATE_LIMIT_PERIOD_S", RATE_LIMIT_PERIOD_S);
  if (!(RATE_LIMIT_PERIODS_S as readonly number[]).includes(rateLimitPeriodS)) {
    throw new Error(`Expected one of 10, 60 for RATE_LIMIT_PERIOD_S but received ${rateLimitPeriodS}`);
  }
  const scope = env.RESULT_CACHE_SCOPE || RESULT_CACHE_SCOPE;
  if (scope !== "key" && scope !== "shared") {
    throw new Error(`Expected one of key, shared for RESULT_CACHE_SCOPE but received ${scope}`);
  }
  const jobRetention = env.JOB_RETENTION || JOB_RETENTION;
  const jobRetentionMs = durationMs(jobRetention);
  if (!(jobRetentionMs >= 60_000)) {
    throw new Error(`Expected a duration of at least 1m like 12h or 7d for JOB_RETENTION but received ${jobRetention}`);
  }
  const webhookSecret = env.WEBHOOK_SECRET?.trim() || null;
  if (webhookSecret !== null && !/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/.test(webhookSecret)) {
    throw new Error("Expected whsec_ and base64 (Standard Webhooks) for WEBHOOK_SECRET but received another form");
  }
  const faultRate = env.JOB_FAULT_RATE ? Number(env.JOB_FAULT_RATE) : 0;
  if (!(faultRate >= 0 && faultRate < 1) || (faultRate > 0 && environment === "production")) {
    throw new Error(
      `Expected a share from 0 to below 1, and 0 in production, for JOB_FAULT_RATE but received ${env.JOB_FAULT_RATE}`,
    );
  }
  const jobItemsPerInstance = integerSetting(vars, "JOB_ITEMS_PER_INSTANCE", JOB_ITEMS_PER_INSTANCE);
  const urlFetchTimeoutMs = integerSetting(vars, "URL_FETCH_TIMEOUT_MS", URL_FETCH_TIMEOUT_MS);
  // An item's longest run: its download, then its instance and one retry on the next (analyzer/client.ts).
  const itemLongestMs = urlFetchTimeoutMs + 2 * containerDeadlineMs;
  const jobItemLeaseS = integerSetting(vars, "JOB_ITEM_LEASE_S", JOB_ITEM_LEASE_S);
  if (jobItemLeaseS * 1000 <= itemLongestMs) {
    throw new Error(
      `Expected JOB_ITEM_LEASE_S above an item's longest run (${Math.ceil(itemLongestMs / 1000)} s: URL_FETCH_TIMEOUT_MS + 2 × CONTAINER_DEADLINE_MS) but received ${jobItemLeaseS}`,
    );
  }
  const jobConsumerBudgetMs = integerSetting(vars, "JOB_CONSUMER_BUDGET_MS", JOB_CONSUMER_BUDGET_MS);
  if (jobConsumerBudgetMs + itemLongestMs > QUEUE_CONSUMER_WALL_CLOCK_MS) {
    throw new Error(
      `Expected JOB_CONSUMER_BUDGET_MS of at most ${QUEUE_CONSUMER_WALL_CLOCK_MS - itemLongestMs} (a consumer's 15 minutes less an item's longest run) but received ${jobConsumerBudgetMs}`,
    );
  }
  const jobs = {
    jobItemsPerInstance,
    jobWindow: 2 * JOB_ITEMS_IN_FLIGHT_MAX,
    jobItemLeaseS,
    jobItemMaxAttempts: integerSetting(vars, "JOB_ITEM_MAX_ATTEMPTS", JOB_ITEM_MAX_ATTEMPTS),
    jobConsumerBudgetMs,
    jobMaxOpenItemsPerKey: integerSetting(vars, "JOB_MAX_OPEN_ITEMS_PER_KEY", JOB_MAX_OPEN_ITEMS_PER_KEY),
    jobActiveJobsPerKey: integerSetting(vars, "JOB_ACTIVE_JOBS_PER_KEY", JOB_ACTIVE_JOBS_PER_KEY),
  };
  return {
    environment,
    apiKeys: apiKeys(env.API_KEYS),
    publicApi: flag(vars, "PUBLIC_API"),
    containerSleepAfter: sleepAfter,
    containerStartTimeoutMs,
    containerDeadlineMs,
    containerInstances,
    maxUploadBytes: integerSetting(vars, "MAX_UPLOAD_BYTES", MAX_UPLOAD_BYTES),
    resultTtlS: integerSetting(vars, "RESULT_TTL_S", RESULT_TTL_S, { min: 60 }),
    rateLimitPeriodS,
    resultCacheScope: scope,
    corsAllowOrigins: corsOrigins(env),
    urlFetchTimeoutMs,
    urlResultTtlS: integerSetting(vars, "URL_RESULT_TTL_S", URL_RESULT_TTL_S, { min: 60 }),
    dnsResolverUrl: httpsUrl(env.DNS_RESOLVER_URL || DNS_RESOLVER_URL, "DNS_RESOLVER_URL", environment),
    urlAllowedPorts: ports(env.URL_ALLOWED_PORTS),
    maxJobItems: integerSetting(vars, "MAX_JOB_ITEMS", MAX_JOB_ITEMS),
    maxJobUploadBytes: integerSetting(vars, "MAX_JOB_UPLOAD_BYTES", MAX_JOB_UPLOAD_BYTES),
    jobRetentionMs,
    ...jobs,
    webhookSecret,
    webhookMaxAttempts: integerSetting(vars, "WEBHOOK_MAX_ATTEMPTS", WEBHOOK_MAX_ATTEMPTS),
    webhookRetryBaseS: integerSetting(vars, "WEBHOOK_RETRY_BASE_S", WEBHOOK_RETRY_BASE_S),
    jobFaultRate: faultRate,
    // Last: a test's Worker in production hears about its resolver before its private origins.
    allowedPrivateOrigins: privateOrigins(env.ALLOW_PRIVATE_SOURCE_ADDRESSES, environment),
  };
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
export function loadedConfig(env: Vars): Loaded {
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
export function configFor(env: Vars): WorkerConfig {
  const loaded = loadedConfig(env);
  if ("error" in loaded) throw misconfigured();
  return loaded.config;
}
