/**
 * Near-duplicates across a batch job: the answer of `GET /v1/jobs/{job_id}/duplicates` (its zod schema, shared by
 * the Worker's route, the typed client and the CLI) and the pure grouping it is made by.
 *
 * - **Exact** duplicates: items whose files have the same SHA-256 (`max_distance` 0).
 * - **Near** duplicates: the connected components of the graph whose nodes are the job's distinct files and whose
 *   edges join two files whose 64-bit perceptual hashes differ in at most `maxDistance` bits (single link). A
 *   component of two files or more is a group holding every item of its files; its `max_distance` is the largest
 *   Hamming distance between any two of its members (above `maxDistance` only when a chain links them).
 *
 * The pairs within `maxDistance` are found by multi-index hashing (Norouzi, Punjani & Fleet, "Fast Search in Hamming
 * Space with Multi-Index Hashing", CVPR 2012): the 64 bits are cut into m substrings; two hashes within d bits differ
 * in at most ⌊d/m⌋ bits in one substring at least (pigeonhole), so each hash is compared only with the earlier
 * hashes in the m tables' buckets within ⌊d/m⌋ bits of its own substrings, instead of with every other hash. m (an
 * even count from 4 to 16) is the one with the least expected work for n hashes (`substringsFor`; the paper's
 * m ≈ 64 / log2 n), and comparing all n²/2 pairs, one sequential sweep, is chosen instead when it is less work:
 * at the calibrated threshold of 15 bits, up to about 3,000 hashes. The work per hash is then a constant number
 * of probes (72 at d = 15 with 8 substrings) plus the bucket's hashes, growing as n / 2^(64/m), not as n.
 * Measured on the development machine (2 cores, busy; duplicates.test.ts prints them): 1,000 items about 3 ms,
 * 10,000 about 200–450 ms. Pure: plain values in, plain values out.
 */
import { z } from "zod";

/** Bits in a perceptual hash. */
export const PERCEPTUAL_HASH_BITS = 64;

const distance = z.number().int().min(0).max(PERCEPTUAL_HASH_BITS);

export const DuplicateGroupSchema = z.object({
  kind: z
    .enum(["exact", "near"])
    .describe(
      "exact: the same file (the same SHA-256); near: files whose perceptual hashes are linked within `threshold` bits.",
    ),
  items: z
    .array(
      z.object({
        index: z.number().int().min(0).describe("The item's place in the submission, from 0."),
        id: z.string().nullable().describe("Your reference for it (a file's name for uploads), or null."),
      }),
    )
    .min(2)
    .describe("In item order."),
  max_distance: distance.describe(
    "The largest Hamming distance between the perceptual hashes of two members (0 for exact duplicates). Above `threshold` only when a chain of near-duplicates links them.",
  ),
});

/** `GET /v1/jobs/{job_id}/duplicates`. */
export const DuplicatesSchema = z.object({
  groups: z.array(DuplicateGroupSchema).describe("In order of their first item; an exact group before a near one."),
  threshold: distance.describe("The largest Hamming distance that links two perceptual hashes (docs/METRICS.md)."),
  compared: z
    .number()
    .int()
    .min(0)
    .describe("Items compared: those that succeeded. A failed or cancelled item has no hash and is in no group."),
});

export type DuplicateGroup = z.infer<typeof DuplicateGroupSchema>;
export type Duplicates = z.infer<typeof DuplicatesSchema>;

/** An item with its hashes, as the job keeps them. */
export interface HashedItem {
  index: number;
  /** SHA-256 of the file, hex. */
  sha256: string;
  /** 64-bit perceptual hash, 16 hex digits. */
  perceptual: string;
}

/** A group before its items' ids are joined: the items' indexes, in order. */
export interface IndexGroup {
  kind: "exact" | "near";
  indexes: number[];
  max_distance: number;
}

/** The set bits of a 32-bit integer. */
function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** A parsed hash: its high and low 32 bits. */
interface Bits {
  hi: number;
  lo: number;
}

function parseHash(hex: string): Bits {
  if (!/^[0-9a-f]{16}$/i.test(hex)) {
    throw new TypeError(`Expected 16 hex digits for a perceptual hash but received ${JSON.stringify(hex)}`);
  }
  return { hi: Number.parseInt(hex.slice(0, 8), 16), lo: Number.parseInt(hex.slice(8), 16) };
}

const bitDistance = (a: Bits, b: Bits) => popcount32(a.hi ^ b.hi) + popcount32(a.lo ^ b.lo);

/** Where a substring lies: which 32-bit half, its shift from the half's low end, its width in bits. */
interface Substring {
  word: "hi" | "lo";
  shift: number;
  width: number;
}

/** The fewest and most substrings a hash is cut into (16 bits at most, so that a table has 65,536 rows). */
export const MIN_SUBSTRINGS = 4;
export const MAX_SUBSTRINGS = 16;

/** `m` substrings, none across the halves: ⌈m/2⌉ in the high half, ⌊m/2⌋ in the low, widths differing by 1 at most. */
function layout(m: number): Substring[] {
  const out: Substring[] = [];
  for (const [word, parts] of [
    ["hi", Math.ceil(m / 2)],
    ["lo", Math.floor(m / 2)],
  ] as const) {
    let top = 32;
    for (let p = 0; p < parts; p++) {
      const width = Math.floor(32 / parts) + (p < 32 % parts ? 1 : 0);
      top -= width;
      out.push({ word, shift: top, width });
    }
  }
  return out;
}

/** C(n, k), small. */
function choose(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

/** Buckets within `radius` bits of a `width`-bit value: how many probes one table takes. */
function probesOf(width: number, radius: number): number {
  let sum = 0;
  for (let t = 0; t <= Math.min(radius, width); t++) sum += choose(width, t);
  return sum;
}

/**
 * What a probe and what one comparison of all pairs cost, in candidates compared: a probe is a random read of a
 * table, a candidate three reads the probe's chain leads to, and all pairs are compared in one sequential sweep of
 * two typed arrays. Measured with nearPairs on 1,000 and 10,000 random hashes at d = 10 and 15 for every m (a
 * probe costs 3 to 5 candidates, a comparison of all pairs about half of one, on the development machine).
 */
const PROBE_COST_IN_CANDIDATES = 4;
const PAIR_COST_IN_CANDIDATES = 0.5;

/**
 * How many substrings make the least work for `n` hashes at `maxDistance`, or 0 when comparing all pairs is less:
 * per hash, the probes (Σ over substrings of the buckets within ⌊d/m⌋ bits), each costing PROBE_COST_IN_CANDIDATES,
 * plus the earlier hashes expected in them (n / 2 / 2^width each, for hashes spread evenly); against n / 2
 * comparisons of PAIR_COST_IN_CANDIDATES. More substrings mean narrower ones, fewer probes each, fuller buckets:
 * the paper's m ≈ 64 / log2(n) for small d. At the calibrated threshold (15 bits) all pairs win up to about 3,000
 * hashes: a job's 1,000 at most are compared in about 3 ms either way.
 */
export function substringsFor(n: number, maxDistance: number): number {
  let best = 0;
  let bestCost = (n / 2) * PAIR_COST_IN_CANDIDATES;
  // Even counts only: an odd one cuts the halves unevenly (three 11-bit substrings and two 16-bit ones for 5), and
  // its wide substrings' probes cost more than its narrow ones save (measured: every odd m slower than m ± 1).
  for (let m = MIN_SUBSTRINGS; m <= MAX_SUBSTRINGS; m += 2) {
    const radius = Math.floor(maxDistance / m);
    const cost = layout(m).reduce(
      (sum, s) => sum + probesOf(s.width, radius) * (PROBE_COST_IN_CANDIDATES + n / 2 / 2 ** s.width),
      0,
    );
    if (cost < bestCost) {
      best = m;
      bestCost = cost;
    }
  }
  return best;
}

/** Every pair within `maxDistance`, by comparing each hash with each later one. */
function allPairs(his: Int32Array, los: Int32Array, maxDistance: number): Array<[number, number, number]> {
  const pairs: Array<[number, number, number]> = [];
  for (let i = 0; i < his.length; i++) {
    const hi = his[i] as number;
    const lo = los[i] as number;
    for (let j = i + 1; j < his.length; j++) {
      const d = popcount32(hi ^ (his[j] as number)) + popcount32(lo ^ (los[j] as number));
      if (d <= maxDistance) pairs.push([i, j, d]);
    }
  }
  return pairs;
}

/** Every mask of `width` bits with at most `radius` bits set: the probes around a substring's value. */
function masksWithin(width: number, radius: number): Int32Array {
  const masks: number[] = [];
  for (let m = 0; m < 1 << width; m++) if (popcount32(m) <= radius) masks.push(m);
  return Int32Array.from(masks);
}

/**
 * Every pair of `hashes` (16 hex digits each) whose Hamming distance is at most `maxDistance`, by multi-index
 * hashing: `[i, j, distance]` with i < j, ordered by i then j. `substrings` (4–16, or 0: compare all pairs) is
 * chosen by `substringsFor` unless given (the tests try each).
 *
 * @example
 * nearPairs(["0000000000000000", "0000000000000003", "ffffffffffffffff"], 2); // [[0, 1, 2]]
 */
export function nearPairs(
  hashes: readonly string[],
  maxDistance: number,
  substrings = substringsFor(hashes.length, maxDistance),
): Array<[number, number, number]> {
  if (!Number.isInteger(maxDistance) || maxDistance < 0 || maxDistance > PERCEPTUAL_HASH_BITS) {
    throw new RangeError(`Expected an integer from 0 to 64 for maxDistance but received ${maxDistance}`);
  }
  if (
    !Number.isInteger(substrings) ||
    (substrings !== 0 && (substrings < MIN_SUBSTRINGS || substrings > MAX_SUBSTRINGS))
  ) {
    throw new RangeError(`Expected 0 or an integer from 4 to 16 for substrings but received ${substrings}`);
  }
  const n = hashes.length;
  const his = new Int32Array(n);
  const los = new Int32Array(n);
  hashes.forEach((hex, i) => {
    const h = parseHash(hex);
    his[i] = h.hi;
    los[i] = h.lo;
  });
  if (substrings === 0) return allPairs(his, los, maxDistance);
  const radius = Math.floor(maxDistance / substrings);
  // One table per substring, filled as the hashes are read: each hash is looked up among the earlier ones, then
  // added, so each pair is met once, from its later hash. A table is a chain per substring value in typed arrays
  // (head: the last hash with that value; next: the one before it), not Maps: a probe is a read or two.
  const tables = layout(substrings).map(({ word, shift, width }) => {
    const words = word === "hi" ? his : los;
    const mask = (1 << width) - 1;
    const values = Int32Array.from(words, (w) => (w >>> shift) & mask);
    return {
      values,
      head: new Int32Array(1 << width).fill(-1),
      next: new Int32Array(n),
      masks: masksWithin(width, radius),
    };
  });
  const pairs: Array<[number, number, number]> = [];
  // Which hash last looked at each earlier one: a pair met in several buckets is compared once.
  const seenBy = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const hi = his[i] as number;
    const lo = los[i] as number;
    for (const { values, head, next, masks } of tables) {
      const own = values[i] as number;
      for (let m = 0; m < masks.length; m++) {
        for (let j = head[own ^ (masks[m] as number)] as number; j >= 0; j = next[j] as number) {
          if (seenBy[j] === i) continue;
          seenBy[j] = i;
          const d = popcount32(hi ^ (his[j] as number)) + popcount32(lo ^ (los[j] as number));
          if (d <= maxDistance) pairs.push([j, i, d]);
        }
      }
      next[i] = head[own] as number;
      head[own] = i;
    }
  }
  pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  return pairs;
}

/** Union-find with path halving. */
function disjointSets(n: number) {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    let v = x;
    while (parent[v] !== v) {
      parent[v] = parent[parent[v] as number] as number;
      v = parent[v] as number;
    }
    return v;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  return { find, union };
}

/**
 * The duplicate groups of a job's items (exact by SHA-256, near by perceptual hash within `maxDistance`, as the
 * module's header defines them), each with its items' indexes in order, the groups in order of their first item
 * (an exact group before a near one with the same first item). An item is in one exact group at most and one near
 * group at most.
 *
 * @example
 * groupDuplicates([
 *   { index: 0, sha256: "aa…", perceptual: "8f0c3e1a55aa00ff" },
 *   { index: 1, sha256: "aa…", perceptual: "8f0c3e1a55aa00ff" },
 *   { index: 2, sha256: "bb…", perceptual: "8f0c3e1a55aa00fe" },
 * ], 10);
 * // [{ kind: "exact", indexes: [0, 1], max_distance: 0 }, { kind: "near", indexes: [0, 1, 2], max_distance: 1 }]
 */
export function groupDuplicates(items: readonly HashedItem[], maxDistance: number): IndexGroup[] {
  const sorted = [...items].sort((a, b) => a.index - b.index);
  // The distinct files, in order of their first item: the same bytes have the same perceptual hash.
  const files = new Map<string, { indexes: number[]; perceptual: string }>();
  for (const item of sorted) {
    const file = files.get(item.sha256);
    if (file) file.indexes.push(item.index);
    else files.set(item.sha256, { indexes: [item.index], perceptual: item.perceptual.toLowerCase() });
  }
  const groups: IndexGroup[] = [];
  for (const file of files.values()) {
    if (file.indexes.length > 1) groups.push({ kind: "exact", indexes: file.indexes, max_distance: 0 });
  }
  // The distinct perceptual hashes: two files with the same one are linked at distance 0.
  const values = [...new Set([...files.values()].map((file) => file.perceptual))];
  const valueIndex = new Map(values.map((value, i) => [value, i]));
  const sets = disjointSets(values.length);
  for (const [i, j] of nearPairs(values, maxDistance)) sets.union(i, j);
  const components = new Map<number, { files: number[][]; values: Set<number> }>();
  for (const file of files.values()) {
    const value = valueIndex.get(file.perceptual) as number;
    const root = sets.find(value);
    const component = components.get(root) ?? { files: [], values: new Set<number>() };
    component.files.push(file.indexes);
    component.values.add(value);
    components.set(root, component);
  }
  for (const component of components.values()) {
    if (component.files.length < 2) continue;
    const members = [...component.values].map((v) => parseHash(values[v] as string));
    let diameter = 0;
    for (let a = 0; a < members.length; a++) {
      for (let b = a + 1; b < members.length; b++) {
        diameter = Math.max(diameter, bitDistance(members[a] as Bits, members[b] as Bits));
      }
    }
    const indexes = component.files.flat().sort((a, b) => a - b);
    groups.push({ kind: "near", indexes, max_distance: diameter });
  }
  const first = (g: IndexGroup) => g.indexes[0] as number;
  return groups.sort((a, b) => first(a) - first(b) || (a.kind === b.kind ? 0 : a.kind === "exact" ? -1 : 1));
}
