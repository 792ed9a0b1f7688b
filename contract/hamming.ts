/**
 * How far apart two 64-bit image hashes are (`hash.perceptual`, `hash.difference`: 16 hex digits each): the
 * Hamming distance, the number of bits in which they differ (0–64), and the perceptual hash's distance within
 * which two images count as the same picture. Shared by the container (tests, calibration) and the Worker (a
 * job's duplicates): no Node APIs.
 */

const HEX64 = /^[0-9a-f]{16}$/;

/**
 * The largest perceptual-hash distance (inclusive) at which two images count as the same picture: calibrated on
 * 36 different photographs and 19 re-encoded, resized, cropped, recoloured, rotated, bordered and watermarked
 * copies of each (docs/METRICS.md, `hash`; the script and the data: container/test/golden-v3/hash/). No pair of
 * different pictures of the 252,000 was within 15 (the closest: 16), and 96.4 % of the copies were (all the
 * re-encoded, resized and recoloured ones; the 10 % crops and 2° rotations least often). A perceptual hash has
 * 32 ones unless coefficients tie, so distances are even and 15 finds what 14 does.
 */
export const NEAR_DUPLICATE_MAX_DISTANCE = 15;

/** The number of 1 bits of a 32-bit integer. */
function popcount32(v: number): number {
  let x = v - ((v >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
}

/**
 * The number of bits in which two 64-bit hashes (16 lowercase hex digits each) differ, 0–64.
 *
 * @example
 * hammingDistance("8000000000000000", "8000000000000003"); // 2
 * hammingDistance("ffffffffffffffff", "0000000000000000"); // 64
 */
export function hammingDistance(a: string, b: string): number {
  if (!HEX64.test(a))
    throw new RangeError(`Expected 16 lowercase hex digits for a hash but received ${JSON.stringify(a)}`);
  if (!HEX64.test(b))
    throw new RangeError(`Expected 16 lowercase hex digits for a hash but received ${JSON.stringify(b)}`);
  const high = Number.parseInt(a.slice(0, 8), 16) ^ Number.parseInt(b.slice(0, 8), 16);
  const low = Number.parseInt(a.slice(8), 16) ^ Number.parseInt(b.slice(8), 16);
  return popcount32(high) + popcount32(low);
}

/**
 * Whether two perceptual hashes are of the same picture: within NEAR_DUPLICATE_MAX_DISTANCE bits.
 *
 * @example
 * isNearDuplicate("c9d63e89f0328975", "c9d63e89f0328975"); // true
 */
export function isNearDuplicate(a: string, b: string): boolean {
  return hammingDistance(a, b) <= NEAR_DUPLICATE_MAX_DISTANCE;
}
