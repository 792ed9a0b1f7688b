import { describe, expect, it } from "vitest";
import { MULTIPART_OVERHEAD_BYTES } from "../../contract/service.ts";
import { ADMISSION_BUDGET_BYTES, loadConfig, MAX_UPLOAD_BYTES } from "./config.ts";

describe("loadConfig", () => {
  it("takes the defaults, whose admission budget holds several uploads of the largest size", () => {
    const config = loadConfig({});
    expect(config.admissionBudgetBytes).toBe(ADMISSION_BUDGET_BYTES);
    expect(config.maxUploadBytes).toBe(MAX_UPLOAD_BYTES);
    expect(Math.floor(ADMISSION_BUDGET_BYTES / (MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES))).toBe(9);
  });

  it("refuses an admission budget that one upload of the largest size would not fit, in words that say why", () => {
    expect(() => loadConfig({ MAX_UPLOAD_BYTES: "1000000", ADMISSION_BUDGET_BYTES: "1000000" })).toThrow(
      "Expected ADMISSION_BUDGET_BYTES of at least 1065536 (MAX_UPLOAD_BYTES plus 65536 for the form around it) but received 1000000",
    );
    expect(loadConfig({ MAX_UPLOAD_BYTES: "1000000", ADMISSION_BUDGET_BYTES: "1065536" }).admissionBudgetBytes).toBe(
      1_065_536,
    );
  });

  it("refuses a setting that is not a positive integer", () => {
    expect(() => loadConfig({ ADMISSION_BUDGET_BYTES: "lots" })).toThrow(
      "Expected an integer of at least 1 for ADMISSION_BUDGET_BYTES but received lots",
    );
  });

  // The Worker's rule (contract/config.ts): `Number()` took these once, so the same line meant different things
  // to the two programs.
  it.each(["1e3", "0x10", " 12", "1.5"])("refuses %j for an integer, as the Worker does: plain digits only", (raw) => {
    expect(() => loadConfig({ ANALYSIS_QUEUE_LIMIT: raw })).toThrow(
      `Expected an integer from 1 to 10000 for ANALYSIS_QUEUE_LIMIT but received ${raw}`,
    );
  });

  it("gives job items every decode slot but one (at least one), and half the waiting places, unless told otherwise", () => {
    const slots = (env: Record<string, string>) => {
      const { batchDecodeSlots, batchQueueLimit } = loadConfig(env);
      return [batchDecodeSlots, batchQueueLimit];
    };
    expect(slots({ ANALYSIS_CONCURRENCY: "1" })).toEqual([1, 4]);
    expect(slots({ ANALYSIS_CONCURRENCY: "2" })).toEqual([1, 4]);
    expect(slots({ ANALYSIS_CONCURRENCY: "4", ANALYSIS_QUEUE_LIMIT: "5" })).toEqual([3, 2]);
    expect(slots({ ANALYSIS_CONCURRENCY: "4", BATCH_DECODE_SLOTS: "2", BATCH_QUEUE_LIMIT: "0" })).toEqual([2, 0]);
    // More slots than there are is no cap at all: capped, not refused (ANALYSIS_CONCURRENCY may follow the CPUs).
    expect(slots({ ANALYSIS_CONCURRENCY: "4", BATCH_DECODE_SLOTS: "9" })).toEqual([4, 4]);
    expect(() => loadConfig({ ANALYSIS_QUEUE_LIMIT: "8", BATCH_QUEUE_LIMIT: "9" })).toThrow(
      "Expected an integer from 0 to 8 for BATCH_QUEUE_LIMIT but received 9",
    );
    expect(loadConfig({})).toMatchObject({ batchRestFactor: 7, interactiveRecentMs: 1000 });
    expect(loadConfig({ BATCH_REST_FACTOR: "0", INTERACTIVE_RECENT_MS: "250" })).toMatchObject({
      batchRestFactor: 0,
      interactiveRecentMs: 250,
    });
    expect(() => loadConfig({ BATCH_REST_FACTOR: "101" })).toThrow(
      "Expected an integer from 0 to 100 for BATCH_REST_FACTOR but received 101",
    );
    expect(() => loadConfig({ BATCH_DECODE_SLOTS: "0" })).toThrow(
      "Expected an integer from 1 to 64 for BATCH_DECODE_SLOTS but received 0",
    );
  });
});
