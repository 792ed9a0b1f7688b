/**
 * `npm run lint:openapi`: the document the Worker serves at `/openapi.json`, linted with Redocly CLI's
 * recommended rules. The Worker is bundled and run in workerd (Miniflare) exactly as it serves the document
 * (no container is needed for it); the document is written to dist/openapi.json and `redocly lint` must find
 * no error.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { bundleWorker, COMPATIBILITY_DATE } from "./local-stack.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = `${ROOT}dist/openapi.json`;

// Miniflare 5 takes a new options shape; convertV4MiniflareOptions reads the v4 one used here.
const mf = new Miniflare(
  convertV4MiniflareOptions({
    modules: true,
    script: await bundleWorker(),
    compatibilityDate: COMPATIBILITY_DATE,
    // Placeholder `request.cf` values: no attempt to download the real ones (offline, and no warning).
    cf: false,
    compatibilityFlags: ["nodejs_compat"],
    durableObjects: { ANALYZER: { className: "AnalysisContainer", useSQLite: true } },
    kvNamespaces: ["RESULTS"],
    bindings: { ENVIRONMENT: "production" },
    log: new Log(LogLevel.WARN),
  }),
);
let status = 1;
try {
  const res = await mf.dispatchFetch("https://image-insights-api.example.workers.dev/openapi.json");
  if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
  mkdirSync(`${ROOT}dist`, { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(await res.json(), null, 2)}\n`);
  console.log(`lint:openapi: ${OUT}`);
  const lint = spawnSync(
    process.execPath,
    [`${ROOT}node_modules/@redocly/cli/bin/cli.js`, "lint", OUT, "--format", "stylish"],
    {
      stdio: "inherit",
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
    },
  );
  status = lint.status ?? 1;
} finally {
  await mf.dispose();
}
process.exit(status);
