/**
 * The edge (issue #4), end to end in workerd: what the Worker answers on its own, what it caches, how it
 * spreads and bounds the work it sends to containers.
 */
import {
  createExecutionContext,
  createScheduledController,
  env,
  listDurableObjectIds,
  SELF,
  waitOnExecutionContext,
} from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index.ts";
import { containerCounters, control, GREY_PNG, png, resultKeyOf, sha256Hex, storedResult, upload } from "./helpers.ts";
import { RATE_LIMIT_IN_TESTS } from "./rate-limit.ts";

const text = (s: string) => new TextEncoder().encode(s);

/** The rate limiter's window in the tests (vitest.config.ts: `period: 60`). */
const LIMITER_WINDOW_MS = 60_000;
/** A burst, plus up to one whole window's wait when the first try straddled two windows. */
const LIMITER_TEST_TIMEOUT_MS = 2 * LIMITER_WINDOW_MS + 30_000;

/**
 * Runs a burst of requests inside one of the rate limiter's windows and returns what it answered.
 *
 * The limiter counts in windows aligned to the wall clock (Miniflare's, like Cloudflare's), so a burst that
 * straddles a window's end is counted in two windows and its last request passes when it should not. How long
 * a burst takes depends on the machine, so rather than guess a margin, this notices the straddle and runs the
 * burst again from the start of a window after next, when the key's count is surely fresh.
 *
 * @example
 * const statuses = await inOneLimiterWindow(async () => [(await deep("key")).status]);
 */
async function inOneLimiterWindow<T>(burst: () => Promise<T>): Promise<T> {
  const windowOf = (ms: number) => Math.floor(ms / LIMITER_WINDOW_MS);
  const started = windowOf(Date.now());
  const result = await burst();
  const ended = windowOf(Date.now());
  if (ended === started) return result;
  // Not a wait for a state but for the clock: the next window begins at a wall-clock boundary, and nothing
  // the limiter shows says so before it comes.
  await new Promise((resolve) => setTimeout(resolve, (ended + 1) * LIMITER_WINDOW_MS - Date.now() + 100));
  const again = windowOf(Date.now());
  const retried = await burst();
  if (windowOf(Date.now()) !== again) throw new Error("a burst took longer than a whole rate-limiter window");
  return retried;
}

/**
 * Spends `count` of a key's requests with the cheapest request that counts: an upload whose query the Worker
 * refuses (400) before any container is asked. They call the Worker's handler directly, with the same
 * bindings and so the same limiter, not through `SELF.fetch`: in vitest-pool-workers every `SELF.fetch` of
 * a test file makes the next one slower (cloudflare/workers-sdk#15446; 300 of them made this file's later
 * requests 20 times slower), while a direct call stays well under a millisecond.
 */
async function spend(key: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const form = new FormData();
    form.append("image", new Blob([GREY_PNG], { type: "image/png" }), "grey.png");
    const request = new Request("https://api.test/v1/image/analysis?metrics=x", {
      method: "POST",
      body: form,
      headers: { "X-API-Key": key },
    });
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, env, ctx);
    await waitOnExecutionContext(ctx);
    statuses.push(res.status);
    await res.body?.cancel();
  }
  return statuses;
}

describe("invalid requests never reach a container", () => {
  // The container process is stopped for the whole block: any of these that touched it would be a 503.
  const cases: Array<[string, () => Promise<Response>, number, string]> = [
    ["no API key", () => upload(png(2), { key: null }), 401, "unauthorized"],
    ["a wrong API key", () => upload(png(2), { key: "nope" }), 401, "unauthorized"],
    ["invalid metrics", () => upload(png(2), { query: "?metrics=colour" }), 400, "invalid_metrics"],
    ["an invalid edge_mode", () => upload(png(2), { query: "?edge_mode=diagonal" }), 400, "invalid_edge_mode"],
    ["an invalid background", () => upload(png(2), { query: "?background=red" }), 400, "invalid_background"],
    ["an invalid colors", () => upload(png(2), { query: "?metrics=colors&colors=11" }), 400, "invalid_colors"],
    ["an invalid algorithm", () => upload(png(2), { query: "?algorithm=hsp" }), 400, "invalid_algorithm"],
    ["a crop ratio of 0:1", () => upload(png(2), { query: "?metrics=crop&crop=0:1" }), 400, "invalid_crop"],
    [
      "nine crop ratios",
      () => upload(png(2), { query: "?metrics=crop&crop=1:1,2:1,3:1,4:1,5:1,6:1,7:1,8:1,9:1" }),
      400,
      "invalid_crop",
    ],
    ["an empty file", () => upload(new Uint8Array(0)), 400, "empty_image"],
    [
      "SVG bytes labelled PNG",
      () => upload(text("<svg xmlns='http://www.w3.org/2000/svg'/>")),
      415,
      "unsupported_media_type",
    ],
    ["unknown bytes labelled PNG", () => upload(text("nothing to see")), 400, "invalid_image"],
    [
      "unknown bytes labelled text",
      () => upload(text("nothing"), { type: "text/plain" }),
      415,
      "unsupported_media_type",
    ],
    [
      "no image field",
      () =>
        SELF.fetch("https://api.test/v1/image/analysis", {
          method: "POST",
          body: new FormData(),
          headers: { "X-API-Key": "test-key-edge" },
        }),
      422,
      "validation_error",
    ],
    [
      "a Content-Length over the limit",
      () =>
        SELF.fetch("https://api.test/v1/image/analysis", {
          method: "POST",
          body: new Uint8Array(6 * 1024 * 1024),
          headers: { "X-API-Key": "test-key-edge", "Content-Type": "multipart/form-data; boundary=x" },
        }),
      413,
      "payload_too_large",
    ],
    [
      "a streamed body with no Content-Length over the limit",
      () => {
        const chunk = new Uint8Array(1024 * 1024);
        let sent = 0;
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent++ < 7) controller.enqueue(chunk);
            else controller.close();
          },
        });
        return SELF.fetch("https://api.test/v1/image/analysis", {
          method: "POST",
          body,
          headers: { "X-API-Key": "test-key-edge", "Content-Type": "multipart/form-data; boundary=x" },
        });
      },
      413,
      "payload_too_large",
    ],
  ];

  it.each(cases)("%s → its own 4xx with the container stopped", async (_, send, status, code) => {
    await control("stop");
    try {
      const res = await send();
      const body = (await res.json()) as { detail: { code?: string } | Array<{ code: string }> };
      expect(res.status).toBe(status);
      const detail = Array.isArray(body.detail) ? body.detail[0] : body.detail;
      expect(detail?.code).toBe(code);
    } finally {
      await control("start");
    }
  });
});

describe("authentication", () => {
  const withoutRequestId = async (res: Response) => (await res.text()).replace(/"request_id":"[^"]+"/, "");

  it("gives one byte-identical 401 for a missing, short, long or wrong key", async () => {
    const answers = await Promise.all(
      [null, "x", "k".repeat(5000), "test-key-mai", "test-key-mainx"].map(async (key) => {
        const res = await upload(png(3), { key });
        expect(res.status).toBe(401);
        expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="image-insights-api"');
        return withoutRequestId(res);
      }),
    );
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toBe('{"detail":{"error":"Unauthorized","code":"unauthorized",}}');
  });

  it("accepts a key as X-API-Key or Authorization: Bearer, but never from the query string", async () => {
    expect((await upload(png(3), { key: null, headers: { Authorization: "Bearer test-key-edge" } })).status).toBe(200);
    expect((await upload(png(3), { key: "test-key-edge" })).status).toBe(200);
    expect((await upload(png(3), { key: null, query: "?api_key=test-key-edge" })).status).toBe(401);
  });

  it("fails closed with no keys configured, is open in development and with PUBLIC_API=true", async () => {
    const call = (vars: Record<string, string>) => {
      const form = new FormData();
      form.append("image", new Blob([png(3)], { type: "image/png" }), "a.png");
      const request = new Request("https://api.test/v1/image/analysis", { method: "POST", body: form });
      // The tests' own resolver is plain http, and their private origins are for tests: production refuses both.
      const production = { DNS_RESOLVER_URL: "", ALLOW_PRIVATE_SOURCE_ADDRESSES: "" };
      return worker.fetch(request, { ...env, ...production, ...vars }, createExecutionContext());
    };
    expect((await call({ API_KEYS: "", ENVIRONMENT: "production" })).status).toBe(401);
    expect((await call({ API_KEYS: "", ENVIRONMENT: "test" })).status).toBe(401);
    expect((await call({ API_KEYS: "", ENVIRONMENT: "development" })).status).toBe(200);
    expect((await call({ API_KEYS: "", ENVIRONMENT: "production", PUBLIC_API: "true" })).status).toBe(200);
  });

  it("needs no key for GET /health", async () => {
    expect((await SELF.fetch("https://api.test/health")).status).toBe(200);
  });
});

describe("rate limiting", () => {
  it("answers 429 with Retry-After once a key is over its limit", { timeout: LIMITER_TEST_TIMEOUT_MS }, async () => {
    const [statuses, over] = await inOneLimiterWindow(async () => {
      const sent = await spend("test-key-rate", RATE_LIMIT_IN_TESTS);
      return [sent, await upload(png(4), { key: "test-key-rate" })] as const;
    });
    expect(statuses.every((s) => s === 400)).toBe(true);
    expect(over.status).toBe(429);
    expect(over.headers.get("Retry-After")).toBe("60");
    expect(await over.json()).toMatchObject({ detail: { code: "rate_limited" } });
    // Another key is not affected.
    expect((await upload(png(4), { key: "test-key-edge", query: "?metrics=x" })).status).toBe(400);
  });
});

describe("the result cache", () => {
  afterEach(() => control("start"));

  it("answers the second identical upload from KV, with a fresh processing time and the same ETag", async () => {
    const first = await upload(png(10), { key: "test-key-cache", query: "?metrics=median,brightness" });
    const firstBody = (await first.json()) as Record<string, unknown>;
    expect(firstBody.cached).toBe(false);
    await storedResult(env.RESULTS, await resultKeyOf(png(10), "metrics=median,brightness", "test-key-cache"));
    const second = await upload(png(10), { key: "test-key-cache", query: "?metrics=brightness,MEDIAN" });
    const secondBody = (await second.json()) as Record<string, unknown>;
    expect(secondBody.cached).toBe(true);
    expect({ ...secondBody, cached: false, processing_time_ms: 0 }).toEqual({ ...firstBody, processing_time_ms: 0 });
    expect(second.headers.get("ETag")).toBe(first.headers.get("ETag"));
    expect(second.headers.get("ETag")).toMatch(/^W\/"[0-9a-f]{32}"$/);
    expect(second.headers.get("Server-Timing")).toMatch(/cache;desc="hit"/);
  });

  it("misses for other metrics or other bytes", async () => {
    await upload(png(11), { key: "test-key-cache" });
    expect(
      (
        (await (await upload(png(11), { key: "test-key-cache", query: "?metrics=histogram" })).json()) as {
          cached: boolean;
        }
      ).cached,
    ).toBe(false);
    expect(((await (await upload(png(12), { key: "test-key-cache" })).json()) as { cached: boolean }).cached).toBe(
      false,
    );
  });

  it("serves a hit with the container process stopped", async () => {
    await upload(png(13), { key: "test-key-cache" });
    await storedResult(env.RESULTS, await resultKeyOf(png(13), "", "test-key-cache"));
    await control("stop");
    const res = await upload(png(13), { key: "test-key-cache" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ cached: true, width: 16, height: 12 });
  });

  it("stores only the numbers, under hashed keys", async () => {
    const res = await upload(png(14), { key: "test-key-cache" });
    expect(res.status).toBe(200);
    // This upload's own key (its bytes, default parameters, its API key's partition), waited for: the store
    // runs after the response.
    const key = await resultKeyOf(png(14), "", "test-key-cache");
    expect(key).toMatch(/^result:[0-9a-f]{64}$/);
    const value = await storedResult(env.RESULTS, key);
    expect(value.length).toBeLessThan(2_000);
    const stored = JSON.parse(value) as Record<string, unknown>;
    expect(stored).toMatchObject({ width: 16, height: 12 });
    expect(Object.keys(stored)).not.toContain("processing_time_ms");
    expect(Object.keys(stored)).not.toContain("cached");
    // And so is every other result in KV: under a hash, the numbers only.
    const { keys } = await env.RESULTS.list();
    expect(keys.map(({ name }) => name)).toContain(key);
    for (const { name } of keys) {
      expect(name).toMatch(/^result:[0-9a-f]{64}$/);
      const other = (await env.RESULTS.get(name)) as string;
      expect(other.length).toBeLessThan(2_000);
      expect(Object.keys(JSON.parse(other))).not.toContain("processing_time_ms");
    }
  });
});

describe("identical uploads arriving together", () => {
  it("cause one container analysis, and all get its result", async () => {
    const before = await containerCounters();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => upload(png(15), { key: "test-key-cache", query: "?metrics=histogram" })),
    );
    const bodies = await Promise.all(answers.map((r) => r.json() as Promise<Record<string, unknown>>));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
    for (const body of bodies) expect(body.histogram).toEqual(bodies[0]?.histogram);
    const after = await containerCounters();
    expect(after.analyses_total - before.analyses_total).toBe(1);
  });
});

describe("spreading load over instances", () => {
  it("uses at least 3 of 4 instances for 60 distinct images", async () => {
    const names = ["analyzer-0", "analyzer-1", "analyzer-2", "analyzer-3"];
    const expectedIndex = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => Number.parseInt((await sha256Hex(png(40 + i))).slice(0, 8), 16) % 4),
    );
    for (let i = 0; i < 60; i++) expect((await upload(png(40 + i), { key: "test-key-spread" })).status).toBe(200);
    const ids = (await listDurableObjectIds(env.ANALYZER)).map((id) => id.toString());
    const used = names.filter((name) => ids.includes(env.ANALYZER.idFromName(name).toString()));
    expect(used.length).toBeGreaterThanOrEqual(3);
    expect(new Set(expectedIndex).size).toBeGreaterThanOrEqual(3);
  });
});

describe("a container that hangs", () => {
  it("is cut off at CONTAINER_DEADLINE_MS with 504 JSON, Retry-After and the request ID", async () => {
    await control("pause");
    try {
      const startedAt = Date.now();
      const res = await upload(png(16), { headers: { "X-Request-Id": "hang-1" } });
      expect(res.status).toBe(504);
      expect(Date.now() - startedAt).toBeLessThan(6_000);
      expect(res.headers.get("Retry-After")).toBe("5");
      expect(await res.json()).toMatchObject({ detail: { code: "container_timeout", request_id: "hang-1" } });
    } finally {
      await control("resume");
    }
  });
});

describe("what every caller sees", () => {
  it("Server-Timing names the edge, the container, and the container's decode and analysis", async () => {
    const res = await upload(png(17));
    expect(res.headers.get("Server-Timing")).toMatch(
      /^edge;dur=[\d.]+, container;dur=[\d.]+, decode;dur=[\d.]+, analyse;dur=[\d.]+$/,
    );
  });

  it("CORS allows any origin without credentials, with the key headers", async () => {
    const res = await SELF.fetch("https://api.test/v1/image/analysis", {
      method: "OPTIONS",
      headers: {
        Origin: "https://example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-api-key, content-type",
      },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(res.headers.get("Access-Control-Allow-Headers")).toMatch(/X-API-Key/i);
    expect(res.headers.get("Access-Control-Allow-Credentials")).toBeNull();
  });

  it("CORS follows an allow-list when CORS_ALLOW_ORIGINS names origins", async () => {
    const preflight = (origin: string) =>
      worker.fetch(
        new Request("https://api.test/v1/image/analysis", {
          method: "OPTIONS",
          headers: { Origin: origin, "Access-Control-Request-Method": "POST" },
        }),
        { ...env, CORS_ALLOW_ORIGINS: "https://app.example, https://admin.example" },
        createExecutionContext(),
      );
    expect((await preflight("https://app.example")).headers.get("Access-Control-Allow-Origin")).toBe(
      "https://app.example",
    );
    expect((await preflight("https://evil.example")).headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("carries security headers and no framework names", async () => {
    for (const res of [await SELF.fetch("https://api.test/health"), await upload(png(2), { key: null })]) {
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
      expect(res.headers.get("Server")).toBeNull();
      expect(res.headers.get("X-Powered-By")).toBeNull();
    }
  });
});

describe("health and warm-up", () => {
  const deep = (key: string | null = "test-key-health") =>
    SELF.fetch("https://api.test/health?deep=1", { headers: key ? { "X-API-Key": key } : {} });

  it("GET /health?deep=1 reports each instance without starting a stopped one", async () => {
    const res = await deep();
    const body = (await res.json()) as { version: string; instances: Array<{ name: string; state: string }> };
    expect(body.version).toBe("2.0.0");
    expect(body.instances.map((i) => i.name)).toEqual(["analyzer-0", "analyzer-1", "analyzer-2", "analyzer-3"]);
    for (const instance of body.instances) expect(["stopped", "healthy"]).toContain(instance.state);
  });

  it("deep=1 needs a key (it fans out to every instance); plain /health and / stay open", async () => {
    const res = await deep(null);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ detail: { code: "unauthorized" } });
    for (const path of ["/health", "/"]) {
      const open = await SELF.fetch(`https://api.test${path}`);
      expect(open.status).toBe(200);
      expect(await open.json()).toEqual({ status: "healthy", service: "image-insights-api", version: "2.0.0" });
    }
  });

  it("deep=1 counts against the key's rate limit like the API", { timeout: LIMITER_TEST_TIMEOUT_MS }, async () => {
    // The last request the key may make in this window is a deep=1, which passes; the next deep=1 is over. Were
    // deep=1 not counted, or not checked, the second would pass too.
    const [spent, last, over] = await inOneLimiterWindow(async () => {
      const sent = await spend("test-key-health-limit", RATE_LIMIT_IN_TESTS - 1);
      return [sent, await deep("test-key-health-limit"), await deep("test-key-health-limit")] as const;
    });
    expect(spent.every((s) => s === 400)).toBe(true);
    expect(last.status).toBe(200);
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ detail: { code: "rate_limited" } });
  });

  it("the warm-up cron starts every instance's container", async () => {
    await worker.scheduled(createScheduledController(), env);
    const res = await deep();
    const body = (await res.json()) as { instances: Array<{ state: string; latency_ms: number }> };
    for (const instance of body.instances) {
      expect(instance.state).toBe("healthy");
      expect(instance.latency_ms).toBeGreaterThanOrEqual(0);
    }
  });
});

describe("methods", () => {
  it("answers a wrong method on an API path 405 with Allow", async () => {
    const res = await SELF.fetch("https://api.test/v1/image/analysis", { headers: { "X-API-Key": "test-key-main" } });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("OPTIONS, POST");
    expect(await res.json()).toMatchObject({
      detail: { code: "method_not_allowed", allowed_methods: ["OPTIONS", "POST"] },
    });
    const del = await SELF.fetch("https://api.test/health", { method: "DELETE" });
    expect(del.status).toBe(405);
    expect(del.headers.get("Allow")).toBe("GET, HEAD, OPTIONS");
  });
});

describe("a rate limiter that fails", () => {
  it("lets the request through (fails open) and logs a warning", async () => {
    const warnings: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => {
      if (String(line).includes("rate limiter failed")) warnings.push(String(line));
    });
    try {
      const broken = {
        limit: async () => {
          throw new Error("rate limiting service unavailable");
        },
      };
      const form = new FormData();
      form.append("image", new Blob([GREY_PNG], { type: "image/png" }), "grey.png");
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request("https://api.test/v1/image/analysis", {
          method: "POST",
          body: form,
          headers: { "X-API-Key": "test-key-main" },
        }),
        { ...env, RATE_LIMITER: broken },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ brightness_score: 50 });
    } finally {
      spy.mockRestore();
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("rate limiting service unavailable");
  });
});
