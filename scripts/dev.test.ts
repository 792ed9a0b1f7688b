/**
 * `npm run dev` as a new user runs it, on a machine with no Docker engine: local mode, a real answer through
 * wrangler dev, a container process that dies is restarted, and one SIGTERM stops everything.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "./container-process.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const GREY_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAD0lEQVR4nGNowAEYhpYEAILzYAGc7g8kAAAAAElFTkSuQmCC",
  "base64",
);

let dev: ChildProcess | undefined;
let output = "";
afterAll(() => {
  dev?.kill("SIGKILL");
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms; output:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function analyse(port: number): Promise<number> {
  const form = new FormData();
  form.append("image", new Blob([GREY_PNG], { type: "image/png" }), "grey.png");
  return fetch(`http://127.0.0.1:${port}/v1/image/analysis?metrics=median`, { method: "POST", body: form }).then(
    (r) => r.status,
  );
}

/** The container process among the dev script's children: the one running container/src/server.ts. */
function containerPid(parent: number): number | undefined {
  const children = execFileSync("pgrep", ["-P", String(parent)])
    .toString()
    .trim()
    .split("\n")
    .map(Number);
  return children.find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("container/src/server.ts"));
}

describe("npm run dev", () => {
  it("serves the API in local mode, restarts a dead container process, and stops on one SIGTERM", async () => {
    const [port, containerPort] = [await freePort(), await freePort()];
    dev = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), CONTAINER_PORT: String(containerPort), DEV_CONTAINER_MODE: "local" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    dev.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    dev.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => dev?.once("exit", (code) => resolve(code)));

    await until("the API answered 200", async () => ((await analyse(port)) === 200 ? true : undefined));
    expect(output).toContain("[dev] mode: local");

    const first = containerPid(dev.pid as number);
    expect(first).toBeDefined();
    process.kill(first as number, "SIGKILL");
    await until("the container process was restarted", async () => {
      const next = containerPid(dev?.pid as number);
      return next !== undefined && next !== first ? next : undefined;
    });
    await until("the API answered 200 again", async () => ((await analyse(port)) === 200 ? true : undefined));
    expect(output).toContain("restarting it");

    dev.kill("SIGTERM");
    expect(await exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${containerPort}/health`)).rejects.toThrow();
  }, 120_000);
});
