/**
 * package.json's `"//"` names the packages wrangler bundles into the Worker (most of them are devDependencies, since
 * the container image installs only dependencies). Here the Worker's real bundle, built by `wrangler deploy --dry-run`
 * as `npm run check:deploy` builds it, is held to that list, so the sentence stays true.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  bundledPackages,
  bundleListProblems,
  dryRunDeploy,
  installedDependencies,
  listedBundle,
  type Metafile,
} from "./check-deploy.ts";

const PACKAGE_JSON = JSON.parse(readFileSync("package.json", "utf8")) as {
  "//"?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const DECLARED = Object.keys({ ...PACKAGE_JSON.dependencies, ...PACKAGE_JSON.devDependencies });
/** How long a dry-run deploy may take: about 10 s on a quiet 2-core machine. */
const DRY_RUN_TIMEOUT_MS = 120_000;

const workdir = mkdtempSync(join(tmpdir(), "worker-bundle-"));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

describe("package.json's list of the packages bundled into the Worker", () => {
  it(
    "names exactly the declared packages wrangler puts in the Worker's bundle, which holds nothing else but their dependencies",
    () => {
      const metafile = join(workdir, "meta.json");
      const { status, output } = dryRunDeploy(join(workdir, "out"), { metafile, quiet: true });
      expect(status, output).toBe(0);
      const bundled = bundledPackages(JSON.parse(readFileSync(metafile, "utf8")) as Metafile);
      const listed = listedBundle(PACKAGE_JSON);
      // The Worker's own runtime packages are in it, and the container's are not (sharp would not even load there).
      expect(bundled).toEqual(expect.arrayContaining(["hono", "ipaddr.js", "zod"]));
      expect(bundled).not.toContain("sharp");
      expect(listed).toEqual(bundled.filter((name) => DECLARED.includes(name)));
      expect(bundleListProblems(bundled, listed, DECLARED, (name) => installedDependencies(name))).toEqual([]);
    },
    DRY_RUN_TIMEOUT_MS,
  );
});

describe("bundleListProblems", () => {
  const dependencies: Record<string, string[]> = { hono: [], "@hono/zod-openapi": ["hono", "zod-to-openapi"] };
  const dependenciesOf = (name: string) => dependencies[name] ?? [];
  const declared = ["hono", "@hono/zod-openapi", "zod", "sharp"];

  it("accepts a list that names every declared package the bundle holds, the rest being their dependencies", () => {
    const bundled = ["@hono/zod-openapi", "hono", "zod-to-openapi"];
    expect(bundleListProblems(bundled, ["@hono/zod-openapi", "hono"], declared, dependenciesOf)).toEqual([]);
  });

  it("names a bundled package the list leaves out, a listed one not bundled, and one nothing listed depends on", () => {
    const bundled = ["@hono/zod-openapi", "hono", "zod", "left-pad", "zod-to-openapi"];
    expect(bundleListProblems(bundled, ["@hono/zod-openapi", "hono", "sharp"], declared, dependenciesOf)).toEqual([
      `the Worker bundles zod, which package.json's "//" does not list: add it to the list`,
      `the Worker bundles left-pad, which no package on package.json's "//" list depends on`,
      `package.json's "//" lists sharp, which the Worker's bundle does not hold: remove it`,
    ]);
  });

  it("reads the list from its line of package.json's comments, and says so when the line is gone", () => {
    expect(
      listedBundle({ "//": ["other", "Bundled into the Worker by wrangler at deploy (see x): zod, hono."] }),
    ).toEqual(["hono", "zod"]);
    expect(() => listedBundle({ "//": ["other"] })).toThrow(/no line starting "Bundled into the Worker/);
  });

  it("counts a package by the code it left in the bundle, nested node_modules by their own name", () => {
    const metafile: Metafile = {
      outputs: {
        "index.js": {
          inputs: {
            "node_modules/hono/dist/index.js": { bytesInOutput: 120 },
            "node_modules/@hono/zod-openapi/dist/index.js": { bytesInOutput: 80 },
            "node_modules/standardwebhooks/node_modules/@stablelib/base64/lib/base64.js": { bytesInOutput: 40 },
            "node_modules/tree-shaken/index.js": { bytesInOutput: 0 },
            "worker/src/index.ts": { bytesInOutput: 500 },
          },
        },
      },
    };
    expect(bundledPackages(metafile)).toEqual(["@hono/zod-openapi", "@stablelib/base64", "hono"]);
  });
});
