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
 * bundle and the config; the image itself is built and run on a Docker engine by .ci/run and test-docker/ instead.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";
import { loadConfig, MAX_CONTAINER_INSTANCES, refusesEveryCall, type Vars } from "../worker/src/config.ts";

/** The repository's root: wrangler runs there, and node_modules is there. */
const ROOT = fileURLToPath(new URL("..", import.meta.url));

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

// ------------------------------------------------------------------------------- what the Worker bundles

/** The part of esbuild's metafile this reads: each output file's inputs, with the bytes each left in it. */
export interface Metafile {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}

/**
 * The npm packages with code in the bundle: every `node_modules/<name>/` (or `node_modules/@scope/name/`) input
 * that left bytes in an output (tree-shaken to nothing does not count), sorted.
 *
 * @example
 * bundledPackages({ outputs: { "index.js": { inputs: { "node_modules/hono/dist/index.js": { bytesInOutput: 9 } } } } });
 * // ["hono"]
 */
export function bundledPackages(metafile: Metafile): string[] {
  const names = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      // The last node_modules/ names the package, nested or not.
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path.slice(path.lastIndexOf("node_modules/")));
      if (match && bytesInOutput > 0) names.add(match[1] as string);
    }
  }
  return [...names].sort();
}

/** How package.json's `"//"` line on the Worker's bundle begins; the package names follow its last `: `. */
export const BUNDLED_LINE_START = "Bundled into the Worker by wrangler at deploy";

/** The packages package.json's `"//"` says wrangler bundles into the Worker, sorted. */
export function listedBundle(packageJson: { "//"?: unknown }): string[] {
  const lines = Array.isArray(packageJson["//"]) ? (packageJson["//"] as unknown[]) : [];
  const line = lines.find((l): l is string => typeof l === "string" && l.startsWith(BUNDLED_LINE_START));
  if (!line) throw new Error(`package.json's "//" has no line starting "${BUNDLED_LINE_START}": add it back`);
  return line
    .slice(line.lastIndexOf(": ") + 2)
    .replace(/\.$/, "")
    .split(", ")
    .sort();
}

/**
 * Where package.json's list of the Worker's bundled packages and the bundle disagree, in words: a package the
 * project declares that the bundle holds and the list does not name, a listed one the bundle does not hold, and a
 * bundled one that is neither listed nor something a listed one depends on (empty: the list is true).
 *
 * @param dependenciesOf a package's own dependencies, peer and optional ones included (what npm installs for it)
 */
export function bundleListProblems(
  bundled: readonly string[],
  listed: readonly string[],
  declared: readonly string[],
  dependenciesOf: (name: string) => readonly string[],
): string[] {
  const problems: string[] = [];
  const reachable = new Set<string>();
  const queue = [...listed];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (reachable.has(name)) continue;
    reachable.add(name);
    queue.push(...dependenciesOf(name));
  }
  for (const name of bundled) {
    if (declared.includes(name) && !listed.includes(name)) {
      problems.push(`the Worker bundles ${name}, which package.json's "//" does not list: add it to the list`);
    } else if (!reachable.has(name)) {
      problems.push(`the Worker bundles ${name}, which no package on package.json's "//" list depends on`);
    }
  }
  for (const name of listed) {
    if (!bundled.includes(name)) {
      problems.push(`package.json's "//" lists ${name}, which the Worker's bundle does not hold: remove it`);
    }
  }
  return problems;
}

/**
 * A package's own dependencies as its package.json in the root's node_modules says; none when it is not installed
 * there (an optional peer nobody installed, whose code cannot be in the bundle either).
 */
export function installedDependencies(name: string, root = ROOT): string[] {
  const path = join(root, "node_modules", name, "package.json");
  if (!existsSync(path)) return [];
  const manifest = JSON.parse(readFileSync(path, "utf8")) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  return Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies });
}

// ------------------------------------------------------------------------------------- the dry run

/**
 * Runs `wrangler deploy --dry-run` into `outdir` (bundle and config checked, nothing uploaded), with the docker
 * stub the header explains, and `--metafile` when asked for. `quiet` keeps wrangler's output for the error instead
 * of printing it.
 */
export function dryRunDeploy(
  outdir: string,
  options: { metafile?: string; quiet?: boolean } = {},
): { status: number; output: string } {
  const stubDir = mkdtempSync(join(tmpdir(), "docker-stub-"));
  const stub = join(stubDir, "docker");
  writeFileSync(
    stub,
    "#!/bin/sh\n# stand-in for the docker CLI during `wrangler deploy --dry-run`: reads what it is sent (a build context on stdin), builds nothing\ncat >/dev/null\nexit 0\n",
  );
  chmodSync(stub, 0o755);
  const args = ["node_modules/wrangler/bin/wrangler.js", "deploy", "--dry-run", "--outdir", outdir];
  if (options.metafile) args.push("--metafile", options.metafile);
  try {
    const result = spawnSync(process.execPath, args, {
      cwd: ROOT,
      encoding: "utf8",
      stdio: options.quiet ? "pipe" : "inherit",
      env: { ...process.env, WRANGLER_DOCKER_BIN: stub, WRANGLER_SEND_METRICS: "false" },
    });
    return { status: result.status ?? 1, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
  } finally {
    rmSync(stubDir, { recursive: true, force: true });
  }
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
  return dryRunDeploy(process.argv[2] ?? "dist/deploy").status;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(main());
