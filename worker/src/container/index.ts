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
import { type ApiError, containerFailed, unavailable } from "../../../contract/errors.ts";
import { REQUEST_ID_HEADER } from "../../../contract/service.ts";
import { storeResult } from "../cache/index.ts";
import { CONTAINER_PORT, configFor, type Env, type WorkerConfig } from "../config.ts";
import { describeCause, log } from "../log.ts";
import { NOT_LISTENING_ERROR, withLocalContainerRuntime } from "./local-runtime.ts";

/** How long a health probe waits for a running container's own `/health`, in milliseconds. */
const PROBE_TIMEOUT_MS = 2_000;
/** How often a cold start polls the container's port, in milliseconds. */
const START_POLL_INTERVAL_MS = 100;
/**
 * How long a finished result stays here for late duplicates, in milliseconds: a duplicate that missed KV just
 * before the store landed (or before KV showed it) joins this result instead of running a second analysis.
 */
const RECENT_RESULT_MS = 60_000;
/** Internal header from the Worker: the result's cache key, which is also the coalescing key. */
export const RESULT_KEY_HEADER = "X-Result-Key";
/**
 * Internal header from the Worker: the result's ETag, stored beside it. Absent means "do not store": the
 * image's server forbade caching (`no-store`, `private`), which keeps the result out of every cache.
 */
export const RESULT_ETAG_HEADER = "X-Result-ETag";

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
  readonly #pending = new Map<string, Promise<Outcome>>();
  #inFlight = 0;

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
   * running here instead of starting its own; its successful result is stored in KV once (unless it carries
   * no ETag: see `RESULT_ETAG_HEADER`).
   */
  override async fetch(request: Request): Promise<Response> {
    const requestId = request.headers.get(REQUEST_ID_HEADER) ?? "";
    const key = request.headers.get(RESULT_KEY_HEADER);
    if (!key) return this.#proxy(request, requestId);

    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#analyse(request, requestId, key, request.headers.get(RESULT_ETAG_HEADER));
      this.#pending.set(key, pending);
      const forget = () => this.#pending.delete(key);
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

  async #analyse(request: Request, requestId: string, key: string, etag: string | null): Promise<Outcome> {
    const response = await this.#proxy(request, requestId);
    const outcome = { status: response.status, headers: [...response.headers], body: await response.text() };
    if (outcome.status === 200 && etag) {
      // The store outlives the response: the caller has its numbers while KV is still being written.
      this.ctx.waitUntil(
        storeResult(
          this.env.RESULTS,
          key,
          JSON.parse(outcome.body) as AnalysisResponse,
          this.config.resultTtlS,
          etag,
        ).catch((cause: unknown) =>
          log("warn", "result not cached", { request_id: requestId, cause: describeCause(cause) }),
        ),
      );
    }
    return outcome;
  }

  /**
   * Never stopped for inactivity while a request is in flight here: our own proxy bypasses `containerFetch`,
   * so the base class's count of requests in flight stays at 0 and its alarm would stop a container under an
   * analysis that outlasts `sleepAfter` (issue #10). The alarm asks this hook; it waits for the count.
   */
  override async onActivityExpired(): Promise<void> {
    if (this.#inFlight > 0) {
      this.renewActivityTimeout();
      return;
    }
    await super.onActivityExpired();
  }

  /** Requests between start and the end of the container's answer (read whole, so an abort ends it too). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Starts the container when needed, within our own deadline, then proxies and reads the answer whole.
   * Whatever goes wrong on the way is answered as 503 JSON with `Retry-After`, never as plain text, and
   * with a code that says whether the request reached a container:
   *
   * - `container_unavailable`: no container could be started, or none was listening. The request never
   *   reached a process, so the Worker may try it once on another instance.
   * - `container_failed`: the container took the request and then died with it (a crash, out of memory). It
   *   is never retried elsewhere: an image that kills a container would otherwise kill the next one.
   */
  async #proxy(request: Request, requestId: string): Promise<Response> {
    this.#inFlight++;
    try {
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
        return this.#failure(requestId, "container did not start", unavailable({ cause }));
      }
      // Our own proxy rather than `containerFetch`: 0.3.x counts requests in flight and decrements only when
      // the answer's body has been piped to the caller, so a request its caller aborted stays counted and the
      // container never sleeps (worker/test/faults/sleep.test.ts). Ours reads the (small JSON) answer whole
      // here, so the count always returns to zero, and renews activity before and after.
      this.renewActivityTimeout();
      try {
        const port = this.ctx.container?.getTcpPort(CONTAINER_PORT);
        if (!port) throw new Error(`${NOT_LISTENING_ERROR}: no container runtime`);
        const response = await port.fetch(request.url.replace(/^https:/, "http:"), request);
        return new Response(await response.arrayBuffer(), response);
      } catch (cause) {
        if (request.signal.aborted) throw cause;
        // The runtime's own words: "not listening" means no connection was made, so nothing reached a process.
        if (isNotListening(cause)) {
          return this.#failure(requestId, "container not listening", unavailable({ cause }));
        }
        return this.#failure(requestId, "container failed with the request in it", containerFailed({ cause }));
      }
    } finally {
      this.#inFlight--;
      this.renewActivityTimeout();
    }
  }

  /**
   * What `probe()` reports: an instance's state, read without starting its container or renewing its
   * activity, so a monitor polling `GET /health?deep=1` never keeps a container (and its bill) awake. A running
   * container's own `/health` is asked directly on its port, outside the proxy and its activity clock.
   *
   * @example
   * await env.ANALYZER.getByName("analyzer-0").probe(); // { state: "stopped" }
   */
  async probe(): Promise<InstanceHealth> {
    if (!this.ctx.container?.running) return { state: "stopped" };
    const startedAt = Date.now();
    try {
      const port = this.ctx.container.getTcpPort(CONTAINER_PORT);
      const response = await port.fetch("http://container/health", { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      await response.arrayBuffer(); // a few bytes: read to the end so the connection is released
      return { state: response.ok ? "healthy" : "unhealthy", latency_ms: Date.now() - startedAt };
    } catch {
      return { state: "unhealthy", latency_ms: Date.now() - startedAt };
    }
  }

  /**
   * Starts this instance's container (if stopped) and keeps it for `sleepAfter`: the warm-up cron's call.
   *
   * @example
   * await env.ANALYZER.getByName("analyzer-0").warm(); // { state: "healthy", latency_ms: 1480 }
   */
  async warm(): Promise<InstanceHealth> {
    const startedAt = Date.now();
    const response = await this.#proxy(new Request("http://container/health"), "");
    return { state: response.ok ? "healthy" : "unhealthy", latency_ms: Date.now() - startedAt };
  }

  #failure(requestId: string, msg: string, error: ApiError): Response {
    log("warn", msg, {
      request_id: requestId,
      instance: this.#instance,
      code: error.code,
      cause: describeCause(error.cause),
    });
    return Response.json(error.toEnvelope(requestId), {
      status: error.status,
      headers: { ...error.headers, [REQUEST_ID_HEADER]: requestId },
    });
  }
}

/** Whether an error is the runtime's "the container is not listening" (no connection was ever made). */
function isNotListening(cause: unknown): boolean {
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.toLowerCase().includes(NOT_LISTENING_ERROR);
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
