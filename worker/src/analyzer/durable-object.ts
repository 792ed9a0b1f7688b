/**
 * The Durable Object that owns one container's lifecycle. Each named instance (`analyzer-0`, …) starts its
 * container on the first request, keeps it for `sleepAfter` of inactivity, and proxies requests to port 8080.
 *
 * It is also where identical concurrent analyses meet: the Worker routes by the image's hash, so every
 * upload of the same bytes reaches the same instance, which runs one analysis for all of them (the stampede
 * defence of issue #4) and stores the result in KV once. That analysis belongs to none of them: it has its own
 * copy of the upload and its own abort signal, so a caller that goes away only stops waiting, and the analysis
 * is given up only once no caller waits for it.
 *
 * Settings are class fields, as `@cloudflare/containers` expects; the ones that come from configuration are
 * set in the constructor once `env` is known.
 */
import { Container } from "@cloudflare/containers";
import type { AnalysisResponse } from "../../../contract/analysis.ts";
import { ApiError, containerFailed, unavailable } from "../../../contract/errors.ts";
import { type AnalysisPriority, PRIORITY_HEADER, priorityFrom, REQUEST_ID_HEADER } from "../../../contract/service.ts";
import { storeResult } from "../cache/index.ts";
import { CONTAINER_PORT, configFor, type Vars, type WorkerConfig } from "../config.ts";
import { describeCause, log } from "../log.ts";
import { RESULT_ETAG_HEADER, RESULT_KEY_HEADER } from "./internal-headers.ts";
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

/** A container's answer, read whole so several waiting requests can each get a copy. */
interface ContainerReply {
  status: number;
  headers: [string, string][];
  body: string;
}

/**
 * One analysis that identical requests share. It runs on a request of its own (the upload read once into
 * memory, an abort signal of its own), never on a caller's: the first caller's body stream and signal tied every
 * caller that joined to that one's fate (a first caller that went away failed them all with `container_failed`).
 */
interface SharedAnalysis {
  key: string;
  requestId: string;
  priority: AnalysisPriority;
  outcome: Promise<ContainerReply>;
  settled: boolean;
  /** Callers waiting for it now; the last one to go away gives it up. */
  waiting: number;
  /** Cancels its container request (the start, the proxied call): only once no caller waits for it. */
  controller: AbortController;
}

/** What `probe()` reports about an instance. */
export interface InstanceHealth {
  state: "stopped" | "healthy" | "unhealthy";
  latency_ms?: number;
}

/**
 * The bindings the Durable Object reads (env.ts's `Env` has them all; named here so that this module does not
 * import env.ts, which names this class).
 */
export interface AnalyzerBindings extends Vars {
  /** Where the shared analysis stores its result once. */
  RESULTS: KVNamespace;
}

export class AnalysisContainer extends Container<AnalyzerBindings> {
  override defaultPort = CONTAINER_PORT;
  /** The container needs no internet: the Worker fetches anything remote and streams it in. */
  override enableInternet = false;
  readonly config: WorkerConfig;
  readonly #pending = new Map<string, SharedAnalysis>();
  #inFlight = 0;
  #waiting = 0;

  constructor(ctx: DurableObjectState<{}>, env: AnalyzerBindings) {
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
   * no ETag: see `RESULT_ETAG_HEADER`). A caller that goes away (its request's signal) only stops waiting, and
   * is answered 499, which nobody reads; the others keep waiting for the same analysis.
   */
  override async fetch(request: Request): Promise<Response> {
    const requestId = request.headers.get(REQUEST_ID_HEADER) ?? "";
    const key = request.headers.get(RESULT_KEY_HEADER);
    if (!key) return this.#proxy(request, requestId);

    const priority = priorityFrom(request.headers.get(PRIORITY_HEADER));
    let shared = this.#joinable(key, priority);
    if (!shared) {
      // Read whole before anything is shared, so that the analysis never reads from a caller's stream, which
      // breaks when that caller goes away. It is at most MAX_UPLOAD_BYTES and the form around it, already whole
      // in the Worker, and is held here until the container has answered.
      let body: ArrayBuffer;
      try {
        body = await request.arrayBuffer();
      } catch (cause) {
        if (request.signal.aborted) return callerGone(requestId);
        throw cause;
      }
      // An identical request may have started one while this body was read: then this one joins it.
      shared = this.#joinable(key, priority) ?? this.#share(key, request, body, requestId, priority);
    }
    const outcome = await this.#wait(shared, request.signal);
    if (!outcome) return callerGone(requestId);
    const headers = new Headers(outcome.headers);
    headers.set(REQUEST_ID_HEADER, requestId);
    return new Response(outcome.status === 200 ? outcome.body : ownRequestId(outcome.body, requestId), {
      status: outcome.status,
      headers,
    });
  }

  /** Callers waiting here for a shared analysis now (what the tests read to know a caller has joined). */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * The shared analysis a request with this key and priority may join. A single request never waits on a job
   * item's analysis still under way, which the container serves after single requests: it starts its own, which
   * the container serves first (both store the same result). A finished one anyone may join.
   */
  #joinable(key: string, priority: AnalysisPriority): SharedAnalysis | undefined {
    const shared = this.#pending.get(key);
    if (shared && (priority === "batch" || shared.priority === "interactive" || shared.settled)) return shared;
    return undefined;
  }

  /** Starts the analysis that identical requests will share, on a request of its own carrying `body`. */
  #share(
    key: string,
    request: Request,
    body: ArrayBuffer,
    requestId: string,
    priority: AnalysisPriority,
  ): SharedAnalysis {
    const controller = new AbortController();
    const own = new Request(request.url, {
      method: request.method,
      headers: request.headers,
      body,
      signal: controller.signal,
    });
    const shared: SharedAnalysis = {
      key,
      requestId,
      priority,
      outcome: this.#analyse(own, requestId, key, request.headers.get(RESULT_ETAG_HEADER)),
      settled: false,
      waiting: 0,
      controller,
    };
    this.#pending.set(key, shared);
    // Only this analysis's own entry is removed: a newer one may hold its key by then (after this one was given
    // up, or a single request's beside a job item's).
    const forget = () => {
      if (this.#pending.get(key) === shared) this.#pending.delete(key);
    };
    shared.outcome.then(
      (outcome) => {
        shared.settled = true;
        if (outcome.status === 200) setTimeout(forget, RECENT_RESULT_MS);
        else forget();
      },
      () => {
        shared.settled = true;
        forget();
      },
    );
    return shared;
  }

  /**
   * Waits for a shared analysis: its outcome, or `undefined` as soon as this caller has gone away (`signal`).
   * The last caller to go away before the analysis has settled gives it up.
   */
  #wait(shared: SharedAnalysis, signal: AbortSignal): Promise<ContainerReply | undefined> {
    return new Promise<ContainerReply | undefined>((resolve, reject) => {
      let waiting = true;
      const stop = (): boolean => {
        if (!waiting) return false;
        waiting = false;
        shared.waiting--;
        this.#waiting--;
        signal.removeEventListener("abort", leave);
        return true;
      };
      const leave = () => {
        if (!stop()) return;
        resolve(undefined);
        if (shared.waiting === 0 && !shared.settled) this.#giveUp(shared);
      };
      shared.waiting++;
      this.#waiting++;
      if (signal.aborted) {
        leave();
        return;
      }
      signal.addEventListener("abort", leave);
      shared.outcome.then(
        (outcome) => {
          if (stop()) resolve(outcome);
        },
        (cause: unknown) => {
          if (stop()) reject(cause);
        },
      );
    });
  }

  /**
   * No caller waits for this analysis any more: its container request is cancelled (in the container, one still
   * waiting for a decode slot is then never started), and the next identical request starts afresh rather than
   * joining one that is being cancelled.
   */
  #giveUp(shared: SharedAnalysis): void {
    if (this.#pending.get(shared.key) === shared) this.#pending.delete(shared.key);
    log("info", "analysis given up: every caller went away", {
      request_id: shared.requestId,
      instance: this.#instance,
    });
    shared.controller.abort(new Error("every caller of this analysis went away"));
  }

  async #analyse(request: Request, requestId: string, key: string, etag: string | null): Promise<ContainerReply> {
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
        // Nobody waits for this answer: the caller (or every caller of a shared analysis) went away.
        if (request.signal.aborted) throw cause;
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

/** The answer to a caller that went away before its analysis was done; nobody reads it (nginx's 499). */
function callerGone(requestId: string): Response {
  const error = new ApiError(499, "client_closed", "Client closed the request");
  return Response.json(error.toEnvelope(requestId), {
    status: error.status,
    headers: { [REQUEST_ID_HEADER]: requestId },
  });
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
