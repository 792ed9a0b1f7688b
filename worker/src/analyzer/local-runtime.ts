/**
 * A local stand-in for the Cloudflare container runtime (`ctx.container`), for `npm run dev` and the tests
 * on machines with no Docker engine.
 *
 * `@cloudflare/containers` drives a container through `ctx.container`: `start()`, `running`, `monitor()`,
 * `signal()`, `destroy()` and `getTcpPort(port).fetch()`. Under `wrangler dev --enable-containers=false`,
 * plain Miniflare and vitest-pool-workers that object is undefined and `Container`'s constructor throws.
 * This stand-in implements the same surface and forwards `getTcpPort().fetch()` to the container program
 * running as a local Node process at `LOCAL_CONTAINER_URL`, so that the real `Container` start, readiness
 * and proxy code runs unchanged in front of it.
 *
 * It behaves as the real runtime does where `npm run test:docker` (test-docker/) showed the two apart: a process
 * that is gone is an exited container (`running` false, `monitor()` rejected with the runtime's words for a killed
 * container, exit code 137), so the Container class records the stop, calls `onStop`, and starts a fresh container on
 * the next request, which waits for the process to listen as a cold start waits for a container's port. The real
 * runtime sees an exit at once; the stand-in, which does not own the process, sees it when a request or a probe
 * finds the process gone: the one request that finds a process gone while idle is answered as a container not
 * listening (503 `container_unavailable`, tried on another instance) where the real runtime would have started a
 * fresh container for it, and the one probe that finds it says `unhealthy` where the real one says `stopped`.
 *
 * Why it cannot activate in production: it is installed only when `ctx.container` is undefined, and on
 * Cloudflare every instance of a class named in `[[containers]]` has it defined, so the branch is
 * unreachable there whatever the variables say. It also accepts only a loopback URL, which a deployed Worker
 * could not reach anyway: it can never become a way to proxy requests to another host.
 */
import { connect } from "cloudflare:sockets";
import { describeCause } from "../log.ts";

/**
 * The runtime's own words for a port nobody listens on yet. `Container`'s start loop matches on them and
 * keeps polling, so a local process that is down or still starting looks exactly like a container that is
 * not listening yet.
 */
export const NOT_LISTENING_ERROR = "the container is not listening";

/**
 * How the runtime reports a container that exited by itself or was killed, which the Container class parses for the
 * exit code (its `UNEXPECTED_EXIT_ERROR`): `docker kill` gives 137 (128 + SIGKILL) in `npm run test:docker`.
 */
const UNEXPECTED_EXIT_ERROR = "container exited with unexpected exit code:";
/**
 * The exit code the stand-in reports for a process it finds gone: it cannot see the process's own status, and 137 is
 * what the real runtime reports for the ways a container goes away in dev and the tests (killed, out of memory).
 */
const GONE_EXIT_CODE = 137;

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * The stand-in itself. `signal()` and `destroy()` mark it stopped (the process belongs to whoever started
 * it, `npm run dev` or the test harness), and so does finding the process gone (it exited); the next `start()`
 * marks it running again, as a cold start would.
 */
export class LocalContainerRuntime implements Container {
  readonly origin: URL;
  #running = false;
  /** Whether the process has accepted a connection since `start()`: refused after that, it is gone. */
  #reached = false;
  #stopped = new AbortController();
  #exited: Promise<void> | undefined;
  #exit: ((exit?: Error) => void) | undefined;

  constructor(origin: URL) {
    this.origin = origin;
  }

  get running(): boolean {
    return this.#running;
  }

  /** No image: the program runs as a local process. */
  get images(): Record<string, string> {
    return {};
  }

  start(_options?: ContainerStartupOptions): void {
    if (this.#running) throw new Error("start() cannot be called on a container that is already running.");
    this.#running = true;
    this.#reached = false;
    this.#stopped = new AbortController();
    const exited = new Promise<void>((resolve, reject) => {
      this.#exit = (exit) => (exit ? reject(exit) : resolve());
    });
    // The Container class reads the outcome from `monitor()`; a rejection it has not asked for yet is not unhandled.
    exited.catch(() => undefined);
    this.#exited = exited;
  }

  monitor(): Promise<void> {
    return this.#exited ?? Promise.reject(new Error("monitor() cannot be called on a container that is not running."));
  }

  async destroy(): Promise<void> {
    this.#stop();
  }

  /**
   * Any signal stops it at once, dropping the requests in flight. On the real runtime the signal reaches the program,
   * which answers SIGTERM by draining them and exiting 0 (container/src/server.ts; the exit code 0 after sleepAfter
   * in test-docker/): the Durable Object sends SIGTERM only with nothing in flight (`onActivityExpired`), so the two
   * differ in nothing it can see.
   */
  signal(_signo: number): void {
    this.#stop();
  }

  /** Stopped: the requests in flight are dropped, and `monitor()` resolves (or rejects with `exit`). */
  #stop(exit?: Error): void {
    if (!this.#running) return;
    this.#running = false;
    this.#stopped.abort(new Error("the container was stopped"));
    this.#exit?.(exit);
  }

  /** The process went away by itself: an exited container, as the runtime reports one. */
  #gone(): void {
    this.#stop(
      new Error(
        `${UNEXPECTED_EXIT_ERROR} ${GONE_EXIT_CODE} (the local container process at ${this.origin.host} is gone)`,
      ),
    );
  }

  /**
   * Forwards to the local process with the runtime's own failure words, which the Durable Object tells
   * apart: "the container is not listening" when no connection could be opened (nothing reached a
   * process), "Network connection lost." when one was opened and then lost (the process died with the
   * request in it). workerd's `fetch` says the latter for both, so a TCP connect is tried first. A stop
   * (`signal()`, `destroy()`) drops the requests in flight, as a stopped container does. A process that refuses
   * connections after it had accepted one since `start()` is gone: the container has exited.
   */
  getTcpPort(_port: number): Fetcher {
    const fetchLocal = async (input: RequestInfo | URL, init?: RequestInit | Request): Promise<Response> => {
      const incoming = new URL(input instanceof Request ? input.url : String(input));
      const target = new URL(incoming.pathname + incoming.search, this.origin);
      const request = new Request(target, init ?? (input instanceof Request ? input : undefined));
      try {
        await this.#assertListening();
      } catch (cause) {
        if (this.#reached && refused(cause)) this.#gone();
        throw cause;
      }
      this.#reached = true;
      const stopped = this.#stopped.signal;
      try {
        return await fetch(request, { signal: AbortSignal.any([request.signal, stopped]) });
      } catch (cause) {
        if (request.signal.aborted) throw cause;
        // Gone only if it now refuses connections: a connection lost while the process still listens (a request
        // the runtime cancelled, a connection the program closed) leaves the container running.
        if (!stopped.aborted && (await this.#refusesConnections())) this.#gone();
        throw new Error(`Network connection lost. (local container at ${this.origin.host}: ${describeCause(cause)})`, {
          cause,
        });
      }
    };
    return {
      fetch: fetchLocal,
      connect: () => {
        throw new Error("TCP sockets are not available in the local container stand-in");
      },
    } as unknown as Fetcher;
  }

  /** Whether a connection to the process is refused now (it is gone), rather than opened. */
  async #refusesConnections(): Promise<boolean> {
    try {
      await this.#assertListening();
      return false;
    } catch (cause) {
      return refused(cause);
    }
  }

  async #assertListening(): Promise<void> {
    const port = Number(this.origin.port || 80);
    try {
      const socket = connect({ hostname: this.origin.hostname.replace(/^\[|\]$/g, ""), port });
      await socket.opened;
      await socket.close();
    } catch (cause) {
      throw new Error(`${NOT_LISTENING_ERROR} (local container at ${this.origin.host}: ${describeCause(cause)})`, {
        cause,
      });
    }
  }

  async setInactivityTimeout(_durationMs: number | bigint): Promise<void> {}

  interceptOutboundHttp(): Promise<void> {
    return unsupported("outbound interception");
  }
  interceptAllOutboundHttp(): Promise<void> {
    return unsupported("outbound interception");
  }
  interceptOutboundHttps(): Promise<void> {
    return unsupported("outbound interception");
  }
  snapshotContainer(): Promise<ContainerSnapshot> {
    return unsupported("snapshots");
  }
  exec(): Promise<ExecProcess> {
    return unsupported("exec");
  }
  inspect(): Promise<ContainerInfo | null> {
    return unsupported("inspect");
  }
}

/**
 * Whether a failed connect was refused (nobody listens on the port), in workerd's words ("proxy request failed, cannot
 * connect to the specified address"), rather than cut short.
 */
function refused(cause: unknown): boolean {
  return describeCause(cause).includes("cannot connect");
}

function unsupported<T>(what: string): Promise<T> {
  return Promise.reject(new Error(`${what} is not available in the local container stand-in`));
}

/**
 * Parses `LOCAL_CONTAINER_URL`, accepting only http on a loopback host.
 *
 * @example
 * localContainerOrigin("http://127.0.0.1:8080"); // URL { host: "127.0.0.1:8080" }
 * localContainerOrigin("http://10.0.0.5:8080"); // throws
 */
export function localContainerOrigin(raw: string): URL {
  const url = new URL(raw);
  if (url.protocol !== "http:" || !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new Error(`Expected an http URL on a loopback host for LOCAL_CONTAINER_URL but received ${url.origin}`);
  }
  return url;
}

/**
 * The URL for one instance from `LOCAL_CONTAINER_URL`: a default URL, optionally followed by
 * `name=url` entries for single instances (tests use this to make one instance unreachable).
 *
 * @example
 * localUrlFor("http://127.0.0.1:8080,analyzer-2=http://127.0.0.1:9", "analyzer-2"); // "http://127.0.0.1:9"
 * localUrlFor("http://127.0.0.1:8080,analyzer-2=http://127.0.0.1:9", "analyzer-0"); // "http://127.0.0.1:8080"
 */
export function localUrlFor(spec: string, instance: string | undefined): string | undefined {
  let fallback: string | undefined;
  for (const entry of spec.split(",").map((e) => e.trim())) {
    const eq = entry.indexOf("=");
    if (eq === -1) fallback = entry;
    else if (entry.slice(0, eq) === instance) return entry.slice(eq + 1);
  }
  return fallback;
}

/**
 * Gives `ctx` the local stand-in when the runtime has no container for it and `LOCAL_CONTAINER_URL` says
 * where the container process runs; otherwise returns `ctx` untouched.
 *
 * @example
 * super(withLocalContainerRuntime(ctx, env.LOCAL_CONTAINER_URL), env);
 */
export function withLocalContainerRuntime<S extends DurableObjectState<{}>>(ctx: S, localUrl: string | undefined): S {
  if (ctx.container !== undefined || !localUrl) return ctx;
  const url = localUrlFor(localUrl, ctx.id?.name);
  if (!url) return ctx;
  Object.defineProperty(ctx, "container", { value: new LocalContainerRuntime(localContainerOrigin(url)) });
  return ctx;
}
