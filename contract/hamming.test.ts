import { describe, expect, it } from "vitest";
import { hammingDistance, isNearDuplicate, NEAR_DUPLICATE_MAX_DISTANCE } from "./hamming.ts";

/** The slow way: digit by digit, bit by bit. */
function slowDistance(a: string, b: string): number {
  let d = 0;
  for (let i = 0; i < 16; i++) {
    const x = Number.parseInt(a[i] as string, 16) ^ Number.parseInt(b[i] as string, 16);
    for (let bit = 0; bit < 4; bit++) d += (x >> bit) & 1;
  }
  return d;
}

describe("the Hamming distance of two 64-bit hashes", () => {
  it("counts the bits in which they differ, 0 to 64", () => {
    expect(hammingDistance("c9d63e89f0328975", "c9d63e89f0328975")).toBe(0);
    expect(hammingDistance("8000000000000000", "0000000000000000")).toBe(1);
    expect(hammingDistance("0000000000000001", "0000000000000000")).toBe(1);
    expect(hammingDistance("0000000100000000", "0000000000000000")).toBe(1); // the halves' seam
    expect(hammingDistance("ffffffffffffffff", "0000000000000000")).toBe(64);
    expect(hammingDistance("aaaaaaaaaaaaaaaa", "5555555555555555")).toBe(64);
  });

  it("is the bit-by-bit count for any pair", () => {
    let state = 1;
    const hex = () =>
      Array.from({ length: 16 }, () => {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        return (state >>> 28).toString(16);
      }).join("");
    for (let i = 0; i < 500; i++) {
      const [a, b] = [hex(), hex()];
      expect(hammingDistance(a, b)).toBe(slowDistance(a, b));
      expect(hammingDistance(b, a)).toBe(hammingDistance(a, b));
    }
  });

  it("refuses anything but 16 lowercase hex digits, in words", () => {
    expect(() => hammingDistance("C9D63E89F0328975", "c9d63e89f0328975")).toThrow(
      'Expected 16 lowercase hex digits for a hash but received "C9D63E89F0328975"',
    );
    expect(() => hammingDistance("c9d63e89f0328975", "c9d6")).toThrow("Expected 16 lowercase hex digits");
  });
});

describe("near duplicates", () => {
  it("are within NEAR_DUPLICATE_MAX_DISTANCE bits, inclusive", () => {
    const a = "0000000000000000";
    const at = ((1n << BigInt(NEAR_DUPLICATE_MAX_DISTANCE)) - 1n).toString(16).padStart(16, "0");
    const beyond = ((1n << BigInt(NEAR_DUPLICATE_MAX_DISTANCE + 1)) - 1n).toString(16).padStart(16, "0");
    expect(isNearDuplicate(a, at)).toBe(true);
    expect(isNearDuplicate(a, beyond)).toBe(false);
  });
});
