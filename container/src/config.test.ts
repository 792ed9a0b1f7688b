import { describe, expect, it } from "vitest";
import { ADMISSION_BUDGET_BYTES, loadConfig, MAX_UPLOAD_BYTES, MULTIPART_OVERHEAD_BYTES } from "./config.ts";

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
      "Expected a positive integer up to 9007199254740991 for ADMISSION_BUDGET_BYTES but received lots",
    );
  });
});
