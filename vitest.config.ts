import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { RATE_LIMIT_IN_TESTS } from "./worker/test/rate-limit.ts";

/** API keys the Worker tests may use (the 401 tests use others). */
export const TEST_API_KEYS = [
  "test-key-main",
  "test-key-edge",
  "test-key-rate",
  "test-key-cache",
  "test-key-spread",
  "test-key-health",
  "test-key-health-limit",
  "test-key-tenant-b",
  // Batch jobs' tenants (worker/test/jobs/tenants.test.ts): one floods the queue, one submits a small job, one
  // meets its budget of open items.
  "test-key-flood",
  "test-key-small",
  "test-key-budget",
  // A named key with two secrets: one tenant, as during a rotation (worker/test/keys.test.ts).
  "test-tenant-a:test-secret-a1",
  "test-tenant-a:test-secret-a2",
];
/** The Worker tests' webhook secret: `whsec_` and the base64 of 32 bytes. */
export const TEST_WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** A Worker test project in workerd, in front of a real container process started by the global setup. */
function workerProject(
  name: string,
  files: { include: string[]; exclude?: string[] },
  localUrl: (containerUrl: string) => string = (url) => url,
  vars: Record<string, string> = {},
) {
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            ENVIRONMENT: "test",
            API_KEYS: TEST_API_KEYS.join(","),
            LOCAL_CONTAINER_URL: localUrl(inject("containerUrl")),
            // The deadline must outlast a cold start (config.ts checks it): 2 s to start, 4 s in all.
            CONTAINER_START_TIMEOUT_MS: "2000",
            CONTAINER_DEADLINE_MS: "4000",
            CONTAINER_INSTANCES: "4",
            // The loopback fixture server (and the control server's webhook receiver) are the private origins
            // these tests may fetch from.
            ALLOW_PRIVATE_SOURCE_ADDRESSES: `${inject("sourceUrl")},${inject("controlUrl")}`,
            // Jobs: a test signing secret (Standard Webhooks form), quick webhook retries.
            WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
            WEBHOOK_RETRY_BASE_S: "1",
            DNS_RESOLVER_URL: `${inject("sourceUrl")}/dns-query`,
            URL_FETCH_TIMEOUT_MS: "2000",
            ...vars,
          },
          // A small limit so the 429 is reachable in a test; tests use distinct keys to stay under it.
          ratelimits: { RATE_LIMITER: { namespace_id: "1001", simple: { limit: RATE_LIMIT_IN_TESTS, period: 60 } } },
        },
      })),
    ],
    test: {
      name,
      ...files,
      globalSetup: ["worker/test/global-setup.ts"],
      // One container process serves every test of a project: files run one after another so that counters
      // and stop/start of that process do not cross.
      fileParallelism: false,
      testTimeout: 30_000,
    },
  };
}

/** What `npm test` runs: every test, once. */
const everyProject = [
  {
    test: {
      name: "node",
      include: ["container/**/*.test.ts", "contract/**/*.test.ts", "scripts/**/*.test.ts", "packages/**/*.test.ts"],
      environment: "node",
      testTimeout: 30_000,
    },
  },
  workerProject(
    "worker",
    { include: ["worker/**/*.test.ts"], exclude: ["worker/test/faults/**", "worker/test/chaos/**"] },
    undefined,
    // A budget of open items a test can reach (the default is 10,000; the other jobs tests hold at most 160).
    { JOB_MAX_OPEN_ITEMS_PER_KEY: "300" },
  ),
  // A second Worker whose instance analyzer-2 can never start (its container URL is a closed port), and
  // whose containers sleep after 2 s: the retry on another instance and sleeping are tested against it.
  workerProject(
    "worker-faults",
    { include: ["worker/test/faults/**/*.test.ts"] },
    (url) => `${url},analyzer-2=http://127.0.0.1:9`,
    { CONTAINER_SLEEP_AFTER: "2s" },
  ),
  // A third whose job consumer fails a fifth of first deliveries on purpose, for the job that must lose and
  // double nothing while its container process is killed (worker/test/chaos/).
  workerProject("worker-chaos", { include: ["worker/test/chaos/**/*.test.ts"] }, undefined, {
    JOB_FAULT_RATE: "0.2",
  }),
];

/**
 * `npm run test:unit` (`vitest run --mode unit`): the loop worth running often. The Node tests of the contract,
 * the container's engine and the client package that start nothing (no container process, local stack, browser,
 * wrangler or workerd) and take seconds. Each of them runs in `npm test` too, in the node project.
 */
const unitProject = {
  test: {
    name: "unit",
    include: ["contract/**/*.test.ts", "container/**/*.test.ts", "packages/**/*.test.ts"],
    // These start a container process, or the whole local stack.
    exclude: [
      "container/test/backpressure.test.ts",
      "container/test/server.test.ts",
      "container/test/timeout.test.ts",
      "packages/client/src/cli.test.ts",
    ],
    environment: "node",
    testTimeout: 30_000,
    // One module registry per worker rather than one per file: sharp and the engine are imported once, which
    // halves the run's CPU (45 s → 28 s measured). Safe here: these tests mock and stub nothing.
    isolate: false,
  },
};

/** Tests too slow for the unit loop, by name: they run in `npm test` only. */
const SLOW_TESTS = [
  // Decodes a 16-megapixel JPEG 24 times (golden-v2.test.ts): about 30 s of CPU, more than the rest together.
  "dominant colours on the 24 photos of the quality claim",
  // 2,000 mutated images through the engine (fuzz.test.ts).
  "mutation fuzz answers 2000 mutants",
  // Compiles the AssemblyScript passes to compare them with the committed passes.wasm (wasm.test.ts).
  "passes.wasm is what container/wasm/passes.ts compiles to",
];
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export default defineConfig(({ mode }) => ({
  test: {
    // Log lines of passing tests are noise; a failing test shows its own.
    silent: "passed-only",
    ...(mode === "unit"
      ? {
          projects: [unitProject],
          testNamePattern: new RegExp(`^(?!.*(?:${SLOW_TESTS.map(escapeRegExp).join("|")}))`),
          // Every core: these tests only compute (vitest's default leaves one core idle).
          maxWorkers: "100%",
        }
      : { projects: everyProject }),
  },
}));
