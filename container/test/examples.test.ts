import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { realExamples } from "../../scripts/examples.ts";

const withoutTimes = (value: unknown) =>
  JSON.parse(JSON.stringify(value), (k, v) => (k === "processing_time_ms" ? 0 : v));

describe("the OpenAPI examples (contract/examples.json)", () => {
  it("are what the engine really answers on the reference samples (npm run gen:examples renews them)", async () => {
    const committed = JSON.parse(readFileSync(new URL("../../contract/examples.json", import.meta.url), "utf8"));
    expect(withoutTimes(committed)).toEqual(withoutTimes(await realExamples()));
  });
});
