/**
 * The GitHub Actions workflows say what the rest of the project says: test.yml runs, on each Node, the tests
 * .ci/run runs on it; deploy.yml makes the queues and the bucket wrangler.toml binds, and adds the lifecycle rule
 * the README and OPERATIONS give. (.ci/run checks both files against the workflow schema with action-validator.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../", import.meta.url).pathname;
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/** What .ci/run runs as the tests on each of its Nodes, by version: `npm test` on NODE_CURRENT, vitest on the rest. */
function ciRunTests(ci: string): Record<string, string> {
  const tests: Record<string, string> = {};
  for (const variable of ["NODE_CURRENT", "NODE_OLDEST", "NODE_NEWEST"]) {
    const version = new RegExp(`^${variable}=(\\S+)$`, "m").exec(ci)?.[1];
    const command = new RegExp(`^on_node "\\$${variable}" (npm test|npx vitest run.*)$`, "m").exec(ci)?.[1];
    if (version === undefined || command === undefined) throw new Error(`.ci/run: no ${variable} or no tests for it`);
    tests[version] = command;
  }
  return tests;
}

/** test.yml's matrix: each entry's `node` and its `tests` command, by version. */
function matrixTests(workflow: string): Record<string, string> {
  const entries = workflow.matchAll(/^ {10}- node: "?([\d.]+)"?\n((?: {12}\S.*\n)*)/gm);
  return Object.fromEntries(
    [...entries].map(([, node, keys]) => [node, /^ {12}tests: (.+)$/m.exec(keys ?? "")?.[1] ?? "(no tests)"]),
  );
}

describe("test.yml", () => {
  it("runs on each of .ci/run's Nodes the tests .ci/run runs on it, and on no other Node", () => {
    const ci = ciRunTests(read(".ci/run"));
    expect(Object.keys(ci)).toHaveLength(3);
    expect(matrixTests(read(".github/workflows/test.yml"))).toEqual(ci);
  });
});

describe("deploy.yml", () => {
  const deploy = read(".github/workflows/deploy.yml");
  const toml = parse(read("wrangler.toml")) as {
    queues: { producers: { queue: string }[]; consumers: { queue: string; dead_letter_queue?: string }[] };
    r2_buckets: { bucket_name: string }[];
  };

  it("makes every queue and the bucket wrangler.toml binds", () => {
    const queues = new Set([
      ...toml.queues.producers.map((producer) => producer.queue),
      ...toml.queues.consumers.flatMap((consumer) => [consumer.queue, consumer.dead_letter_queue ?? []].flat()),
    ]);
    const made = /^ +for queue in (.+); do$/m.exec(deploy)?.[1]?.split(" ");
    expect(new Set(made)).toEqual(queues);
    expect(toml.r2_buckets.map((bucket) => bucket.bucket_name)).toEqual([
      /npx wrangler r2 bucket create (\S+)$/m.exec(deploy)?.[1],
    ]);
  });

  it("adds the lifecycle rule the README and OPERATIONS give, only when the bucket's list lacks a rule of its name", () => {
    const add = (text: string) => /npx wrangler r2 bucket lifecycle add (\S+) (\S+) .*$/m.exec(text);
    const readme = add(read("README.md"));
    expect(readme).not.toBeNull();
    expect(add(deploy)?.[0]).toBe(readme?.[0]);
    expect(add(read("docs/OPERATIONS.md"))?.[0]).toBe(readme?.[0]);
    const [, bucket, rule] = readme ?? [];
    expect(deploy).toContain(`npx wrangler r2 bucket lifecycle list ${bucket} `);
    expect(deploy).toContain(`grep -Eq '^name:[[:space:]]+${rule}$'`);
  });
});
