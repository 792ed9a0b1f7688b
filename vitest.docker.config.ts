import { defineConfig } from "vitest/config";

/**
 * `npm run test:docker`: the real container path (test-docker/), apart from `npm test` because it needs a Docker
 * engine and builds the image. Its files each start their own `npm run dev`, so they run one after another.
 */
export default defineConfig({
  test: {
    name: "docker",
    include: ["test-docker/**/*.test.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 60_000,
    // The first hook builds the image (minutes on a cold Docker cache) and starts two dev servers.
    hookTimeout: 360_000,
  },
});
