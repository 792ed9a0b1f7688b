/**
 * The Durable Object that owns one container's lifecycle. Each named instance (`analyzer-0`, …) starts its
 * container on the first request, keeps it for `sleepAfter` of inactivity, and proxies requests to port 8080.
 *
 * Settings are class fields, as `@cloudflare/containers` expects; the ones that come from configuration are
 * set in the constructor once `env` is known.
 */
import { Container } from "@cloudflare/containers";
import { type ApiError, unavailable } from "../../../contract/errors.ts";
import { REQUEST_ID_HEADER } from "../../../contract/service.ts";
import { CONTAINER_PORT, configFor, type Env } from "../config.ts";
import { describeCause, log } from "../log.ts";
import { withLocalContainerRuntime } from "./local-runtime.ts";

/** How often a cold start polls the container's port, in milliseconds. */
const START_POLL_INTERVAL_MS = 100;

export class AnalysisContainer extends Container<Env> {
  override defaultPort = CONTAINER_PORT;
  /** The container needs no internet: the Worker fetches anything remote and streams it in. */
  override enableInternet = false;
  readonly startTimeoutMs: number;

  constructor(ctx: DurableObjectState<{}>, env: Env) {
    super(withLocalContainerRuntime(ctx, env.LOCAL_CONTAINER_URL), env);
    const config = configFor(env);
    this.sleepAfter = config.containerSleepAfter;
    this.startTimeoutMs = config.containerStartTimeoutMs;
    this.envVars = { PORT: String(CONTAINER_PORT), MAX_UPLOAD_BYTES: String(config.maxUploadBytes) };
  }

  override onStart(): void {
    log("info", "container started", { instance: this.ctx.id.name ?? this.ctx.id.toString() });
  }

  override onStop(params: { exitCode: number; reason: string }): void {
    log("info", "container stopped", {
      instance: this.ctx.id.name ?? this.ctx.id.toString(),
      exit_code: params.exitCode,
      reason: params.reason,
    });
  }

  override onError(error: unknown): void {
    log("error", "container error", {
      instance: this.ctx.id.name ?? this.ctx.id.toString(),
      cause: describeCause(error),
    });
  }

  /**
   * Starts the container when needed, within our own deadline, then proxies. Whatever goes wrong on the way
   * (no instance, a start that times out, a process that is gone) is answered as 503 JSON with
   * `Retry-After`, never as the SDK's plain-text 500.
   */
  override async fetch(request: Request): Promise<Response> {
    const requestId = request.headers.get(REQUEST_ID_HEADER) ?? "";
    try {
      if (!this.ctx.container?.running || (await this.getState()).status !== "healthy") {
        await this.startAndWaitForPorts({
          ports: CONTAINER_PORT,
          cancellationOptions: {
            instanceGetTimeoutMS: this.startTimeoutMs,
            portReadyTimeoutMS: this.startTimeoutMs,
            waitInterval: START_POLL_INTERVAL_MS,
            abort: request.signal,
          },
        });
      }
    } catch (cause) {
      return this.#unavailable(requestId, "container did not start", cause);
    }
    const response = await this.containerFetch(request, CONTAINER_PORT);
    // Every answer of our container program carries X-Request-Id; the SDK's own error texts
    // ("Error proxying request to container…", "Container suddenly disconnected…") do not.
    if (!response.headers.has(REQUEST_ID_HEADER)) {
      return this.#unavailable(requestId, "container did not answer", await response.text());
    }
    return response;
  }

  #unavailable(requestId: string, msg: string, cause: unknown): Response {
    const error: ApiError = unavailable({ cause });
    log("warn", msg, {
      request_id: requestId,
      instance: this.ctx.id.name ?? this.ctx.id.toString(),
      cause: describeCause(cause),
    });
    return Response.json(error.toEnvelope(requestId), { status: error.status, headers: error.headers });
  }
}
