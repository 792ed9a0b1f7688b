/**
 * `npm run dev` as a new user runs it, on a machine with no Docker engine: local mode, a real answer through
 * wrangler dev, the pages as static assets, a container process that dies is restarted, and one SIGTERM stops
 * everything.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";
import { afterAll, describe, expect, it } from "vitest";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { devRateLimit, rateLimitOf, withRateLimit, writeDevConfig } from "./dev-rate-limit.ts";
import { type DevServer, startDevServer, until } from "./dev-server.ts";

const GREY_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAD0lEQVR4nGNowAEYhpYEAILzYAGc7g8kAAAAAElFTkSuQmCC",
  "base64",
);

let dev: DevServer | undefined;
let limited: DevServer | undefined;
afterAll(() => {
  dev?.process.kill("SIGKILL");
  limited?.process.kill("SIGKILL");
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
    expect(server.output()).toContain("[dev] rate limit: 120 requests per 60 s per client, as deployed");
    // The pinned wrangler is named once, without wrangler's "(update available …)" nag (docs/DEVELOPMENT.md, "Toolchain").
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

describe("npm run dev's rate limit", () => {
  const ROOT = fileURLToPath(new URL("..", import.meta.url));
  const WRANGLER_TOML = readFileSync(`${ROOT}wrangler.toml`, "utf8");

  it("reads DEV_RATE_LIMIT_PER_MINUTE as a whole number of at least 1, or none", () => {
    expect(devRateLimit(undefined)).toBeNull();
    expect(devRateLimit("")).toBeNull();
    expect(devRateLimit(" 1000 ")).toBe(1000);
    for (const raw of ["0", "-5", "1e3", "lots", "2.5"]) {
      expect(() => devRateLimit(raw), raw).toThrow(
        `Expected a whole number of requests of at least 1 for DEV_RATE_LIMIT_PER_MINUTE but received ${raw}`,
      );
    }
  });

  it("gives wrangler a copy of wrangler.toml whose only change is the limit, which wrangler's own reader takes", () => {
    expect(rateLimitOf(WRANGLER_TOML)).toEqual({ limit: 120, period: 60 });
    const copy = withRateLimit(WRANGLER_TOML, 5000);
    expect(rateLimitOf(copy)).toEqual({ limit: 5000, period: 60 });
    const { ratelimits: _a, ...rest } = parse(WRANGLER_TOML);
    const { ratelimits: _b, ...copyRest } = parse(copy);
    expect(copyRest).toEqual(rest);
    // wrangler reads the written file as it reads wrangler.toml: the binding Miniflare enforces has the new limit.
    const path = writeDevConfig(ROOT, WRANGLER_TOML, 5000);
    expect(path).toBe(`${ROOT}wrangler.dev-5000.toml`);
    const { workerOptions } = unstable_getMiniflareWorkerOptions(path, undefined, {
      overrides: { enableContainers: false },
    } as never);
    rmSync(path);
    expect((workerOptions as { ratelimits?: unknown }).ratelimits).toMatchObject({
      RATE_LIMITER: { simple: { limit: 5000, period: 60 } },
    });
    // A period other than a minute would make "per minute" a lie.
    expect(() => withRateLimit(WRANGLER_TOML.replace("period = 60 }", "period = 10 }"), 5)).toThrow(
      "Expected [[ratelimits]] RATE_LIMITER period = 60 in wrangler.toml for DEV_RATE_LIMIT_PER_MINUTE but received 10",
    );
  });

  it("is DEV_RATE_LIMIT_PER_MINUTE's when it is set: at 2, a client's third request in a minute is 429", async () => {
    limited = await startDevServer({ DEV_RATE_LIMIT_PER_MINUTE: "2" });
    const server = limited;
    expect(server.output()).toContain("[dev] rate limit: 2 requests a minute per client (DEV_RATE_LIMIT_PER_MINUTE");
    // A client of its own (an open API keys on the address, an IPv6 client's /64), so no other test's requests
    // count; and the three requests within one minute of the limiter's clock-aligned windows.
    const client = `2001:db8:${(Date.now() % 0xffff).toString(16)}:${process.pid.toString(16).slice(-4)}::1`;
    const secondsLeft = 60 - ((Date.now() / 1000) % 60);
    if (secondsLeft < 10) await new Promise((resolve) => setTimeout(resolve, secondsLeft * 1000 + 100));
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      // The cheapest request that counts: a query the Worker refuses (400) after the limiter, before any container.
      const res = await fetch(`${server.url}/v1/image/analysis?metrics=x`, {
        method: "POST",
        headers: { "CF-Connecting-IP": client },
      });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses.slice(0, 2).every((s) => s !== 429)).toBe(true);
    expect(statuses[2]).toBe(429);
    server.process.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    rmSync(`${ROOT}wrangler.dev-2.toml`);
  }, 120_000);
});
