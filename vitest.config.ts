import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/** API keys the Worker tests may use (the 401 tests use others). */
export const TEST_API_KEYS = ["test-key-main", "test-key-edge", "test-key-rate", "test-key-cache", "test-key-spread"];
/** Requests per minute per key in the Worker tests. */
export const RATE_LIMIT_IN_TESTS = 100;

export default defineConfig({
  test: {
    // Log lines of passing tests are noise; a failing test shows its own.
    silent: "passed-only",
    projects: [
      {
        test: {
          name: "container",
          include: ["container/**/*.test.ts", "contract/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ENVIRONMENT: "test",
                API_KEYS: TEST_API_KEYS.join(","),
                LOCAL_CONTAINER_URL: inject("containerUrl"),
                CONTAINER_START_TIMEOUT_MS: "3000",
                CONTAINER_DEADLINE_MS: "3000",
                CONTAINER_INSTANCES: "4",
              },
              // A small limit so the 429 is reachable in a test; tests use distinct keys to stay under it.
              ratelimits: { RATE_LIMITER: { simple: { limit: RATE_LIMIT_IN_TESTS, period: 60 } } },
            },
          })),
        ],
        test: {
          name: "worker",
          include: ["worker/**/*.test.ts"],
          globalSetup: ["worker/test/global-setup.ts"],
          // One container process serves every Worker test: files run one after another so that counters
          // and stop/start of that process do not cross.
          fileParallelism: false,
          testTimeout: 30_000,
        },
      },
    ],
  },
});
