import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");

describe("README", () => {
  it("shows the typed client exactly as packages/client/examples/typed-client.ts, which worker/test/client.test.ts runs", () => {
    const block = /```ts\n([\s\S]*?)```/.exec(
      read("README.md").slice(read("README.md").indexOf("## A typed client")),
    )?.[1];
    expect(block?.trim()).toBe(read("packages/client/examples/typed-client.ts").trim());
  });

  it("links every guide it names, and each exists", () => {
    const readme = read("README.md");
    for (const doc of [
      "docs/ARCHITECTURE.md",
      "docs/OPERATIONS.md",
      "docs/MIGRATING.md",
      "docs/BENCHMARK.md",
      "docs/SECURITY.md",
    ]) {
      expect(readme).toContain(`](${doc})`);
      expect(read(doc).length).toBeGreaterThan(500);
    }
  });

  it("states the pinned toolchain and each install script's decision as package.json and wrangler.toml have them", () => {
    const readme = read("README.md");
    const pkg = JSON.parse(read("package.json"));
    const toolchain = readme.slice(readme.indexOf("### Toolchain"), readme.indexOf("### Install scripts"));
    expect(toolchain).toContain(`Node ${pkg.engines.node.replace(">=", "")} or newer`);
    for (const name of ["wrangler", "@cloudflare/vitest-pool-workers", "@cloudflare/workers-types", "@types/node"]) {
      expect(toolchain, name).toMatch(
        new RegExp(`\\| \`${name}\` \\| ${pkg.devDependencies[name].replaceAll(".", "\\.")}[ |]`),
      );
    }
    const date = /^compatibility_date = "([\d-]+)"/m.exec(read("wrangler.toml"))?.[1];
    expect(toolchain).toContain(`| \`compatibility_date\` | ${date} |`);
    expect(readme).toContain(`[dev] wrangler ${pkg.devDependencies.wrangler} (pinned`);

    const scripts = readme.slice(readme.indexOf("### Install scripts"), readme.indexOf("## Deploy"));
    const decided = [...scripts.matchAll(/^\| `([^`]+)` \|.*\| (denied|approved):/gm)].map((m) => [
      m[1],
      m[2] === "approved",
    ]);
    expect(Object.fromEntries(decided)).toEqual(pkg.allowScripts);
  });

  it("documents every setting the Worker reads and every error code the API may answer", () => {
    const docs = read("README.md") + read("docs/OPERATIONS.md");
    const settings = [...read("worker/src/config.ts").matchAll(/^\s+([A-Z][A-Z0-9_]+)\?: string;/gm)].map((m) => m[1]);
    expect(settings.length).toBeGreaterThan(20);
    expect(settings.filter((name) => !docs.includes(`\`${name}\``))).toEqual([]);
    const errors = read("contract/errors.ts");
    const codes = [...(/ERROR_CODES = \[([\s\S]*?)\] as const/.exec(errors)?.[1] ?? "").matchAll(/"([a-z_]+)"/g)].map(
      (m) => m[1],
    );
    expect(codes.length).toBeGreaterThan(30);
    const table = read("docs/OPERATIONS.md").slice(read("docs/OPERATIONS.md").indexOf("## What each error code means"));
    expect(
      codes.filter((code) => !table.includes(`\`${code}\``) && !read("README.md").includes(`\`${code}\``)),
    ).toEqual([]);
  });
});
