import { describe, expect, it } from "vitest";
import { durationMs, integerSetting } from "./config.ts";

describe("integerSetting", () => {
  it("reads plain decimal digits, and the fallback when the setting is absent or empty", () => {
    expect(integerSetting({ PORT: "9000" }, "PORT", 8080)).toBe(9000);
    expect(integerSetting({ PORT: "007" }, "PORT", 8080)).toBe(7);
    // wrangler.toml may give a number where the process environment gives a string.
    expect(integerSetting({ PORT: 9001 }, "PORT", 8080)).toBe(9001);
    expect(integerSetting({}, "PORT", 8080)).toBe(8080);
    expect(integerSetting({ PORT: "" }, "PORT", 8080)).toBe(8080);
    expect(integerSetting({ PORT: undefined }, "PORT", 8080)).toBe(8080);
  });

  it.each(["1e3", "0x10", " 12", "12 ", " ", "1.5", "1_000", "+5", "-1", "Infinity", "lots", "9007199254740993"])(
    "refuses %j, which is not plain digits (or not a safe integer), in one form of message",
    (raw) => {
      expect(() => integerSetting({ MAX_UPLOAD_BYTES: raw }, "MAX_UPLOAD_BYTES", 5)).toThrow(
        new Error(`Expected an integer of at least 1 for MAX_UPLOAD_BYTES but received ${raw}`),
      );
    },
  );

  it("holds a value to its range, and says the range it was held to", () => {
    expect(integerSetting({ TTL: "60" }, "TTL", 600, { min: 60 })).toBe(60);
    expect(() => integerSetting({ TTL: "59" }, "TTL", 600, { min: 60 })).toThrow(
      new Error("Expected an integer of at least 60 for TTL but received 59"),
    );
    expect(integerSetting({ SLOTS: "0" }, "SLOTS", 4, { min: 0, max: 8 })).toBe(0);
    expect(integerSetting({ SLOTS: "8" }, "SLOTS", 4, { min: 0, max: 8 })).toBe(8);
    expect(() => integerSetting({ SLOTS: "9" }, "SLOTS", 4, { min: 0, max: 8 })).toThrow(
      new Error("Expected an integer from 0 to 8 for SLOTS but received 9"),
    );
    expect(() => integerSetting({ PORT: "0" }, "PORT", 8080, { max: 65_535 })).toThrow(
      new Error("Expected an integer from 1 to 65535 for PORT but received 0"),
    );
    // The fallback is the program's own default: it is not checked against the range.
    expect(integerSetting({}, "SLOTS", 99, { max: 8 })).toBe(99);
  });
});

describe("durationMs", () => {
  it.each([
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["7d", 604_800_000],
    ["0s", 0],
  ])("reads %s as %i ms", (raw, ms) => {
    expect(durationMs(raw)).toBe(ms);
  });

  it.each(["", "300", "5 m", " 5m", "5M", "1.5h", "1e3s", "5w", "soon"])("refuses %j (NaN)", (raw) => {
    expect(durationMs(raw)).toBeNaN();
  });
});
