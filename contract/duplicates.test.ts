/**
 * The duplicate grouping: multi-index hashing finds exactly the pairs a brute-force O(n²) comparison finds (on random
 * hashes with planted near pairs, fast-check), the groups are the connected components of those pairs, and the
 * answers for 1,000 and 10,000 items take the time printed here.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DuplicatesSchema,
  groupDuplicates,
  type HashedItem,
  MAX_SUBSTRINGS,
  MIN_SUBSTRINGS,
  nearPairs,
  substringsFor,
} from "./duplicates.ts";
import { NEAR_DUPLICATE_MAX_DISTANCE } from "./hamming.ts";

/** The reference distance: BigInt XOR and a count of the binary digits, nothing shared with the module. */
const reference = (a: string, b: string) =>
  [...(BigInt(`0x${a}`) ^ BigInt(`0x${b}`)).toString(2)].filter((c) => c === "1").length;

/** Set bits of a 32-bit integer (the usual SWAR count, for the O(n²) timing only). */
function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

const hex = (n: bigint) => n.toString(16).padStart(16, "0");

/** Every pair within `d`, by comparing each with each. */
function brutePairs(hashes: string[], d: number): Array<[number, number, number]> {
  const pairs: Array<[number, number, number]> = [];
  for (let i = 0; i < hashes.length; i++) {
    for (let j = i + 1; j < hashes.length; j++) {
      const dist = reference(hashes[i] as string, hashes[j] as string);
      if (dist <= d) pairs.push([i, j, dist]);
    }
  }
  return pairs;
}

/** Random 64-bit hashes, some of them copies of an earlier one with up to `flips` bits flipped. */
const plantedHashes = (flips: number) =>
  fc
    .array(
      fc.record({
        base: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        copyOf: fc.option(fc.nat(), { nil: undefined }),
        bits: fc.uniqueArray(fc.integer({ min: 0, max: 63 }), { maxLength: flips }),
      }),
      { minLength: 0, maxLength: 60 },
    )
    .map((specs) => {
      const values: bigint[] = [];
      for (const spec of specs) {
        const source = spec.copyOf !== undefined && values.length > 0 ? values[spec.copyOf % values.length] : undefined;
        let value = source ?? spec.base;
        if (source !== undefined) for (const bit of spec.bits) value ^= 1n << BigInt(bit);
        values.push(value);
      }
      return values.map(hex);
    });

describe("nearPairs", () => {
  it("finds exactly the pairs a brute-force comparison finds, whatever the distance", () => {
    fc.assert(
      fc.property(
        plantedHashes(24),
        fc.integer({ min: 0, max: 24 }),
        fc.option(fc.oneof(fc.constant(0), fc.integer({ min: MIN_SUBSTRINGS, max: MAX_SUBSTRINGS })), {
          nil: undefined,
        }),
        (hashes, d, substrings) => {
          expect(nearPairs(hashes, d, substrings)).toEqual(brutePairs(hashes, d));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("counts distances bit by bit, at the substrings' edges too", () => {
    expect(nearPairs(["0000000000000000", "8000000000000001", "0000000180000000"], 2)).toEqual([
      [0, 1, 2],
      [0, 2, 2],
    ]);
    // 4 bits apart, one in each substring: ⌊4/4⌋ = 1 flip a substring is probed.
    expect(nearPairs(["0000000000000000", "0001000100010001"], 4)).toEqual([[0, 1, 4]]);
    expect(nearPairs(["0000000000000000", "0001000100010001"], 3)).toEqual([]);
    expect(nearPairs(["0000000000000000", "ffffffffffffffff"], 64)).toEqual([[0, 1, 64]]);
  });

  it("cuts hashes into more, narrower substrings for fewer hashes or a larger distance, or compares all pairs of a few", () => {
    expect(substringsFor(10_000, 0)).toBe(MIN_SUBSTRINGS);
    expect(substringsFor(10_000, 10)).toBeLessThan(substringsFor(1_000, 10));
    expect(substringsFor(10_000, 4)).toBeLessThan(substringsFor(10_000, 15));
    expect(substringsFor(60, 10)).toBe(0);
    expect(substringsFor(1_000, 15)).toBe(0);
    expect(substringsFor(10_000, 15)).toBeGreaterThan(0);
  });

  it("refuses a hash that is not 16 hex digits, and a distance outside 0–64, in words", () => {
    expect(() => nearPairs(["abc"], 4)).toThrow('Expected 16 hex digits for a perceptual hash but received "abc"');
    expect(() => nearPairs([], 65)).toThrow("Expected an integer from 0 to 64 for maxDistance but received 65");
    expect(() => nearPairs([], 4, 3)).toThrow("Expected 0 or an integer from 4 to 16 for substrings but received 3");
  });
});

/** The reference grouping: components of the brute-force graph over distinct files, by repeated merging. */
function bruteGroups(items: HashedItem[], d: number) {
  const sorted = [...items].sort((a, b) => a.index - b.index);
  const shas = [...new Set(sorted.map((item) => item.sha256))];
  const hashOf = (sha: string) => sorted.find((item) => item.sha256 === sha)?.perceptual as string;
  let components = shas.map((sha) => [sha]);
  for (let merged = true; merged; ) {
    merged = false;
    outer: for (let a = 0; a < components.length; a++) {
      for (let b = a + 1; b < components.length; b++) {
        const linked = (components[a] as string[]).some((x) =>
          (components[b] as string[]).some((y) => reference(hashOf(x), hashOf(y)) <= d),
        );
        if (linked) {
          components[a] = [...(components[a] as string[]), ...(components[b] as string[])];
          components = components.filter((_, i) => i !== b);
          merged = true;
          break outer;
        }
      }
    }
  }
  const indexesOf = (sha: string) => sorted.filter((item) => item.sha256 === sha).map((item) => item.index);
  const exact = shas
    .map((sha) => indexesOf(sha))
    .filter((indexes) => indexes.length > 1)
    .map((indexes) => ({ kind: "exact", indexes, max_distance: 0 }));
  const near = components
    .filter((component) => component.length > 1)
    .map((component) => {
      const hashes = component.map(hashOf);
      const max = Math.max(...hashes.flatMap((x) => hashes.map((y) => reference(x, y))));
      return { kind: "near", indexes: component.flatMap(indexesOf).sort((a, b) => a - b), max_distance: max };
    });
  return [...exact, ...near].sort(
    (a, b) => (a.indexes[0] as number) - (b.indexes[0] as number) || (a.kind === "exact" ? -1 : 1),
  );
}

describe("groupDuplicates", () => {
  const item = (index: number, sha256: string, perceptual: string): HashedItem => ({ index, sha256, perceptual });

  it("groups the same file as exact and linked files as near, with every item of them, in item order", () => {
    const groups = groupDuplicates(
      [
        item(3, "b", "00000000000000ff"),
        item(0, "a", "0000000000000000"),
        item(1, "c", "ffffffffffffffff"),
        item(2, "a", "0000000000000000"),
        item(4, "d", "0000000000000007"),
        item(5, "e", "fffffffffffffff0"),
      ],
      5,
    );
    expect(groups).toEqual([
      { kind: "exact", indexes: [0, 2], max_distance: 0 },
      // a–d (3 bits) and d–b (5 bits) link a to b, 8 bits apart: single link, the chain shows in max_distance.
      { kind: "near", indexes: [0, 2, 3, 4], max_distance: 8 },
      { kind: "near", indexes: [1, 5], max_distance: 4 },
    ]);
  });

  it("puts nobody in a group alone: one file twice is exact only, distinct files far apart are in none", () => {
    expect(groupDuplicates([item(0, "a", "0000000000000000"), item(1, "a", "0000000000000000")], 10)).toEqual([
      { kind: "exact", indexes: [0, 1], max_distance: 0 },
    ]);
    expect(groupDuplicates([item(0, "a", "0000000000000000"), item(1, "b", "ffffffffffffffff")], 10)).toEqual([]);
    expect(groupDuplicates([], 10)).toEqual([]);
  });

  it("links two different files with the same perceptual hash at distance 0", () => {
    expect(groupDuplicates([item(0, "a", "00ff00ff00ff00ff"), item(1, "b", "00FF00FF00FF00FF")], 0)).toEqual([
      { kind: "near", indexes: [0, 1], max_distance: 0 },
    ]);
  });

  it("equals the brute-force grouping on random jobs with planted copies and exact repeats", () => {
    fc.assert(
      fc.property(
        plantedHashes(16),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.integer({ min: 0, max: 16 }),
        (hashes, repeats, d) => {
          const items = hashes.map((h, i) => item(i, `file${i}`, h));
          // Exact repeats: later items that are an earlier file again.
          for (const [k, r] of repeats.entries()) {
            const source = items[r % Math.max(1, items.length)];
            if (source) items.push(item(items.length + k * 0, source.sha256, source.perceptual));
          }
          expect(groupDuplicates(items, d)).toEqual(bruteGroups(items, d));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("makes answers the schema accepts", () => {
    const groups = groupDuplicates([item(0, "a", "0000000000000000"), item(1, "a", "0000000000000000")], 10);
    const answer = {
      groups: groups.map((g) => ({
        kind: g.kind,
        items: g.indexes.map((index) => ({ index, id: null })),
        max_distance: g.max_distance,
      })),
      threshold: 10,
      compared: 2,
    };
    expect(DuplicatesSchema.parse(answer)).toEqual(answer);
  });

  it("groups 1,000 and 10,000 items at the calibrated threshold in the time printed", () => {
    const d = NEAR_DUPLICATE_MAX_DISTANCE;
    // A deterministic generator (xorshift64*), a tenth of the items a near copy of an earlier one.
    let state = 0x9e3779b97f4a7c15n;
    const next = () => {
      state ^= state >> 12n;
      state ^= (state << 25n) & 0xffffffffffffffffn;
      state ^= state >> 27n;
      return (state * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
    };
    for (const n of [1_000, 10_000]) {
      const values: bigint[] = [];
      for (let i = 0; i < n; i++) {
        const r = next();
        if (i > 0 && r % 10n === 0n)
          values.push((values[Number(r % BigInt(i))] as bigint) ^ (1n << (r % 64n)) ^ (1n << ((r >> 8n) % 64n)));
        else values.push(r);
      }
      const items = values.map((v, i) => item(i, `f${i}`, hex(v)));
      groupDuplicates(items, d); // warm-up
      const runs = n === 1_000 ? 20 : 3;
      const started = performance.now();
      let groups = 0;
      for (let run = 0; run < runs; run++) groups = groupDuplicates(items, d).length;
      const ms = (performance.now() - started) / runs;
      // The O(n²) alternative with the same arithmetic (32-bit halves, a popcount each), for scale: run on the
      // first 1,000 and scaled by the pairs' count.
      const his = Int32Array.from(values, (v) => Number(v >> 32n) | 0);
      const los = Int32Array.from(values, (v) => Number(v & 0xffffffffn) | 0);
      const m = 1_000;
      const countWithin = () => {
        let within = 0;
        for (let i = 0; i < m; i++) {
          for (let j = i + 1; j < m; j++) {
            const dist =
              popcount((his[i] as number) ^ (his[j] as number)) + popcount((los[i] as number) ^ (los[j] as number));
            if (dist <= d) within++;
          }
        }
        return within;
      };
      countWithin(); // warm-up
      const bruteStarted = performance.now();
      const within = countWithin();
      const bruteMs = ((performance.now() - bruteStarted) * (n * (n - 1))) / (m * (m - 1));
      console.log(
        `groupDuplicates: ${n} items, threshold ${d}, ${substringsFor(n, d) || "all pairs, no"} substrings: ${ms.toFixed(1)} ms ` +
          `(${groups} groups); all n²/2 pairs compared by the test: ~${bruteMs.toFixed(1)} ms`,
      );
      expect(groups).toBeGreaterThan(n / 20);
      expect(within).toBeGreaterThan(0);
    }
  });
});
