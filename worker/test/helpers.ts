/**
 * What the Worker's end-to-end tests share: uploads through the real Worker, the container process's
 * controls, distinct test images, the cache keys of their results, and waiting for a state with a deadline.
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { expect, inject, vi } from "vitest";

import { parseAnalysisParams } from "../../contract/analysis.ts";
import { AnalysisResponseSchema, ErrorEnvelopeSchema, ValidationEnvelopeSchema } from "../../contract/schemas.ts";
import { instanceIndex, instanceName } from "../src/analyzer/client.ts";
import type { AnalysisContainer } from "../src/analyzer/durable-object.ts";
import { keyPrincipal } from "../src/auth/index.ts";
import { cachePartition, resultKey, urlResultKey } from "../src/cache/index.ts";
import { sha256Hex } from "../src/digest.ts";

export { sha256Hex };

/**
 * Checks a response body against the published contract (the zod schemas /openapi.json is generated from):
 * every end-to-end test that goes through `upload` or `conforms` fails on a body the contract does not allow.
 */
export async function conforms(res: Response): Promise<Response> {
  const type = res.headers.get("Content-Type") ?? "";
  if (!type.startsWith("application/json")) throw new Error(`expected JSON, got ${type} (${res.status})`);
  const body = (await res.clone().json()) as { detail?: unknown };
  if (res.status === 200) AnalysisResponseSchema.parse(body);
  else if (Array.isArray(body.detail)) ValidationEnvelopeSchema.parse(body);
  else ErrorEnvelopeSchema.parse(body);
  return res;
}

/** An 8×8 mid-grey (128) PNG, the same image ../shared/tools/image-check sends. */
export const GREY_PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAD0lEQVR4nGNowAEYhpYEAILzYAGc7g8kAAAAAElFTkSuQmCC"),
  (ch) => ch.charCodeAt(0),
);

/** Distinct test image `i` (0–99), made by the global setup with sharp. */
export function png(i: number): Uint8Array {
  const base64 = inject("pngs")[i];
  if (base64 === undefined) throw new RangeError(`Expected an image index below 100 but received ${i}`);
  return Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
}

export interface UploadOptions {
  query?: string;
  key?: string | null;
  headers?: Record<string, string>;
  type?: string;
}

/** POST the bytes as the `image` field through the Worker; the answer is checked against the contract. */
export async function upload(bytes: Uint8Array, options: UploadOptions = {}): Promise<Response> {
  const form = new FormData();
  form.append("image", new Blob([bytes], { type: options.type ?? "image/png" }), "test.png");
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? "test-key-main" : options.key;
  if (key !== null) headers["X-API-Key"] = key;
  const res = await SELF.fetch(`https://api.test/v1/image/analysis${options.query ?? ""}`, {
    method: "POST",
    body: form,
    headers,
  });
  return conforms(res);
}

export interface PollOptions {
  /** How long the state may take to come, in milliseconds: past it the wait fails. */
  timeoutMs?: number;
  /** How often it is read, in milliseconds. */
  intervalMs?: number;
}

/**
 * Reads `read()` until `ok` accepts what it gives, and returns that; fails after `timeoutMs` with `what` and
 * the last reading. The Worker tests wait for a state this way, never with a fixed sleep: a fast machine does
 * not wait longer than the state takes to come, and a slow one is not failed by a guess.
 *
 * @example
 * await pollUntil("the analysis is in the container", () => inFlight(stub), (n) => n === 1);
 */
export function pollUntil<T, U extends T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => value is U,
  options?: PollOptions,
): Promise<U>;
export function pollUntil<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  options?: PollOptions,
): Promise<T>;
export function pollUntil<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  { timeoutMs = 5_000, intervalMs = 20 }: PollOptions = {},
): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await read();
      if (!ok(value)) throw new Error(`${what}: not so within ${timeoutMs} ms (last read: ${JSON.stringify(value)})`);
      return value;
    },
    { timeout: timeoutMs, interval: intervalMs },
  );
}

/**
 * Waits until `read()` has given the same reading for `quietMs` and `ok` accepts it: whatever it counts has
 * stopped. For a claim that something does not go on: it is checked once the work already started is over,
 * however long that takes on this machine, rather than after a guessed time.
 *
 * @example
 * await pollUntilQuiet("no more downloads", downloads, () => true, { quietMs: 1_000 });
 */
export function pollUntilQuiet<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  { quietMs = 1_000, timeoutMs = 15_000, intervalMs = 100 }: PollOptions & { quietMs?: number } = {},
): Promise<T> {
  let last: string | undefined;
  let since = Date.now();
  const quiet = (value: T) => {
    const reading = JSON.stringify(value);
    if (reading !== last) {
      last = reading;
      since = Date.now();
      return false;
    }
    return Date.now() - since >= quietMs && ok(value);
  };
  return pollUntil(`${what} (unchanged for ${quietMs} ms)`, read, quiet, { timeoutMs, intervalMs });
}

/**
 * Whether the container process logged a request with this ID (it saw the request). Its log line is
 * written as the answer leaves, so it is waited for up to `waitMs`.
 */
export async function containerSaw(requestId: string, waitMs = 1_000): Promise<boolean> {
  const seen = async () => {
    const res = await fetch(`${inject("controlUrl")}/seen?request_id=${encodeURIComponent(requestId)}`);
    return ((await res.json()) as { seen: boolean }).seen;
  };
  // Read once whatever `waitMs` is, so that a test can ask whether it is there now (waitMs 0).
  if (await seen()) return true;
  if (waitMs <= 0) return false;
  return pollUntil(`request ${requestId} in the container's log`, seen, (saw) => saw, {
    timeoutMs: waitMs,
    intervalMs: 50,
  }).catch(() => false);
}

/**
 * The KV key the Worker stores the analysis of `bytes` under: for `query` (as in the URL, e.g. `metrics=median`),
 * in the cache partition of the plain API key `apiKey`, or in the one `shared` partition. A test waits for this
 * very key rather than for whatever keys are there.
 *
 * @example
 * await env.RESULTS.get(await resultKeyOf(png(14), "", "test-key-cache")); // the stored numbers
 */
export async function resultKeyOf(bytes: Uint8Array, query: string, apiKey: string | "shared"): Promise<string> {
  return resultKey(await sha256Hex(bytes), parseAnalysisParams(new URLSearchParams(query)), await partitionOf(apiKey));
}

/** The same for an analysis by URL: the key of `url`'s result. */
export async function urlResultKeyOf(url: string, query: string, apiKey: string | "shared"): Promise<string> {
  return urlResultKey(new URL(url), parseAnalysisParams(new URLSearchParams(query)), await partitionOf(apiKey));
}

/** The cache partition of the plain API key `apiKey`, or the shared one. */
async function partitionOf(apiKey: string | "shared"): Promise<string> {
  return apiKey === "shared" ? "shared" : cachePartition("key", await keyPrincipal({ id: null, secret: apiKey }));
}

/** Waits until the Worker has stored a result under `key` (the store runs after the answer); its value. */
export function storedResult(kv: KVNamespace, key: string, timeoutMs = 5_000): Promise<string> {
  return pollUntil(
    `a result stored under ${key}`,
    async () => (await kv.get(key)) ?? "",
    (value) => value !== "",
    {
      timeoutMs,
    },
  );
}

/** The Durable Object instance that analyses `bytes` first, as the Worker picks it. */
export async function instanceOf(bytes: Uint8Array): Promise<DurableObjectStub<AnalysisContainer>> {
  const instances = Number(env.CONTAINER_INSTANCES);
  return env.ANALYZER.getByName(instanceName(instanceIndex(await sha256Hex(bytes), instances)));
}

/**
 * A reading for `pollUntil`: the requests in flight in the instances that analyse test images `images`, summed
 * (each counts from its proxy's start to the end of the container's answer).
 */
export function inFlightIn(images: number[]): () => Promise<number> {
  return async () => {
    const instances = new Map<string, DurableObjectStub<AnalysisContainer>>();
    for (const i of images) {
      const stub = await instanceOf(png(i));
      instances.set(stub.id.toString(), stub);
    }
    let sum = 0;
    for (const stub of instances.values()) {
      sum += await runInDurableObject(stub, (instance) => (instance as AnalysisContainer).inFlight);
    }
    return sum;
  };
}

/** Stops, starts, pauses (SIGSTOP) or resumes (SIGCONT) the container process. */
export async function control(action: "stop" | "kill" | "start" | "pause" | "resume"): Promise<void> {
  const res = await fetch(`${inject("controlUrl")}/${action}`, { method: "POST" });
  expect(res.status).toBe(204);
}

/** The container process's own counters (`GET /health?deep=1`), read directly. */
export async function containerCounters(): Promise<{ analyses_total: number; in_flight: number }> {
  const res = await fetch(`${inject("containerUrl")}/health?deep=1`);
  return res.json();
}
