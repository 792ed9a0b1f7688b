/**
 * Starts the container program as a local Node process, the way `npm run start:container` runs it, and
 * waits until `/health` answers. Used by `npm run dev` (local mode), the end-to-end tests and the benchmark,
 * so that all three run the very same process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** How long a fresh process may take to answer `/health`, in milliseconds. */
const READY_TIMEOUT_MS = 15_000;
const READY_POLL_MS = 50;

export interface ContainerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<number | null>;
  /** Sends `signal` and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  /** The port to listen on; a free one when absent. */
  port?: number;
  env?: Record<string, string>;
  /**
   * Where the process's output goes: the parent's (`inherit`), nowhere (`ignore`, the default), or to
   * `child.stdout`/`child.stderr` (`pipe`: the caller must read them, or the process blocks on a full pipe).
   */
  stdio?: "inherit" | "ignore" | "pipe";
  /** A command to run Node under, e.g. `["unshare", "--pid", "--fork", "--mount-proc"]` to make it PID 1. */
  wrapper?: string[];
}

/** A TCP port nobody listens on right now, from the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * @example
 * const container = await startContainerProcess();
 * await fetch(`${container.url}/health`);
 * await container.stop();
 */
export async function startContainerProcess(options: StartOptions = {}): Promise<ContainerProcess> {
  const port = options.port ?? (await freePort());
  const [command, ...prefix] = [...(options.wrapper ?? []), process.execPath];
  const child = spawn(command as string, [...prefix, "--import", "tsx", "container/src/server.ts"], {
    cwd: ROOT,
    // MALLOC_ARENA_MAX=2 as in the Dockerfile: the same allocator behaviour, so memory figures carry over.
    env: { ...process.env, MALLOC_ARENA_MAX: "2", ...options.env, PORT: String(port) },
    stdio: ["ignore", options.stdio ?? "ignore", options.stdio ?? "ignore"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (hasExited) throw new Error(`the container process exited before ${url}/health answered`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${url}/health did not answer within ${READY_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  return {
    url,
    port,
    child,
    exited,
    stop: (signal = "SIGTERM") => {
      if (!hasExited) child.kill(signal);
      return exited;
    },
  };
}
