/**
 * `npm run dev` as a new user runs it, on a machine with no Docker engine: local mode, a real answer through
 * wrangler dev, the pages as static assets, a container process that dies is restarted, and one SIGTERM stops
 * everything.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer, until } from "./dev-server.ts";

const GREY_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAD0lEQVR4nGNowAEYhpYEAILzYAGc7g8kAAAAAElFTkSuQmCC",
  "base64",
);

let dev: DevServer | undefined;
afterAll(() => {
  dev?.process.kill("SIGKILL");
});

function analyse(url: string): Promise<number> {
  const form = new FormData();
  form.append("image", new Blob([GREY_PNG], { type: "image/png" }), "grey.png");
  return fetch(`${url}/v1/image/analysis?metrics=median`, { method: "POST", body: form }).then((r) => r.status);
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
    dev = await startDevServer();
    const server = dev;
    await until("the API answered 200", async () => ((await analyse(server.url)) === 200 ? true : undefined), server);
    expect(server.output()).toContain("[dev] mode: local");
    // The pinned wrangler is named once, without wrangler's "(update available …)" nag (README, "Toolchain").
    const wranglerVersion = JSON.parse(readFileSync("node_modules/wrangler/package.json", "utf8")).version;
    expect(server.output()).toContain(`[dev] wrangler ${wranglerVersion} (pinned`);
    expect(server.output()).not.toContain("update available");
    expect(server.output()).not.toContain("Unable to fetch the `Request.cf` object"); // none is downloaded

    // The pages are static assets: served with their CSP and without running the Worker (which would add
    // its X-Request-Id to every answer).
    for (const [path, type] of [
      ["/playground", "text/html"],
      ["/docs", "text/html"],
      ["/playground.js", "text/javascript"],
      ["/docs.js", "text/javascript"],
      ["/vendor/swagger-ui/swagger-ui-bundle.js", "text/javascript"],
      ["/favicon.ico", "image/"],
    ] as const) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("Content-Type"), path).toContain(type);
      expect(res.headers.get("Content-Security-Policy"), path).toContain("script-src 'self'");
      expect(res.headers.get("X-Request-Id"), path).toBeNull();
    }
    const icon = new Uint8Array(await (await fetch(`${server.url}/favicon.ico`)).arrayBuffer());
    expect([...icon.subarray(0, 4)]).toEqual([0, 0, 1, 0]); // ICONDIR: reserved 0, type 1 (icon)
    expect([...icon.subarray(22, 26)]).toEqual([0x89, 0x50, 0x4e, 0x47]); // one PNG image inside
    const docs = await (await fetch(`${server.url}/docs`)).text();
    expect(docs).not.toMatch(/https?:\/\//); // nothing from another origin, no CDN

    const first = containerPid(server.process.pid as number);
    expect(first).toBeDefined();
    process.kill(first as number, "SIGKILL");
    const restarted = await until(
      "the container process was restarted",
      async () => {
        const next = containerPid(server.process.pid as number);
        return next !== undefined && next !== first ? next : undefined;
      },
      server,
    );
    await until(
      "the API answered 200 again",
      async () => ((await analyse(server.url)) === 200 ? true : undefined),
      server,
    );
    expect(server.output()).toContain("restarting it");

    server.process.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${server.containerPort}/health`)).rejects.toThrow();
    expect(existsSync(`/proc/${restarted}`)).toBe(false); // the restarted process is not left behind
  }, 120_000);
});
