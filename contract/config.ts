/**
 * How both programs read a setting from their environment (the Worker's `[vars]`, the container's process
 * environment): one rule per kind of value, and one form of message when a value breaks it, "Expected … for
 * NAME but received …", so an operator reads the same words whichever side refused.
 *
 * An integer is plain decimal digits. `Number()` alone would also take `1e3`, `0x10`, ` 12` and `1.5e3`: a value
 * the Worker refused the container took, and the same wrangler.toml line meant different things to the two.
 */

/** Settings as a program receives them: strings from the environment (wrangler.toml may give numbers), or absent. */
export type SettingsSource = Readonly<Record<string, unknown>>;

/** The range an integer setting must fall in, both ends included. */
export interface IntegerRange {
  /** Default 1: most settings are counts, sizes or times, for which 0 means nothing useful. */
  min?: number;
  /** Default Number.MAX_SAFE_INTEGER: no bound but what a double holds exactly. */
  max?: number;
}

const DIGITS = /^\d+$/;

/**
 * Reads one integer setting (plain decimal digits, within `range`), or `fallback` when it is absent or empty.
 *
 * @example
 * integerSetting({ PORT: "9000" }, "PORT", 8080, { max: 65_535 }); // 9000
 * integerSetting({}, "PORT", 8080); // 8080
 * integerSetting({ PORT: "1e3" }, "PORT", 8080); // throws "Expected an integer of at least 1 for PORT but received 1e3"
 * integerSetting({ SLOTS: "9" }, "SLOTS", 4, { min: 0, max: 8 }); // throws "Expected an integer from 0 to 8 for SLOTS but received 9"
 */
export function integerSetting(
  env: SettingsSource,
  name: string,
  fallback: number,
  { min = 1, max = Number.MAX_SAFE_INTEGER }: IntegerRange = {},
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const text = String(raw);
  const value = DIGITS.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new Error(`Expected an integer ${range} for ${name} but received ${text}`);
  }
  return value;
}

/** Milliseconds in one of each unit a duration setting may use. */
export const DURATION_UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export type DurationUnit = keyof typeof DURATION_UNIT_MS;

const DURATION = /^(\d+)(s|m|h|d)$/;

/**
 * A duration written as digits and one unit (`30s`, `5m`, `1h`, `7d`), in milliseconds; NaN for anything else
 * (no bare numbers: `300` would be seconds to one reader and milliseconds to another). The caller says which units
 * and range a setting allows, in its own message.
 *
 * @example
 * durationMs("5m"); // 300000
 * durationMs("90"); // NaN
 */
export function durationMs(raw: string): number {
  const match = DURATION.exec(raw);
  if (!match) return Number.NaN;
  return Number(match[1]) * DURATION_UNIT_MS[match[2] as DurationUnit];
}
