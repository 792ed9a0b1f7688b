#!/usr/bin/env node
// `npm run check:deploy`: `wrangler deploy --dry-run`, which bundles the Worker and validates
// wrangler.toml (bindings, migrations, [[containers]]) without uploading anything.
//
// wrangler 4.86 runs `docker` to build the container image even for a dry run, and this machine (like CI)
// has no Docker engine. WRANGLER_DOCKER_BIN points it at a stub that exits 0, so the dry run checks the
// bundle and the config; the image itself is built and run by ../shared/tools/image-check instead.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const stubDir = mkdtempSync(join(tmpdir(), "docker-stub-"));
const stub = join(stubDir, "docker");
writeFileSync(stub, "#!/bin/sh\n# stand-in for the docker CLI during `wrangler deploy --dry-run`\nexit 0\n");
chmodSync(stub, 0o755);

const outdir = process.argv[2] ?? "dist/deploy";
const result = spawnSync(
  process.execPath,
  ["node_modules/wrangler/bin/wrangler.js", "deploy", "--dry-run", "--outdir", outdir],
  { stdio: "inherit", env: { ...process.env, WRANGLER_DOCKER_BIN: stub, WRANGLER_SEND_METRICS: "false" } },
);
rmSync(stubDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
