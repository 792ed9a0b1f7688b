/** Golden-number tests' one assertion: `got` within `tolerance` of `want`, the message naming both. */
import { expect } from "vitest";

/**
 * @example
 * near(analysis.averageLuma, 146.28, 0.15, "average");
 */
export const near = (got: number | undefined, want: number, tolerance: number, what: string) =>
  expect(Math.abs((got ?? Number.NaN) - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(tolerance);
