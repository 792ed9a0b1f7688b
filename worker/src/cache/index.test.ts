import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AnalysisParams, AnalysisResponse } from "../../../contract/analysis.ts";
import { etagFor, readResult, resultKey, storeResult } from "./index.ts";

const BRIGHTNESS: AnalysisParams = { metrics: ["brightness"], edgeMode: null, background: null };
const HASH_A = "a".repeat(64);

describe("resultKey", () => {
  it("is stable for equal inputs and different for other bytes or parameters", async () => {
    const key = await resultKey(HASH_A, BRIGHTNESS);
    expect(key).toMatch(/^result:[0-9a-f]{64}$/);
    expect(await resultKey(HASH_A, { ...BRIGHTNESS })).toBe(key);
    expect(await resultKey("b".repeat(64), BRIGHTNESS)).not.toBe(key);
    expect(await resultKey(HASH_A, { ...BRIGHTNESS, metrics: ["median"] })).not.toBe(key);
    expect(await resultKey(HASH_A, { ...BRIGHTNESS, edgeMode: "all" })).not.toBe(key);
    expect(await resultKey(HASH_A, { ...BRIGHTNESS, background: { r: 0, g: 0, b: 0 } })).not.toBe(key);
  });

  it("does not contain the image hash it was made from", async () => {
    expect(await resultKey(HASH_A, BRIGHTNESS)).not.toContain(HASH_A.slice(0, 16));
  });
});

describe("etagFor", () => {
  it("is a weak tag of 32 hex digits", async () => {
    expect(etagFor(await resultKey(HASH_A, BRIGHTNESS))).toMatch(/^W\/"[0-9a-f]{32}"$/);
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
    const key = await resultKey("c".repeat(64), BRIGHTNESS);
    await storeResult(env.RESULTS, key, body, 60);
    const { cached: _c, processing_time_ms: _p, ...numbers } = body;
    expect(await readResult(env.RESULTS, key)).toEqual(numbers);
    expect(await readResult(env.RESULTS, "result:none")).toBeNull();
  });
});
