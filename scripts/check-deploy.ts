#!/usr/bin/env node
/**
 * `npm run check:deploy [OUTDIR]`: refuses a wrangler.toml the Worker itself would refuse, then runs
 * `wrangler deploy --dry-run`, which bundles the Worker and validates the bindings, migrations and
 * `[[containers]]` without uploading anything.
 *
 * The settings check runs the Worker's own `loadConfig` on every `[vars]` table (the top level and each
 * `[env.*]`), and the checks no single variable can make: `CONTAINER_INSTANCES` within `max_instances`, and
 * `RATE_LIMIT_PERIOD_S` equal to the rate limiter's `period`. A value that passes here is one the deployed
 * Worker accepts; one that fails would have made every request a 503 `misconfigured`.
 *
 * Secrets are not in wrangler.toml, so it cannot tell whether `API_KEYS` is set: where `[vars]` leave the API
 * closed (PUBLIC_API not true), it prints a notice that the Worker answers nothing until the secret is put, and
 * that `GET /health` says unhealthy until then (`settingsNotices`). A notice, not a failure: the secret may well
 * be set already, outside this file.
 *
 * wrangler (4.86, and still 4.156) runs `docker` to build the container image even for a dry run, and this machine
 * (like CI) has no Docker engine. WRANGLER_DOCKER_BIN points it at a stub that exits 0, so the dry run checks the
 * bundle and the config; the image itself is built and run by ../shared/tools/image-check instead.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";
import { loadConfig, MAX_CONTAINER_INSTANCES, refusesEveryCall, type Vars } from "../worker/src/config.ts";

interface WranglerToml {
  vars?: Record<string, unknown>;
  containers?: Array<{ class_name?: string; max_instances?: number }>;
  ratelimits?: Array<{ name?: string; simple?: { period?: number } }>;
  env?: Record<string, Omit<WranglerToml, "env">>;
}

type Table = Omit<WranglerToml, "env">;

/** Each `[vars]` table (the top level's, then each `[env.NAME]`'s) with where it is, its env's name and its vars. */
function varsTables(toml: WranglerToml): Array<{ where: string; env: string | null; table: Table; vars: Vars }> {
  const tables: Array<[string, string | null, Table]> = [
    ["[vars]", null, toml],
    ...Object.entries(toml.env ?? {}).map(([name, table]): [string, string, Table] => [
      `[env.${name}.vars]`,
      name,
      { ...toml, ...table, vars: { ...table.vars } },
    ]),
  ];
  return tables.map(([where, env, table]) => ({
    where,
    env,
    table,
    vars: Object.fromEntries(Object.entries(table.vars ?? {}).map(([k, v]) => [k, String(v)])) as Vars,
  }));
}

/**
 * Everything wrong with a wrangler.toml's settings, in words an operator can act on (empty: deployable).
 *
 * @example
 * settingsProblems('[vars]\nCONTAINER_INSTANCES = "9"'); // ["[vars]: Expected CONTAINER_INSTANCES of at most 4 …"]
 */
export function settingsProblems(tomlText: string): string[] {
  const toml = parse(tomlText) as WranglerToml;
  const problems: string[] = [];
  const maxInstances = toml.containers?.[0]?.max_instances;
  if (maxInstances !== undefined && maxInstances !== MAX_CONTAINER_INSTANCES) {
    problems.push(
      `[[containers]] max_instances is ${maxInstances} but worker/src/config.ts MAX_CONTAINER_INSTANCES is ${MAX_CONTAINER_INSTANCES}: keep them equal`,
    );
  }
  for (const { where, table, vars } of varsTables(toml)) {
    try {
      const config = loadConfig(vars);
      const period = table.ratelimits?.find((r) => r.name === "RATE_LIMITER")?.simple?.period;
      if (period !== undefined && period !== config.rateLimitPeriodS) {
        problems.push(
          `${where}: RATE_LIMIT_PERIOD_S is ${config.rateLimitPeriodS} but [[ratelimits]] RATE_LIMITER has period = ${period}: Retry-After would lie`,
        );
      }
    } catch (error) {
      problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}

/**
 * What a wrangler.toml's settings leave to be done outside it, which this check cannot see: a closed API (PUBLIC_API
 * not true, outside development) needs the API_KEYS secret, or the Worker refuses every call. One notice per
 * `[vars]` table whose settings are valid; with no keys in the file (they are a secret) that is every closed one.
 *
 * @example
 * settingsNotices('[vars]\nPUBLIC_API = "false"'); // ["[vars]: PUBLIC_API is not \"true\", so the Worker needs … npx wrangler secret put API_KEYS …"]
 */
export function settingsNotices(tomlText: string): string[] {
  const notices: string[] = [];
  for (const { where, env, vars } of varsTables(parse(tomlText) as WranglerToml)) {
    let closed: boolean;
    try {
      closed = refusesEveryCall(loadConfig(vars));
    } catch {
      continue; // settingsProblems says what is wrong with it
    }
    if (closed) {
      const command = `npx wrangler secret put API_KEYS${env ? ` --env ${env}` : ""}`;
      notices.push(
        `${where}: PUBLIC_API is not "true", so the Worker needs API keys, a secret this check cannot see: until \`${command}\` has set them it answers every API call 401, and GET /health 503 unhealthy`,
      );
    }
  }
  return notices;
}

function main(): number {
  const text = readFileSync("wrangler.toml", "utf8");
  const problems = settingsProblems(text);
  if (problems.length > 0) {
    for (const problem of problems) console.error(`check:deploy: ${problem}`);
    return 1;
  }
  console.log("check:deploy: wrangler.toml's settings are ones the Worker accepts");
  for (const notice of settingsNotices(text)) console.log(`check:deploy: notice: ${notice}`);

  const stubDir = mkdtempSync(join(tmpdir(), "docker-stub-"));
  const stub = join(stubDir, "docker");
  writeFileSync(
    stub,
    "#!/bin/sh\n# stand-in for the docker CLI during `wrangler deploy --dry-run`: reads what it is sent (a build context on stdin), builds nothing\ncat >/dev/null\nexit 0\n",
  );
  chmodSync(stub, 0o755);
  const outdir = process.argv[2] ?? "dist/deploy";
  const result = spawnSync(
    process.execPath,
    ["node_modules/wrangler/bin/wrangler.js", "deploy", "--dry-run", "--outdir", outdir],
    { stdio: "inherit", env: { ...process.env, WRANGLER_DOCKER_BIN: stub, WRANGLER_SEND_METRICS: "false" } },
  );
  rmSync(stubDir, { recursive: true, force: true });
  return result.status ?? 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(main());
