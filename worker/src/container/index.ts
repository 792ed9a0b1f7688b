/**
 * The Durable Object that owns one container's lifecycle. Each named instance (`analyzer-0`, …) starts its
 * container on the first request, keeps it for `sleepAfter` of inactivity, and proxies requests to port 8080.
 *
 * It is also where identical concurrent analyses meet: the Worker routes by the image's hash, so every
 * upload of the same bytes reaches the same instance, which runs one analysis for all of them (the stampede
 * defence of issue #4) and stores the result in KV once.
 *
 * Settings are class fields, as `@cloudflare/containers` expects; the ones that come from configuration are
 * set in the constructor once `env` is known.
 */
import { Container } from "@cloudflare/containers";
import type { AnalysisResponse } from "../../../contract/analysis.ts";
import { type ApiError, unavailable } from "../../../contract/errors.ts";
import { REQUEST_ID_HEADER } from "../../../contract/service.ts";
import { storeResult } from "../cache/index.ts";
import { CONTAINER_PORT, configFor, type Env, type WorkerConfig } from "../config.ts";
import { describeCause, log } from "../log.ts";
import { withLocalContainerRuntime } from "./local-runtime.ts";

/** How often a cold start polls the container's port, in milliseconds. */
const START_POLL_INTERVAL_MS = 100;
/**
 * How long a finished result stays here for late duplicates, in milliseconds: a duplicate that missed KV just
 * before the store landed (or before KV showed it) joins this result instead of running a second analysis.
 */
const RECENT_RESULT_MS = 60_000;
/** Internal header from the Worker: the result's cache key, which is also the coalescing key. */
export const RESULT_KEY_HEADER = "X-Result-Key";

/** A container's answer, read whole so several waiting requests can each get a copy. */
interface Outcome {
  status: number;
  headers: [string, string][];
  body: string;
}

/** What `probe()` reports about an instance. */
export interface InstanceHealth {
  state: "stopped" | "healthy" | "unhealthy";
  latency_ms?: number;
}

export class AnalysisContainer extends Container<Env> {
  override defaultPort = CONTAINER_PORT;
  /** The container needs no internet: the Worker fetches anything remote and streams it in. */
  override enableInternet = false;
  readonly config: WorkerConfig;
  readonly #inflight = new Map<string, Promise<Outcome>>();

  constructor(ctx: DurableObjectState<{}>, env: Env) {
    super(withLocalContainerRuntime(ctx, env.LOCAL_CONTAINER_URL), env);
    this.config = configFor(env);
    this.sleepAfter = this.config.containerSleepAfter;
    this.envVars = { PORT: String(CONTAINER_PORT), MAX_UPLOAD_BYTES: String(this.config.maxUploadBytes) };
  }

  get #instance(): string {
    return this.ctx.id.name ?? this.ctx.id.toString();
  }

  override onStart(): void {
    log("info", "container started", { instance: this.#instance });
  }

  override onStop(params: { exitCode: number; reason: string }): void {
    log("info", "container stopped", { instance: this.#instance, exit_code: params.exitCode, reason: params.reason });
  }

  override onError(error: unknown): void {
    log("error", "container error", { instance: this.#instance, cause: describeCause(error) });
  }

  /**
   * Proxies a request to the container. An analysis that carries a result key joins an identical one already
   * running here instead of starting its own; its successful result is stored in KV once.
   */
  override async fetch(request: Request): Promise<Response> {
    const requestId = request.headers.get(REQUEST_ID_HEADER) ?? "";
    const key = request.headers.get(RESULT_KEY_HEADER);
    if (!key) return this.#proxy(request, requestId);

    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#analyse(request, requestId, key);
      this.#inflight.set(key, pending);
      const forget = () => this.#inflight.delete(key);
      pending.then((outcome) => (outcome.status === 200 ? setTimeout(forget, RECENT_RESULT_MS) : forget()), forget);
    }
    const outcome = await pending;
    const headers = new Headers(outcome.headers);
    headers.set(REQUEST_ID_HEADER, requestId);
    return new Response(outcome.status === 200 ? outcome.body : ownRequestId(outcome.body, requestId), {
      status: outcome.status,
      headers,
    });
  }

  async #analyse(request: Request, requestId: string, key: string): Promise<Outcome> {
    const response = await this.#proxy(request, requestId);
    const outcome = { status: response.status, headers: [...response.headers], body: await response.text() };
    if (outcome.status === 200) {
      // The store outlives the response: the caller has its numbers while KV is still being written.
      this.ctx.waitUntil(
        storeResult(this.env.RESULTS, key, JSON.parse(outcome.body) as AnalysisResponse, this.config.resultTtlS).catch(
          (cause: unknown) => log("warn", "result not cached", { request_id: requestId, cause: describeCause(cause) }),
        ),
      );
    }
    return outcome;
  }

  /**
   * Starts the container when needed, within our own deadline, then proxies. Whatever goes wrong on the way
   * (no instance, a start that times out, a process that is gone) is answered as 503 JSON with
   * `Retry-After`, never as plain text.
   */
  async #proxy(request: Request, requestId: string): Promise<Response> {
    try {
      if (!this.ctx.container?.running || (await this.getState()).status !== "healthy") {
        await this.startAndWaitForPorts({
          ports: CONTAINER_PORT,
          cancellationOptions: {
            instanceGetTimeoutMS: this.config.containerStartTimeoutMs,
            portReadyTimeoutMS: this.config.containerStartTimeoutMs,
            waitInterval: START_POLL_INTERVAL_MS,
            abort: request.signal,
          },
        });
      }
    } catch (cause) {
      return this.#unavailable(requestId, "container did not start", cause);
    }
    // Our own proxy rather than `containerFetch`: 0.3.x counts requests in flight and decrements only when
    // the answer's body has been piped to the caller, so a request its caller aborted stays counted and the
    // container never sleeps (worker/test/faults/sleep.test.ts). Activity is renewed before and after instead.
    this.renewActivityTimeout();
    try {
      const port = this.ctx.container?.getTcpPort(CONTAINER_PORT);
      if (!port) throw new Error("no container runtime");
      return await port.fetch(request.url.replace(/^https:/, "http:"), request);
    } catch (cause) {
      return this.#unavailable(requestId, "container did not answer", cause);
    } finally {
      this.renewActivityTimeout();
    }
  }

  /**
   * Whether this instance's container answers `/health`, and how fast. A stopped container stays stopped
   * unless `wake` is set (the warm-up cron sets it; `GET /health?deep=1` only with `&wake=1`).
   *
   * @example
   * await env.ANALYZER.getByName("analyzer-0").probe(false); // { state: "stopped" }
   */
  async probe(wake: boolean): Promise<InstanceHealth> {
    if (!this.ctx.container?.running && !wake) return { state: "stopped" };
    const startedAt = Date.now();
    const response = await this.#proxy(new Request("http://container/health"), "");
    await response.text(); // a few bytes: read to the end so the connection is released
    return { state: response.ok ? "healthy" : "unhealthy", latency_ms: Date.now() - startedAt };
  }

  #unavailable(requestId: string, msg: string, cause: unknown): Response {
    const error: ApiError = unavailable({ cause });
    log("warn", msg, { request_id: requestId, instance: this.#instance, cause: describeCause(cause) });
    return Response.json(error.toEnvelope(requestId), {
      status: error.status,
      headers: { ...error.headers, [REQUEST_ID_HEADER]: requestId },
    });
  }
}

/** An error body shared by coalesced requests, with each request's own ID in it. */
function ownRequestId(body: string, requestId: string): string {
  try {
    const parsed = JSON.parse(body) as { detail?: { request_id?: string } };
    if (parsed.detail && typeof parsed.detail === "object" && !Array.isArray(parsed.detail)) {
      parsed.detail.request_id = requestId;
    }
    return JSON.stringify(parsed);
  } catch {
    return body;
  }
}
