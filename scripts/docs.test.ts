/**
 * The docs say what the code does: OPERATIONS' configuration table has every variable the Worker and the
 * container read, with the default the code has; both status tables have every error code with the status it
 * is answered with; DEVELOPMENT's toolchain is package.json's and wrangler.toml's; every path a doc names exists,
 * and every `npm run` it names is a script.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import * as containerConfig from "../container/src/config.ts";
import { VALID_METRICS } from "../contract/analysis.ts";
import { ERROR_CODES } from "../contract/errors.ts";
import * as workerConfig from "../worker/src/config.ts";
import { read, section } from "./markdown.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** A markdown table's rows under the header row that starts with `| <first> |`, as arrays of trimmed cells. */
function tableRows(markdown: string, first: string): { header: string[]; rows: string[][] } {
  const lines = markdown.split("\n");
  const at = lines.findIndex((line) => line.startsWith(`| ${first} |`));
  if (at === -1) throw new Error(`no table starting with "| ${first} |"`);
  const cells = (line: string) =>
    line
      .slice(1, -1)
      .split(" | ")
      .map((cell) => cell.trim());
  const rows: string[][] = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(cells(line));
  }
  return { header: cells(lines[at] ?? ""), rows };
}

/** What a default looks like in the table: a number as `wrangler.toml` writes it, a list comma-separated. */
function asWritten(value: unknown): string {
  return Array.isArray(value) ? value.join(",") : String(value);
}

describe("OPERATIONS' configuration table", () => {
  const table = tableRows(section(read("docs/OPERATIONS.md"), "## Configuration"), "variable").rows.map(
    ([variable = "", side = "", fallback = ""]) => ({
      name: /^`([A-Z0-9_]+)`/.exec(variable)?.[1] ?? variable,
      side,
      fallback: fallback.replace(/^`([^`]*)`$/, "$1"),
    }),
  );
  const row = (name: string) => table.find((r) => r.name === name);

  // The Worker reads what its `Vars` declares; the container what its loadConfig passes to integerSetting.
  const workerVars = [
    ...(/export interface Vars \{([\s\S]*?)\n\}/.exec(read("worker/src/config.ts"))?.[1] ?? "").matchAll(
      /^\s+([A-Z][A-Z0-9_]+)\?: string;/gm,
    ),
  ].map((m) => m[1] as string);
  const containerVars = [...read("container/src/config.ts").matchAll(/integerSetting\(env, "([A-Z0-9_]+)"/g)].map(
    (m) => m[1] as string,
  );

  it("has a row for every variable the Worker and the container read, and none besides", () => {
    expect(workerVars.length).toBeGreaterThan(30);
    expect(containerVars.length).toBeGreaterThan(15);
    const read = new Set([...workerVars, ...containerVars]);
    expect([...read].filter((name) => !row(name))).toEqual([]);
    expect(table.map((r) => r.name).filter((name) => !read.has(name))).toEqual([]);
    for (const name of read) {
      const side = workerVars.includes(name) ? (containerVars.includes(name) ? "both" : "Worker") : "container";
      expect(row(name)?.side, name).toBe(side);
    }
  });

  it("gives each Worker variable the default worker/src/config.ts has", () => {
    const loaded = workerConfig.loadConfig({});
    // The variables with no constant of their own name: their defaults as loadConfig reads an empty environment.
    const unnamed: Record<string, string> = {
      API_KEYS: loaded.apiKeys.length === 0 ? "none" : "?",
      PUBLIC_API: String(loaded.publicApi),
      CORS_ALLOW_ORIGINS: asWritten(loaded.corsAllowOrigins),
      WEBHOOK_SECRET: loaded.webhookSecret === null ? "none" : "?",
      JOB_FAULT_RATE: String(loaded.jobFaultRate),
      ALLOW_PRIVATE_SOURCE_ADDRESSES: loaded.allowedPrivateOrigins.length === 0 ? "false" : "?",
      // Read by the analyzer's Durable Object, not by loadConfig: without it the container runtime is the platform's.
      LOCAL_CONTAINER_URL: "unset",
    };
    const constants = workerConfig as unknown as Record<string, unknown>;
    for (const name of workerVars) {
      const expected = name in constants ? asWritten(constants[name]) : unnamed[name];
      expect(expected, `${name}: no constant of that name in worker/src/config.ts, and none given here`).toBeDefined();
      expect(row(name)?.fallback, name).toBe(expected);
    }
    expect(row("CONTAINER_INSTANCES")?.fallback).toBe("4");
    expect(row("URL_ALLOWED_PORTS")?.fallback).toBe("80,443");
  });

  it("gives each container variable the default container/src/config.ts has", () => {
    const constants = containerConfig as unknown as Record<string, unknown>;
    const derived: Record<string, string> = {
      ANALYSIS_CONCURRENCY: "the CPUs of the cgroup quota",
      BATCH_DECODE_SLOTS: `\`ANALYSIS_CONCURRENCY\` − ${containerConfig.INTERACTIVE_DECODE_SLOTS}, at least 1`,
      BATCH_QUEUE_LIMIT: containerConfig.BATCH_QUEUE_SHARE === 0.5 ? "half of `ANALYSIS_QUEUE_LIMIT`" : "?",
    };
    for (const name of containerVars) {
      const expected = name in constants ? asWritten(constants[name]) : derived[name];
      expect(
        expected,
        `${name}: no constant of that name in container/src/config.ts, and none given here`,
      ).toBeDefined();
      expect(row(name)?.fallback, name).toBe(expected);
    }
    // The derived defaults do what their cells say.
    const load = containerConfig.loadConfig;
    expect(load({ ANALYSIS_CONCURRENCY: "4" }).batchDecodeSlots).toBe(3);
    expect(load({ ANALYSIS_CONCURRENCY: "1" }).batchDecodeSlots).toBe(1);
    expect(load({ ANALYSIS_QUEUE_LIMIT: "8" }).batchQueueLimit).toBe(4);
    expect(load({}).analysisConcurrency).toBe(containerConfig.availableCpus());
    // The one variable both read has one default.
    expect(containerConfig.MAX_UPLOAD_BYTES).toBe(workerConfig.MAX_UPLOAD_BYTES);
  });
});

describe("OPERATIONS' queue consumer table", () => {
  it("has wrangler.toml's [[queues.consumers]] values for the jobs queue", () => {
    const consumer = (
      parse(read("wrangler.toml")) as { queues: { consumers: Record<string, unknown>[] } }
    ).queues.consumers.find((c) => c.queue === "image-insights-jobs");
    const rows = tableRows(section(read("docs/OPERATIONS.md"), "## Batch jobs"), "setting").rows;
    expect(rows.length).toBeGreaterThan(3);
    for (const [setting = "", value = ""] of rows) {
      const name = setting.replaceAll("`", "");
      expect(consumer?.[name], name).toBeDefined();
      expect(value, name).toBe(String(consumer?.[name]));
    }
  });
});

describe("the status tables", () => {
  /** Every `new ApiError(<status>, "<code>"` in the programs' and the contract's code (tests left out). */
  function thrownCodes(): Map<string, Set<string>> {
    const files = (dir: string): string[] =>
      readdirSync(join(ROOT, dir)).flatMap((name) => {
        const path = `${dir}/${name}`;
        if (statSync(join(ROOT, path)).isDirectory()) return files(path);
        return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
      });
    const thrown = new Map<string, Set<string>>();
    for (const file of ["worker/src", "container/src", "contract"].flatMap(files)) {
      for (const m of read(file).matchAll(/new ApiError\(\s*(\d{3}),\s*"([a-z_]+)"/g)) {
        const [, status = "", code = ""] = m;
        thrown.set(code, new Set([...(thrown.get(code) ?? []), status]));
      }
    }
    return thrown;
  }

  /** A status table's statuses per code, from its `status` and code columns; one status per row. */
  function documented(markdown: string, first: string): Map<string, Set<string>> {
    const { header, rows } = tableRows(markdown, first);
    const statusAt = header.indexOf("status");
    const codeAt = header.findIndex((cell) => cell === "code" || cell === "`code`");
    const codes = new Map<string, Set<string>>();
    for (const row of rows) {
      const status = row[statusAt] ?? "";
      expect(status, `one status per row: ${row.join(" | ")}`).toMatch(/^(\d{3}|none)$/);
      for (const [, code = ""] of (row[codeAt] ?? "").matchAll(/`([a-z_]+)`/g)) {
        codes.set(code, new Set([...(codes.get(code) ?? []), status]));
      }
    }
    return codes;
  }

  const thrown = thrownCodes();

  it("finds the codes the code throws", () => {
    expect(thrown.get("overloaded")).toEqual(new Set(["503"]));
    expect(thrown.get("processing_timeout")).toEqual(new Set(["503"]));
    expect(thrown.get("too_many_open_items")).toEqual(new Set(["429"]));
    expect(thrown.get("job_cancelled")).toEqual(new Set(["409"]));
    expect([...thrown.keys()].filter((code) => !(ERROR_CODES as readonly string[]).includes(code))).toEqual([]);
  });

  for (const [doc, heading, first] of [
    ["README.md", "### Errors", "status"],
    ["docs/OPERATIONS.md", "## What each error code means to an operator", "code"],
  ] as const) {
    it(`${doc}: every error code with the status it is answered with, and no other`, () => {
      const table = documented(section(read(doc), heading), first);
      expect(ERROR_CODES.filter((code) => !table.has(code))).toEqual([]);
      expect([...table.keys()].filter((code) => !(ERROR_CODES as readonly string[]).includes(code))).toEqual([]);
      for (const code of ERROR_CODES) {
        // A code nothing throws is documented as answered by no status.
        expect(table.get(code), code).toEqual(thrown.get(code) ?? new Set(["none"]));
      }
    });
  }
});

describe("DEVELOPMENT", () => {
  const development = read("docs/DEVELOPMENT.md");

  it("states the pinned toolchain and each install script's decision as package.json and wrangler.toml have them", () => {
    const pkg = JSON.parse(read("package.json"));
    const toolchain = section(development, "## Toolchain");
    expect(toolchain).toContain(`Node ${pkg.engines.node.replace(">=", "")} or newer`);
    for (const name of ["wrangler", "@cloudflare/vitest-pool-workers", "@cloudflare/workers-types", "@types/node"]) {
      expect(toolchain, name).toMatch(
        new RegExp(`\\| \`${name}\` \\| ${pkg.devDependencies[name].replaceAll(".", "\\.")}[ |]`),
      );
    }
    const date = /^compatibility_date = "([\d-]+)"/m.exec(read("wrangler.toml"))?.[1];
    expect(toolchain).toContain(`| \`compatibility_date\` | ${date} |`);

    const scripts = section(development, "## Install scripts");
    const decided = [...scripts.matchAll(/^\| `([^`]+)` \|.*\| (denied|approved):/gm)].map((m) => [
      m[1],
      m[2] === "approved",
    ]);
    expect(Object.fromEntries(decided)).toEqual(pkg.allowScripts);
  });

  it("names the CI's Nodes as .ci/run has them", () => {
    const ci = read(".ci/run");
    const ciSection = section(development, "## CI");
    for (const variable of ["NODE_CURRENT", "NODE_OLDEST", "NODE_NEWEST"]) {
      const version = new RegExp(`^${variable}=(\\S+)$`, "m").exec(ci)?.[1];
      expect(version, variable).toBeDefined();
      expect(ciSection).toContain(`Node ${version}`);
    }
  });

  it("lists every folder of worker/src, container/src and contract/", () => {
    const folders = (dir: string) =>
      readdirSync(join(ROOT, dir)).filter((name) => statSync(join(ROOT, dir, name)).isDirectory());
    for (const dir of ["worker/src", "container/src"]) {
      expect(folders(dir).filter((name) => !development.includes(`\`${dir}/${name}/\``))).toEqual([]);
    }
    const contractFiles = readdirSync(join(ROOT, "contract")).filter(
      (name) => /\.(ts|json)$/.test(name) && !name.endsWith(".test.ts"),
    );
    expect(contractFiles.filter((name) => !development.includes(`\`${name}\``))).toEqual([]);
  });
});

describe("every doc", () => {
  const DOCS = [
    "README.md",
    "docs/ARCHITECTURE.md",
    "docs/DEVELOPMENT.md",
    "docs/OPERATIONS.md",
    "docs/SECURITY.md",
    "docs/MIGRATING.md",
  ];
  /** Made by a build step, not committed: named by the docs, absent on a fresh clone. */
  const GENERATED = ["worker/public/vendor", "packages/client/dist"];
  /** ARCHITECTURE's "How to add a metric" walks a metric that does not exist yet. */
  const EXAMPLE_OF_A_NEW_METRIC = "container/src/metrics/symmetry.ts";

  it("names only paths that exist", () => {
    const missing: string[] = [];
    for (const doc of DOCS) {
      const text = read(doc);
      const named = [
        ...text.matchAll(/(?<![\w./-])(?:worker|container|contract|scripts|packages|docs)(?:\/[\w.-]+)+/g),
      ];
      const linked = [...text.matchAll(/\]\(([^)#\s]+)/g)]
        .map((m) => m[1] ?? "")
        .filter((target) => !/^[a-z]+:/.test(target))
        .map((target) => normalize(join(dirname(doc), target)));
      for (const path of [...named.map((m) => m[0].replace(/\.+$/, "")), ...linked]) {
        if (path === EXAMPLE_OF_A_NEW_METRIC || GENERATED.some((dir) => path.startsWith(dir))) continue;
        if (!existsSync(join(ROOT, path))) missing.push(`${doc}: ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("walks a metric that is really new in ARCHITECTURE's How to add a metric", () => {
    expect(read("docs/ARCHITECTURE.md")).toContain(EXAMPLE_OF_A_NEW_METRIC.replace("container/src/metrics/", ""));
    expect(existsSync(join(ROOT, EXAMPLE_OF_A_NEW_METRIC))).toBe(false);
    expect(VALID_METRICS as readonly string[]).not.toContain("symmetry");
  });

  it("names only npm scripts that package.json has", () => {
    const scripts = Object.keys(JSON.parse(read("package.json")).scripts);
    const named = new Set(DOCS.flatMap((doc) => [...read(doc).matchAll(/npm run ([a-z][\w:-]*)/g)].map((m) => m[1])));
    expect([...named].filter((name) => !scripts.includes(name as string))).toEqual([]);
  });
});
