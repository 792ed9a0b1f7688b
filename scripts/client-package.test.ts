/**
 * The client package (packages/client) stands alone, as a customer of a deployed API gets it: `npm pack` builds
 * and packs it, the tarball is installed from the npm registry into an empty folder outside this repository, and
 * there `npx image-insights analyze` analyses a reference sample against the local stack, and the typed client,
 * imported by its package name, is type-checked and called.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "./local-stack.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SAMPLE = fileURLToPath(new URL("../../shared/fixtures/reference/sample1-536x354-grayscale.jpg", import.meta.url));
/** What the reference service computes for SAMPLE (../shared/fixtures/reference/expected.json). */
const expected = (
  JSON.parse(readFileSync(new URL("../../shared/fixtures/reference/expected.json", import.meta.url), "utf8")) as Record<
    string,
    { brightness_score: number; average_luminance: number }
  >
)["sample1-536x354-grayscale.jpg"];
/** The container's golden tests' tolerance on average_luminance against the reference's numbers. */
const AVERAGE_TOLERANCE = 0.15;
/** Server-side packages that must never reach a customer's install. */
const SERVER_PACKAGES = ["wrangler", "miniflare", "workerd", "sharp", "@img", "esbuild", "tsx", "@cloudflare"];
const API_KEY = "customer-key";
/**
 * The environment of a customer's shell: none of the npm_* variables this run may have inherited (under `npx -p
 * node@24`, npm_config_package would make the CLI's npx fetch Node again, and npm_config_local_prefix point npm
 * at this repository).
 */
const CUSTOMER_ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));

/** The packages under a node_modules folder, scoped ones as `@scope/name`, nested ones too. */
function installed(dir: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    if (entry.name.startsWith("@")) {
      for (const scoped of readdirSync(join(dir, entry.name))) names.push(`${entry.name}/${scoped}`);
      continue;
    }
    names.push(entry.name);
    const nested = join(dir, entry.name, "node_modules");
    try {
      names.push(...installed(nested));
    } catch {
      // no nested node_modules
    }
  }
  return names;
}

let work = "";
let app = "";
let stack: LocalStack | undefined;
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "client-package-"));
  app = join(work, "app");
  mkdirSync(app);
  // The stack starts while npm packs and installs.
  const starting = startLocalStack({ quiet: true, vars: { API_KEYS: API_KEY } });
  const pack = await run("npm", ["pack", "-w", "packages/client", "--pack-destination", work, "--json"], {
    cwd: ROOT,
    env: CUSTOMER_ENV,
  });
  [packed] = JSON.parse(pack.stdout);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "customer", private: true, type: "module" }));
  await run("npm", ["install", "--no-audit", "--no-fund", join(work, packed.filename)], {
    cwd: app,
    env: CUSTOMER_ENV,
  });
  stack = await starting;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the image-insights package", () => {
  it("ships its README, its bin and dist/ only, and installs without a server-side package", () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining(["package.json", "README.md", "bin/image-insights.mjs", "dist/cli.js"]),
    );
    expect(
      paths.filter((path) => !/^(package\.json|README\.md|bin\/image-insights\.mjs|dist\/.+)$/.test(path)),
    ).toEqual([]);
    expect(paths.filter((path) => path.endsWith(".test.ts") || path.startsWith("src/"))).toEqual([]);

    const modules = installed(join(app, "node_modules"));
    expect(modules).toEqual(expect.arrayContaining(["image-insights", "commander", "cli-progress", "hono", "zod"]));
    expect(
      modules.filter((name) => SERVER_PACKAGES.some((server) => name === server || name.startsWith(`${server}/`))),
    ).toEqual([]);
  });

  it("analyses a file with `npx image-insights analyze` run from the folder it is installed in", async () => {
    const out = join(app, "results.csv");
    const cli = await run(
      "npx",
      ["--no", "image-insights", "analyze", SAMPLE, "--api", stack?.url ?? "", "--out", out],
      {
        cwd: app,
        env: { ...CUSTOMER_ENV, IMAGE_INSIGHTS_API_KEY: API_KEY, FORCE_COLOR: "0" },
      },
    );
    expect(cli.stderr).toBe("");
    expect(cli.stdout).toMatch(/1 image, 1 analysed, 0 failed, in [\d.]+ s: /);
    const [row, ...others] = parse(readFileSync(out, "utf8"), { columns: true }) as Record<string, string>[];
    expect(others).toEqual([]);
    expect(row).toMatchObject({
      id: SAMPLE,
      status: "succeeded",
      "result.brightness_score": String(expected?.brightness_score),
    });
    expect(
      Math.abs(Number(row?.["result.average_luminance"]) - (expected?.average_luminance ?? Number.NaN)),
    ).toBeLessThanOrEqual(AVERAGE_TOLERANCE);
  }, 60_000);

  it("gives a typed client by its name: type-checked against the package's declarations, and it answers", async () => {
    // JavaScript with type checking: Node runs it as it is, and tsc reads it with the package's declarations. A lost
    // type (an `any`) would leave the @ts-expect-error below with no error to expect, which tsc reports.
    writeFileSync(
      join(app, "typed.mjs"),
      `// @ts-check
import { readFileSync } from "node:fs";
import { createClient } from "image-insights";

const [api, key, path] = process.argv.slice(2);
const client = createClient(api ?? "", { apiKey: key });
const res = await client.v1.image.analysis.$post({
  query: { metrics: "brightness" },
  form: { image: new Blob([readFileSync(path ?? "")]) },
});
if (res.status !== 200) throw new Error(\`\${res.status}: \${JSON.stringify(await res.json())}\`);
const body = await res.json();
/** @type {number | undefined} */
const score = body.brightness_score;
// @ts-expect-error: an answer has no such field
body.no_such_field;
console.log(JSON.stringify({ score, average: body.average_luminance }));
`,
    );
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const types = join(ROOT, "node_modules/@types");
    const checked = await run(
      process.execPath,
      [tsc, "--noEmit", "--allowJs", "--checkJs", "--strict", "--skipLibCheck", "--module", "nodenext"].concat([
        "--lib",
        "es2023,dom",
        "--typeRoots",
        types,
        "--types",
        "node",
        "typed.mjs",
      ]),
      { cwd: app },
    ).then(
      () => "",
      (err: { stdout: string }) => err.stdout,
    );
    expect(checked).toBe("");

    const answer = await run(process.execPath, ["typed.mjs", stack?.url ?? "", API_KEY, SAMPLE], { cwd: app });
    const { score, average } = JSON.parse(answer.stdout) as { score: number; average: number };
    expect(score).toBe(expected?.brightness_score);
    expect(Math.abs(average - (expected?.average_luminance ?? Number.NaN))).toBeLessThanOrEqual(AVERAGE_TOLERANCE);
  }, 60_000);
});
