import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AnalysisParams, AnalysisResponse } from "../../../contract/analysis.ts";
import { cachePartition, etagFor, readResult, resultKey, storeResult, urlResultKey } from "./index.ts";

const BRIGHTNESS: AnalysisParams = { metrics: ["brightness"], edgeMode: null, background: null };
const HASH_A = "a".repeat(64);
const SHARED = "shared";

describe("resultKey", () => {
  it("is stable for equal inputs and different for other bytes or parameters", async () => {
    const key = await resultKey(HASH_A, BRIGHTNESS, SHARED);
    expect(key).toMatch(/^result:[0-9a-f]{64}$/);
    expect(await resultKey(HASH_A, { ...BRIGHTNESS }, SHARED)).toBe(key);
    expect(await resultKey("b".repeat(64), BRIGHTNESS, SHARED)).not.toBe(key);
    expect(await resultKey(HASH_A, { ...BRIGHTNESS, metrics: ["median"] }, SHARED)).not.toBe(key);
    expect(await resultKey(HASH_A, { ...BRIGHTNESS, edgeMode: "all" }, SHARED)).not.toBe(key);
    expect(await resultKey(HASH_A, { ...BRIGHTNESS, background: { r: 0, g: 0, b: 0 } }, SHARED)).not.toBe(key);
  });

  it("differs between two keys' partitions, and is one for every key when shared", async () => {
    const one = cachePartition("key", { kind: "key", id: "1111" });
    const two = cachePartition("key", { kind: "key", id: "2222" });
    expect(one).toBe("key:1111");
    expect(await resultKey(HASH_A, BRIGHTNESS, one)).not.toBe(await resultKey(HASH_A, BRIGHTNESS, two));
    expect(cachePartition("shared", { kind: "key", id: "1111" })).toBe(
      cachePartition("shared", { kind: "ip", id: "x" }),
    );
    const url = new URL("https://example.com/a.png");
    expect(await urlResultKey(url, BRIGHTNESS, one)).not.toBe(await urlResultKey(url, BRIGHTNESS, two));
  });

  it("does not contain the image hash it was made from", async () => {
    expect(await resultKey(HASH_A, BRIGHTNESS, SHARED)).not.toContain(HASH_A.slice(0, 16));
  });
});

describe("etagFor", () => {
  it("is a weak tag of 32 hex digits that depends on the bytes and parameters only", async () => {
    const etag = await etagFor(HASH_A, BRIGHTNESS);
    expect(etag).toMatch(/^W\/"[0-9a-f]{32}"$/);
    expect(await etagFor(HASH_A, { ...BRIGHTNESS })).toBe(etag);
    expect(await etagFor("b".repeat(64), BRIGHTNESS)).not.toBe(etag);
    expect(await etagFor(HASH_A, { ...BRIGHTNESS, metrics: ["median"] })).not.toBe(etag);
  });
});

describe("storeResult and readResult", () => {
  it("keep the numbers and drop the per-request fields", async () => {
    const body = {
      brightness_score: 50,
      average_luminance: 128,
      width: 8,
      height: 8,
      algorithm: "rec709",
      cached: false,
      processing_time_ms: 12.3,
      format: "png",
      oriented_width: 8,
      oriented_height: 8,
      analysed_width: 8,
      analysed_height: 8,
    } satisfies AnalysisResponse;
    const key = await resultKey("c".repeat(64), BRIGHTNESS, SHARED);
    await storeResult(env.RESULTS, key, body, 60, 'W/"etag"');
    const { cached: _c, processing_time_ms: _p, ...numbers } = body;
    expect(await readResult(env.RESULTS, key)).toEqual({ result: numbers, etag: 'W/"etag"' });
    expect(await readResult(env.RESULTS, "result:none")).toBeNull();
  });
});
