import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { settingsNotices, settingsProblems } from "./check-deploy.ts";

const WRANGLER_TOML = readFileSync("wrangler.toml", "utf8");
/** wrangler.toml with one `[vars]` line replaced (or added). */
const withVar = (name: string, value: string) =>
  WRANGLER_TOML.replace(new RegExp(`^${name} = .*$`, "m"), "").replace("[vars]", `[vars]\n${name} = "${value}"`);

describe("npm run check:deploy's settings check", () => {
  it("passes the project's own wrangler.toml", () => {
    expect(settingsProblems(WRANGLER_TOML)).toEqual([]);
  });

  it.each([
    ["MAX_UPLOAD_BYTES", "1e3", /\[vars\]: Expected an integer of at least 1 for MAX_UPLOAD_BYTES but received 1e3/],
    ["CONTAINER_INSTANCES", "5", /at most 4 \(max_instances in wrangler.toml\)/],
    ["RATE_LIMIT_PERIOD_S", "30", /Expected one of 10, 60 for RATE_LIMIT_PERIOD_S/],
    ["RATE_LIMIT_PERIOD_S", "10", /RATE_LIMIT_PERIOD_S is 10 but \[\[ratelimits\]\] RATE_LIMITER has period = 60/],
    ["CONTAINER_SLEEP_AFTER", "5s", /Expected CONTAINER_SLEEP_AFTER of at least CONTAINER_START_TIMEOUT_MS/],
    ["RESULT_CACHE_SCOPE", "everyone", /Expected one of key, shared for RESULT_CACHE_SCOPE/],
    ["PUBLIC_API", "yes", /Expected true or false for PUBLIC_API/],
    // A test-only setting that turns the SSRF checks off for an origin: never in production (the file's ENVIRONMENT).
    [
      "ALLOW_PRIVATE_SOURCE_ADDRESSES",
      "http://10.0.0.5:8080",
      /\[vars\]: Expected false \(or nothing\) in production for ALLOW_PRIVATE_SOURCE_ADDRESSES, a setting for tests that turns the SSRF checks off for an origin, but received http:\/\/10.0.0.5:8080/,
    ],
  ])("refuses %s = %s, as the Worker would", (name, value, message) => {
    const problems = settingsProblems(withVar(name, value));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it("takes ALLOW_PRIVATE_SOURCE_ADDRESSES = false, and private origins only where ENVIRONMENT is not production", () => {
    expect(settingsProblems(withVar("ALLOW_PRIVATE_SOURCE_ADDRESSES", "false"))).toEqual([]);
    const staging = `${WRANGLER_TOML}\n[env.staging.vars]\nENVIRONMENT = "test"\nALLOW_PRIVATE_SOURCE_ADDRESSES = "http://10.0.0.5:8080"\n`;
    expect(settingsProblems(staging)).toEqual([]);
    // ENVIRONMENT unset is production too.
    const unset = `${WRANGLER_TOML}\n[env.staging.vars]\nALLOW_PRIVATE_SOURCE_ADDRESSES = "http://10.0.0.5:8080"\n`;
    expect(settingsProblems(unset)).toEqual([
      "[env.staging.vars]: Expected false (or nothing) in production for ALLOW_PRIVATE_SOURCE_ADDRESSES, a setting for tests that turns the SSRF checks off for an origin, but received http://10.0.0.5:8080",
    ]);
  });

  it("checks every [env.*] table and max_instances against the code", () => {
    const staging = `${WRANGLER_TOML}\n[env.staging.vars]\nCONTAINER_INSTANCES = "0x2"\n`;
    expect(settingsProblems(staging)).toEqual([
      "[env.staging.vars]: Expected an integer of at least 1 for CONTAINER_INSTANCES but received 0x2",
    ]);
    const more = WRANGLER_TOML.replace("max_instances = 4", "max_instances = 8");
    expect(settingsProblems(more)[0]).toMatch(
      /max_instances is 8 but worker\/src\/config.ts MAX_CONTAINER_INSTANCES is 4/,
    );
  });
});

describe("npm run check:deploy's notices", () => {
  it("says that a closed API needs the API_KEYS secret, which it cannot see, and what /health says until then", () => {
    expect(settingsNotices(WRANGLER_TOML)).toEqual([
      '[vars]: PUBLIC_API is not "true", so the Worker needs API keys, a secret this check cannot see: until `npx wrangler secret put API_KEYS` has set them it answers every API call 401, and GET /health 503 unhealthy',
    ]);
  });

  it("names the env's own command, and says nothing of a public API or one in development", () => {
    const staging = `${WRANGLER_TOML}\n[env.staging.vars]\nPUBLIC_API = "false"\n`;
    expect(settingsNotices(staging)[1]).toMatch(
      /^\[env\.staging\.vars\]: .*`npx wrangler secret put API_KEYS --env staging`/,
    );
    expect(settingsNotices(withVar("PUBLIC_API", "true"))).toEqual([]);
    expect(settingsNotices(withVar("ENVIRONMENT", "development"))).toEqual([]);
    // Not a problem: the secret may be set already.
    expect(settingsProblems(WRANGLER_TOML)).toEqual([]);
  });
});
