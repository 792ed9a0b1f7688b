import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

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
                LOCAL_CONTAINER_URL: inject("containerUrl"),
                CONTAINER_START_TIMEOUT_MS: "3000",
              },
            },
          })),
        ],
        test: {
          name: "worker",
          include: ["worker/**/*.test.ts"],
          globalSetup: ["worker/test/global-setup.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
