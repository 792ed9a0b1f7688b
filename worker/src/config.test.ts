import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type Env, loadConfig } from "./config.ts";

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
  ])("refuses %j with a message that says what is expected", (vars, message) => {
    expect(() => with_(vars)).toThrow(message);
  });

  it("refuses to start at all rather than serve with a bad setting: every request is a 500 that says nothing", async () => {
    const worker = (await import("./index.ts")).default;
    const res = await worker.fetch(new Request("https://api.test/health"), { ...env, MAX_UPLOAD_BYTES: "lots" } as Env);
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ detail: { error: "Internal server error", code: "internal_error" } });
  });
});
