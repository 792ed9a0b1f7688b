import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");

describe("README", () => {
  it("shows the typed client exactly as docs/client-example.ts, which worker/test/client.test.ts runs", () => {
    const block = /```ts\n([\s\S]*?)```/.exec(
      read("README.md").slice(read("README.md").indexOf("## A typed client")),
    )?.[1];
    expect(block?.trim()).toBe(read("docs/client-example.ts").trim());
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
});
