import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { durationMs } from "../../contract/config.ts";
import { loadConfig } from "./config.ts";
import type { Env } from "./env.ts";

const with_ = (vars: Partial<Record<keyof Env, string>>) => loadConfig({ ...env, ...vars } as Env);

describe("loadConfig", () => {
  it("reads wrangler.toml's defaults and the test overrides", () => {
    const config = with_({});
    expect(config.containerInstances).toBe(4);
    expect(config.maxUploadBytes).toBe(5 * 1024 * 1024);
    expect(config.apiKeys.length).toBeGreaterThan(1);
  });

  it.each([
    [
      { CONTAINER_SLEEP_AFTER: "soon" },
      /Expected a duration like 30s, 5m or 1h for CONTAINER_SLEEP_AFTER but received soon/,
    ],
    [{ MAX_UPLOAD_BYTES: "-1" }, /Expected an integer of at least 1 for MAX_UPLOAD_BYTES but received -1/],
    [{ RESULT_TTL_S: "30" }, /at least 60 for RESULT_TTL_S/],
    [{ PUBLIC_API: "yes" }, /Expected true or false for PUBLIC_API but received yes/],
    [
      { CONTAINER_DEADLINE_MS: "1000", CONTAINER_START_TIMEOUT_MS: "2000" },
      /Expected CONTAINER_DEADLINE_MS above CONTAINER_START_TIMEOUT_MS/,
    ],
    [{ ALLOW_PRIVATE_SOURCE_ADDRESSES: "true" }, /Expected false or origins like http:\/\/127.0.0.1:9000/],
    [
      { DNS_RESOLVER_URL: "http://dns.example/q", ENVIRONMENT: "production" },
      /Expected an https URL for DNS_RESOLVER_URL/,
    ],
    // ENVIRONMENT unset is production everywhere, the resolver's https rule included.
    [{ DNS_RESOLVER_URL: "http://dns.example/q", ENVIRONMENT: "" }, /Expected an https URL for DNS_RESOLVER_URL/],
    [{ CONTAINER_INSTANCES: "5" }, /Expected CONTAINER_INSTANCES of at most 4 \(max_instances in wrangler.toml\)/],
    [{ RATE_LIMIT_PERIOD_S: "30" }, /Expected one of 10, 60 for RATE_LIMIT_PERIOD_S but received 30/],
    [{ MAX_UPLOAD_BYTES: "1e3" }, /Expected an integer of at least 1 for MAX_UPLOAD_BYTES but received 1e3/],
    [{ CONTAINER_INSTANCES: "0x2" }, /Expected an integer of at least 1 for CONTAINER_INSTANCES but received 0x2/],
    [{ RESULT_TTL_S: " 600" }, /Expected an integer of at least 60 for RESULT_TTL_S/],
    [{ CONTAINER_SLEEP_AFTER: "0s" }, /Expected a duration like 30s, 5m or 1h for CONTAINER_SLEEP_AFTER/],
    [
      { CONTAINER_SLEEP_AFTER: "1s", CONTAINER_START_TIMEOUT_MS: "2000" },
      /Expected CONTAINER_SLEEP_AFTER of at least CONTAINER_START_TIMEOUT_MS \(2000 ms\) but received 1s/,
    ],
    [{ RESULT_CACHE_SCOPE: "tenant" }, /Expected one of key, shared for RESULT_CACHE_SCOPE but received tenant/],
    [{ URL_ALLOWED_PORTS: "443,99999" }, /Expected port numbers from 1 to 65535 for URL_ALLOWED_PORTS/],
    // Test-only settings in production (ENVIRONMENT unset is production).
    [
      { ALLOW_PRIVATE_SOURCE_ADDRESSES: "http://127.0.0.1:9000", ENVIRONMENT: "production", DNS_RESOLVER_URL: "" },
      /Expected false \(or nothing\) in production for ALLOW_PRIVATE_SOURCE_ADDRESSES, a setting for tests that turns the SSRF checks off for an origin, but received http:\/\/127.0.0.1:9000/,
    ],
    [
      { ALLOW_PRIVATE_SOURCE_ADDRESSES: "http://10.0.0.5:80", ENVIRONMENT: "", DNS_RESOLVER_URL: "" },
      /in production for ALLOW_PRIVATE_SOURCE_ADDRESSES/,
    ],
  ])("refuses %j with a message that says what is expected", (vars, message) => {
    expect(() => with_(vars)).toThrow(message);
  });

  it("reads the defaults: key-scoped cache, ports 80 and 443, production", () => {
    const config = loadConfig({
      ...env,
      ENVIRONMENT: undefined,
      RESULT_CACHE_SCOPE: undefined,
      DNS_RESOLVER_URL: undefined,
      // The tests' private origins are refused in production.
      ALLOW_PRIVATE_SOURCE_ADDRESSES: undefined,
    } as Env);
    expect(config.environment).toBe("production");
    expect(config.resultCacheScope).toBe("key");
    expect(config.urlAllowedPorts).toEqual([80, 443]);
    expect(durationMs("90s")).toBe(90_000);
    expect(durationMs("2h")).toBe(7_200_000);
  });

  it("takes private origins outside production only, and false or nothing in production", () => {
    const origins = "http://127.0.0.1:9000,http://10.0.0.5:8080";
    expect(with_({ ALLOW_PRIVATE_SOURCE_ADDRESSES: origins, ENVIRONMENT: "test" }).allowedPrivateOrigins).toEqual([
      "http://127.0.0.1:9000",
      "http://10.0.0.5:8080",
    ]);
    expect(
      with_({ ALLOW_PRIVATE_SOURCE_ADDRESSES: origins, ENVIRONMENT: "development" }).allowedPrivateOrigins,
    ).toHaveLength(2);
    for (const off of ["", "false", " FALSE "]) {
      const config = with_({ ALLOW_PRIVATE_SOURCE_ADDRESSES: off, ENVIRONMENT: "production", DNS_RESOLVER_URL: "" });
      expect(config.allowedPrivateOrigins, off).toEqual([]);
    }
  });
});

describe("a Worker with a bad setting", () => {
  const misconfigured = { ...env, MAX_UPLOAD_BYTES: "lots" } as Env;
  const call = async (path: string, init?: RequestInit) => {
    const worker = (await import("./index.ts")).default;
    return worker.fetch(new Request(`https://api.test${path}`, init), misconfigured, createExecutionContext());
  };

  it("answers health checks 503 unhealthy, with the headers every answer carries", async () => {
    for (const path of ["/health", "/"]) {
      const res = await call(path, { headers: { Origin: "https://app.example" } });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: "unhealthy", service: "image-insights-api", version: "2.0.0" });
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
      expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("answers the API 503 misconfigured with Retry-After, never naming the variable", async () => {
    const res = await call("/v1/image/analysis", { method: "POST", headers: { "X-API-Key": "test-key-main" } });
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("300");
    expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ detail: { code: "misconfigured", retry_after_seconds: 300 } });
    expect(text).not.toMatch(/MAX_UPLOAD_BYTES|lots|Expected/);
  });

  it("is parsed and logged once, however many requests come", async () => {
    const errors: unknown[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line: unknown) => {
      if (String(line).includes("invalid configuration")) errors.push(line);
    });
    try {
      const env2 = { ...env, RATE_LIMIT_PERIOD_S: "30" } as Env;
      const worker = (await import("./index.ts")).default;
      for (let i = 0; i < 3; i++) {
        await worker.fetch(new Request("https://api.test/health"), env2, createExecutionContext());
      }
    } finally {
      spy.mockRestore();
    }
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain("RATE_LIMIT_PERIOD_S");
  });
});
