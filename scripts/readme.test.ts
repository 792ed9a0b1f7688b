import { describe, expect, it } from "vitest";
import { ALL_METRICS, parseAnalysisParams, VALID_METRICS } from "../contract/analysis.ts";
import { toErrorResponse } from "../contract/errors.ts";
import { JOBS_PATH, WEBHOOK_SECRET_PATH } from "../contract/jobs.ts";
import { ANALYSIS_PATH, URL_ANALYSIS_PATH } from "../contract/service.ts";
import { read, section } from "./markdown.ts";

const readme = read("README.md");

describe("README", () => {
  it("sends typed-client users to the client package, whose example worker/test/client.test.ts runs", () => {
    expect(readme).toContain("](packages/client/README.md)");
    expect(readme).toContain("packages/client/examples/typed-client.ts");
    expect(read("packages/client/examples/typed-client.ts")).toContain("createClient(");
    expect(read("worker/test/client.test.ts")).toContain('from "../../packages/client/examples/typed-client.ts"');
  });

  it("links every guide it names, and each exists", () => {
    for (const doc of [
      "docs/ARCHITECTURE.md",
      "docs/OPERATIONS.md",
      "docs/METRICS.md",
      "docs/MIGRATING.md",
      "docs/BENCHMARK.md",
      "docs/SECURITY.md",
      "docs/DEVELOPMENT.md",
    ]) {
      expect(readme).toContain(`](${doc})`);
      expect(read(doc).length).toBeGreaterThan(500);
    }
  });

  it("shows the error example as the API answers it: the request's parameters through the contract's parser", () => {
    const errors = section(readme, "### Errors");
    const query = /```sh\n[^\n]*\?([^'\s]+)'/.exec(errors)?.[1];
    const shown = JSON.parse(/```json\n(.+)\n```/.exec(errors)?.[1] ?? "null");
    expect(query).toBe("metrics=colour");
    let thrown: unknown;
    try {
      parseAnalysisParams(new URLSearchParams(query));
    } catch (error) {
      thrown = error;
    }
    const real = toErrorResponse(thrown, shown.detail.request_id);
    expect(real.status).toBe(400);
    expect(shown).toEqual(real.body);
    expect(shown.detail.valid_metrics).toEqual([...VALID_METRICS, ALL_METRICS]);
  });

  it("names every metric (and all) in its table of what it answers", () => {
    const table = readme.slice(readme.indexOf("| `metrics=` |"), readme.indexOf("## Quick start"));
    const named = [...table.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) =>
      [...(m[1] ?? "").matchAll(/`([a-z_]+)`/g)].map((c) => c[1]),
    );
    expect(named.sort()).toEqual([...VALID_METRICS, ALL_METRICS].sort());
  });

  it("lists every route the Worker declares, with its method, in the API at a glance", () => {
    const constants: Record<string, string> = { ANALYSIS_PATH, URL_ANALYSIS_PATH, JOBS_PATH, WEBHOOK_SECRET_PATH };
    const declared = ["health", "upload", "source", "jobs"].flatMap((folder) =>
      [...read(`worker/src/${folder}/route.ts`).matchAll(/method: "(\w+)",\s*path: ([^,\n]+),/g)].map((m) => {
        const path = (m[2] ?? "")
          .replace(/^[`"]|[`"]$/g, "")
          .replace(/\$\{(\w+)\}/g, (_, name: string) => constants[name] ?? `?${name}`)
          .replace(/^([A-Z_]+)$/, (name) => constants[name] ?? `?${name}`);
        return `${(m[1] ?? "").toUpperCase()} ${path}`;
      }),
    );
    expect(declared.length).toBe(11);
    const glance = section(readme, "## The API at a glance");
    expect(declared.filter((route) => !glance.includes(`\`${route}\``))).toEqual([]);
  });

  it("shows the pinned wrangler as npm run dev names it", () => {
    const pkg = JSON.parse(read("package.json"));
    expect(readme).toContain(`[dev] wrangler ${pkg.devDependencies.wrangler} (pinned`);
    expect(read("scripts/dev.ts")).toContain('(pinned in package.json: docs/DEVELOPMENT.md, "Toolchain", says why)');
  });
});
