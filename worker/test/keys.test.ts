/**
 * Who may do what, end to end in workerd: named API keys (one tenant per id, so a rotation keeps its jobs), an
 * open API's clients by address (an IPv6 client's /64), and a Worker that no key can call saying so on /health.
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { JobSchema } from "../../contract/jobs.ts";
import { HealthResponseSchema } from "../../contract/schemas.ts";
import worker from "../src/index.ts";
import { RATE_LIMIT_IN_TESTS } from "./rate-limit.ts";

/** The named test key of vitest.config.ts: one id, two secrets. */
const TENANT_A = { id: "test-tenant-a", first: "test-secret-a1", second: "test-secret-a2" };
const source = (path: string) => `${inject("sourceUrl")}${path}`;
/** The rate limiter's window in the tests (vitest.config.ts: `period: 60`), in milliseconds. */
const LIMITER_WINDOW_MS = 60_000;
/** How much of a window a burst of RATE_LIMIT_IN_TESTS direct calls starts with at least, in milliseconds. */
const LIMITER_MARGIN_MS = 15_000;

/** One request to the Worker with these settings over the tests' own (a new env object is parsed anew). */
async function call(path: string, init: RequestInit, vars: Record<string, string> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://api.test${path}`, init), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("a named API key", () => {
  it("is one tenant across its secrets, and keeps its jobs when the first secret is retired", async () => {
    const created = await SELF.fetch("https://api.test/v1/jobs", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-API-Key": TENANT_A.first },
      body: JSON.stringify({ items: [{ url: source("/image.png") }], metrics: "brightness" }),
    });
    expect(created.status).toBe(202);
    const { job_id } = JobSchema.parse(await created.json());

    // During the rotation both secrets are configured: the second sees the job, and lists it.
    const bySecond = await SELF.fetch(`https://api.test/v1/jobs/${job_id}`, {
      headers: { Authorization: `Bearer ${TENANT_A.second}` },
    });
    expect(bySecond.status).toBe(200);
    expect(JobSchema.parse(await bySecond.json()).job_id).toBe(job_id);
    const listed = await SELF.fetch("https://api.test/v1/jobs", { headers: { "X-API-Key": TENANT_A.second } });
    expect(((await listed.json()) as { jobs: Array<{ job_id: string }> }).jobs.map((j) => j.job_id)).toContain(job_id);
    // Another key's tenant does not.
    const other = await SELF.fetch(`https://api.test/v1/jobs/${job_id}`, { headers: { "X-API-Key": "test-key-main" } });
    expect(other.status).toBe(404);

    // After it: only the second secret is configured. The job is still the tenant's; the first secret is refused.
    const rotated = { API_KEYS: `${TENANT_A.id}:${TENANT_A.second},test-key-main` };
    const after = await call(`/v1/jobs/${job_id}`, { headers: { "X-API-Key": TENANT_A.second } }, rotated);
    expect(after.status).toBe(200);
    expect(JobSchema.parse(await after.json()).job_id).toBe(job_id);
    const retired = await call(`/v1/jobs/${job_id}`, { headers: { "X-API-Key": TENANT_A.first } }, rotated);
    expect(retired.status).toBe(401);
  });

  it("is sent as its secret alone: the entry as written in API_KEYS is no key", async () => {
    const res = await SELF.fetch("https://api.test/v1/jobs", {
      headers: { "X-API-Key": `${TENANT_A.id}:${TENANT_A.first}` },
    });
    expect(res.status).toBe(401);
  });
});

describe("an open API (PUBLIC_API=true)", () => {
  const open = { PUBLIC_API: "true" };
  /** The cheapest request the limiter counts: an upload whose query the Worker refuses (400) after it. */
  const countedFrom = async (ip: string) => {
    const form = new FormData();
    form.append("image", new Blob([new Uint8Array(8)], { type: "image/png" }), "a.png");
    const res = await call(
      "/v1/image/analysis?metrics=x",
      { method: "POST", body: form, headers: { "CF-Connecting-IP": ip } },
      open,
    );
    await res.body?.cancel();
    return res.status;
  };
  /**
   * Spends a client's whole minute from `first`, then answers what one more request from each of `then` gets. The
   * limiter counts in windows aligned to the clock: the burst (direct handler calls, well under a millisecond
   * each) starts with at least LIMITER_MARGIN_MS of its window left.
   */
  const afterSpending = async (first: string, then: string[]) => {
    const msLeft = LIMITER_WINDOW_MS - (Date.now() % LIMITER_WINDOW_MS);
    if (msLeft < LIMITER_MARGIN_MS) await new Promise((resolve) => setTimeout(resolve, msLeft + 100));
    const spent = [];
    for (let i = 0; i < RATE_LIMIT_IN_TESTS; i++) spent.push(await countedFrom(first));
    expect(new Set(spent)).toEqual(new Set([400]));
    const answers: Record<string, number> = {};
    for (const ip of then) answers[ip] = await countedFrom(ip);
    return answers;
  };
  /** A /64 of the documentation prefix no other run of this file has used this minute. */
  const fresh64 = () =>
    `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}`;

  it("counts every address of one IPv6 /64 as one client, and the neighbouring /64 as another", async () => {
    const net = fresh64();
    const [, , third, fourth] = net.split(":") as [string, string, string, string];
    const next = `2001:db8:${third}:${(Number.parseInt(fourth, 16) + 1).toString(16)}::1`;
    const spelled = `2001:0DB8:${third.padStart(4, "0").toUpperCase()}:${fourth.padStart(4, "0")}:ffff:0:0:2`;
    expect(await afterSpending(`${net}::1`, [spelled, `${net}:1234:5678:9abc:def0`, next])).toEqual({
      [spelled]: 429,
      [`${net}:1234:5678:9abc:def0`]: 429,
      [next]: 400,
    });
  });

  it("counts an IPv4-mapped IPv6 address as its IPv4 client", async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
    const neighbour = ip.replace(/\d+$/, (n) => String(Number(n) + 1));
    expect(await afterSpending(ip, [`::ffff:${ip}`, neighbour])).toEqual({ [`::ffff:${ip}`]: 429, [neighbour]: 400 });
  });
});

describe("a Worker that no key can call", () => {
  // Production's own settings: the tests' plain-http resolver and private origins are refused there.
  const production = { ENVIRONMENT: "production", DNS_RESOLVER_URL: "", ALLOW_PRIVATE_SOURCE_ADDRESSES: "" };

  it("answers its health checks 503 unhealthy, with a reason an operator can act on", async () => {
    for (const path of ["/health", "/", "/health?deep=1"]) {
      const res = await call(path, {}, { ...production, API_KEYS: "" });
      expect(res.status, path).toBe(503);
      const body = HealthResponseSchema.parse(await res.json());
      expect(body).toMatchObject({ status: "unhealthy", service: "image-insights-api" });
      expect(body.reason, path).toContain("No API key is configured");
      expect(body.reason, path).toContain("npx wrangler secret put API_KEYS");
    }
  });

  it("keeps answering the API 401, as with a wrong key", async () => {
    const res = await call("/v1/jobs", { headers: { "X-API-Key": "test-key-main" } }, { ...production, API_KEYS: "" });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ detail: { code: "unauthorized" } });
  });

  it.each([
    ["with a key", { API_KEYS: "k1" }],
    ["with a named key", { API_KEYS: "acme:k1" }],
    ["public", { API_KEYS: "", PUBLIC_API: "true" }],
    ["in development, open without keys", { API_KEYS: "", ENVIRONMENT: "development" }],
  ])("is healthy %s", async (_, vars) => {
    const res = await call("/health", {}, { ...production, ...vars });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "healthy", service: "image-insights-api", version: "2.0.0" });
  });
});
