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
 * in at most ⌊d/m⌋ bits in one substring at least (pigeonhole), so each hash is compared only with the hashes in the
 * m tables' buckets within ⌊d/m⌋ bits of its own substrings, instead of with every other hash. m (4 to 16) is the one
 * with the fewest expected probes and candidates for n hashes (`substringsFor`; the paper's m ≈ 64 / log2 n): 6 for
 * 1,000 or 10,000 hashes at d = 10, 72 probes a hash. 1,000 items take about 4 ms, 10,000 about 120 ms on the
 * development machine (duplicates.test.ts prints them; comparing all n²/2 pairs is about 10 ms and 1 s). Pure: plain
 * values in, plain values out.
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
 * How many substrings make the least work for `n` hashes at `maxDistance`: per hash, the probes (Σ over substrings of
 * the buckets within ⌊d/m⌋ bits) plus the hashes expected in them (n / 2^width each, for hashes spread evenly).
 * More substrings mean narrower ones, fewer probes each, fuller buckets: the paper's m ≈ 64 / log2(n) for small d.
 */
export function substringsFor(n: number, maxDistance: number): number {
  let best = MIN_SUBSTRINGS;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let m = MIN_SUBSTRINGS; m <= MAX_SUBSTRINGS; m++) {
    const radius = Math.floor(maxDistance / m);
    const cost = layout(m).reduce((sum, s) => sum + probesOf(s.width, radius) * (1 + n / 2 ** s.width), 0);
    if (cost < bestCost) {
      best = m;
      bestCost = cost;
    }
  }
  return best;
}

/** Every mask of `width` bits with at most `radius` bits set: the probes around a substring's value. */
function masksWithin(width: number, radius: number): Int32Array {
  const masks: number[] = [];
  for (let m = 0; m < 1 << width; m++) if (popcount32(m) <= radius) masks.push(m);
  return Int32Array.from(masks);
}

/**
 * Every pair of `hashes` (16 hex digits each) whose Hamming distance is at most `maxDistance`, by multi-index
 * hashing: `[i, j, distance]` with i < j, ordered by i then j. `substrings` (4–16) is chosen by `substringsFor`
 * unless given (the tests try each).
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
  if (!Number.isInteger(substrings) || substrings < MIN_SUBSTRINGS || substrings > MAX_SUBSTRINGS) {
    throw new RangeError(`Expected an integer from 4 to 16 for substrings but received ${substrings}`);
  }
  const n = hashes.length;
  const his = new Int32Array(n);
  const los = new Int32Array(n);
  hashes.forEach((hex, i) => {
    const h = parseHash(hex);
    his[i] = h.hi;
    los[i] = h.lo;
  });
  const radius = Math.floor(maxDistance / substrings);
  // One table per substring, in compressed rows: the hashes whose substring is v are entries[starts[v] …
  // starts[v + 1]), in order. Typed arrays, not Maps: a probe is two reads.
  const tables = layout(substrings).map(({ word, shift, width }) => {
    const words = word === "hi" ? his : los;
    const mask = (1 << width) - 1;
    const substringOf = (i: number) => ((words[i] as number) >>> shift) & mask;
    const starts = new Int32Array((1 << width) + 1);
    for (let i = 0; i < n; i++) {
      const v = substringOf(i) + 1;
      starts[v] = (starts[v] as number) + 1;
    }
    for (let v = 0; v < 1 << width; v++) starts[v + 1] = (starts[v + 1] as number) + (starts[v] as number);
    const fill = starts.slice(0, 1 << width);
    const entries = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = substringOf(i);
      const at = fill[v] as number;
      entries[at] = i;
      fill[v] = at + 1;
    }
    return { substringOf, starts, entries, masks: masksWithin(width, radius) };
  });
  const pairs: Array<[number, number, number]> = [];
  // Which hash last looked at each other one: a pair met in several buckets is compared once.
  const seenBy = new Int32Array(n).fill(-1);
  const found: Array<[number, number, number]> = [];
  for (let i = 0; i < n; i++) {
    const hi = his[i] as number;
    const lo = los[i] as number;
    found.length = 0;
    for (const { substringOf, starts, entries, masks } of tables) {
      const own = substringOf(i);
      for (let m = 0; m < masks.length; m++) {
        const v = own ^ (masks[m] as number);
        const end = starts[v + 1] as number;
        for (let p = starts[v] as number; p < end; p++) {
          const j = entries[p] as number;
          if (j <= i || seenBy[j] === i) continue;
          seenBy[j] = i;
          const d = popcount32(hi ^ (his[j] as number)) + popcount32(lo ^ (los[j] as number));
          if (d <= maxDistance) found.push([i, j, d]);
        }
      }
    }
    found.sort((x, y) => x[1] - y[1]);
    for (const pair of found) pairs.push(pair);
  }
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
