import { describe, expect, it } from "vitest";
import { sha256Hex } from "../digest.ts";
import { instanceIndex, instanceName } from "./client.ts";

describe("instanceIndex", () => {
  it("takes the hash's first 32 bits modulo the instance count", () => {
    expect(instanceIndex(`ffffffff${"0".repeat(56)}`, 4)).toBe(3);
    expect(instanceIndex(`00000005${"f".repeat(56)}`, 4)).toBe(1);
    expect(instanceIndex("1234abcd", 1)).toBe(0);
  });

  it("spreads many hashes evenly", async () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 400; i++) {
      const hex = await sha256Hex(`image-${i}`);
      counts[instanceIndex(hex, 4)] = (counts[instanceIndex(hex, 4)] as number) + 1;
    }
    for (const count of counts) expect(count).toBeGreaterThan(70); // 100 each on average
  });
});

describe("instanceName", () => {
  it("names Durable Objects analyzer-<i>", () => {
    expect(instanceName(2)).toBe("analyzer-2");
  });
});
