/**
 * Starts `npm run dev` (scripts/dev.ts) on free ports, in local mode, and waits until the API answers: what
 * the dev-script test and the browser test run against, exactly as a user would.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "./container-process.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface DevServer {
  url: string;
  port: number;
  containerPort: number;
  process: ChildProcess;
  /** Everything the dev script and its children printed. */
  output(): string;
  exited: Promise<number | null>;
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` with what the server printed. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  dev: DevServer,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms; output:\n${dev.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** `env`: more environment for the dev script (e.g. DEV_RATE_LIMIT_PER_MINUTE). */
export async function startDevServer(env: Record<string, string> = {}): Promise<DevServer> {
  const [port, containerPort] = [await freePort(), await freePort()];
  let output = "";
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      CONTAINER_PORT: String(containerPort),
      DEV_CONTAINER_MODE: "local",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const dev: DevServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    containerPort,
    process: child,
    output: () => output,
    exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
  };
  await until(
    "the dev server answered /health",
    async () => ((await fetch(`${dev.url}/health`)).ok ? true : undefined),
    dev,
  );
  return dev;
}
