/**
 * `npm run bench`: the container service's speed over HTTP beside the bare decode of the same files.
 *
 * Starts the container program as a local process (as `npm run start:container` does), then for each image
 * (bench/images.ts) sends bounded batches at concurrency 1 and 4 and reports p50 and p99 latency and the
 * requests per second achieved. Beside it, the bare decode (sharp's shrink-on-load pipeline alone, in this
 * process, while the service is idle): the physical limit the service's p50 should approach, and the ratio of
 * the two. Figures are for this machine only; compare ratios measured in the same run.
 *
 * `npm run bench -- --write-images DIR` writes the images out (for ../shared/tools/perf-vs-reference) and exits.
 * QUERY overrides the analysis query (default: the issue's `metrics=brightness,median,histogram&edge_mode=all`).
 *
 * Then the v2 metrics' cost (issue #13): on each 536×354 reference sample, the container's p50 (concurrency 1) for
 * `metrics=brightness` alone and for every metric at once (`all`: the v1 groups too), the queries interleaved
 * request by request so that both see the same machine, and the difference against the goal (≤ COST_GOAL_MS);
 * beside it, the p50 of the container's own `analyse` time (Server-Timing: the brightness pass and the insights,
 * 0.1 ms resolution), which leaves out HTTP and the decode. The load average before and after is printed: other
 * work on the machine shows in every figure.
 *
 * Then the v3 metrics' cost (issue #23): the same interleaved rounds give `metrics=all` (v3: every metric) against
 * v2's `all` (its ten metrics named), the difference against V3_COST_GOAL_MS; and each v3 metric alone against
 * brightness alone. Last, what the full-resolution metrics (compression's blockiness, noise) cost on a 12 MP
 * photo (4000 × 3000, made from sample 3): p50 of `metrics=compression,noise` against `metrics=brightness`.
 */
import { cpus, loadavg } from "node:os";
import sharp from "sharp";
import { startContainerProcess } from "../../scripts/container-process.ts";
import { referenceSample } from "../test/images.ts";
import { benchImages, writeBenchImages } from "./images.ts";

const QUERY = process.env.QUERY ?? "metrics=brightness,median,histogram&edge_mode=all";
const CONCURRENCIES = [1, 4] as const;
/** Requests per cell: fewer for the large images so the whole run stays near a minute. */
const requestsFor = (bytes: Uint8Array) => (bytes.length > 1_000_000 ? 24 : 120);
/** Warm-up requests per image: enough for the JIT to settle on the small ones, a few seconds on the large. */
const warmupFor = (bytes: Uint8Array) => (bytes.length > 1_000_000 ? 4 : 30);
const WARMUP_DECODES = 4;

/** The v2 metrics' cost goal: every metric at once adds at most this to the p50 over brightness alone, in ms. */
const COST_GOAL_MS = 3;
/** v2's `all`: its ten metrics, named (`all` now means v3's seventeen). */
const V2_ALL =
  "metrics=brightness,median,histogram,contrast,sharpness,colorfulness,colors,edge_density,overlay,placeholder&colors=5";
/** The queries compared: brightness alone first (the base), then every v2 metric at once (v1's groups too). */
const COST_QUERIES = ["metrics=brightness", V2_ALL, `${V2_ALL}&edge_mode=all`] as const;
/** Rounds of the cost comparison (one request per query each, in rotating order) and their warm-up. */
const COST_ROUNDS = 200;
const COST_WARMUP_ROUNDS = 30;
const COST_IMAGES = ["sample1-536x354-grayscale.jpg", "sample2-536x354.jpg"];
/** The v3 metrics' cost goal: `metrics=all` adds at most this to v2's `all` on the colour sample, in ms. */
const V3_COST_GOAL_MS = 4;
/** v2's all, then v3's all; then each v3 metric alone, against brightness alone. */
const V3_QUERIES = [
  V2_ALL,
  "metrics=all&colors=5",
  "metrics=brightness",
  ...["compression", "noise", "hash", "metadata", "crop", "accessibility", "thumbhash"].map((m) => `metrics=${m}`),
];
const V3_COST_IMAGE = "sample2-536x354.jpg";
/** The full-resolution metrics on a 12 MP photo: rounds, and the queries compared. */
const FULL_RESOLUTION_ROUNDS = 20;
const FULL_RESOLUTION_QUERIES = ["metrics=brightness", "metrics=compression,noise"];

const writeAt = process.argv.indexOf("--write-images");
if (writeAt >= 0) {
  const dir = process.argv[writeAt + 1];
  if (!dir) throw new Error("Expected a directory after --write-images");
  for (const path of await writeBenchImages(dir)) console.log(path);
  process.exit(0);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** p50 of the bare decode: what libvips alone takes for the 512-px analysis image. */
async function timeDecode(bytes: Uint8Array, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs + WARMUP_DECODES; i++) {
    const t = performance.now();
    await sharp(bytes, { autoOrient: true })
      .resize({ width: 512, height: 512, fit: "inside", withoutEnlargement: true })
      .toColourspace("srgb")
      .raw()
      .toBuffer();
    if (i >= WARMUP_DECODES) times.push(performance.now() - t);
  }
  return percentile(
    times.sort((a, b) => a - b),
    50,
  );
}

/** One analysis request: its latency and the container's own `analyse` time (Server-Timing), in ms. */
async function post(
  url: string,
  name: string,
  bytes: Uint8Array,
  query: string,
): Promise<{ ms: number; analyse: number }> {
  const form = new FormData();
  form.append("image", new Blob([bytes], { type: "image/jpeg" }), name);
  const t = performance.now();
  const res = await fetch(`${url}/v1/image/analysis?${query}`, { method: "POST", body: form });
  await res.arrayBuffer();
  const ms = performance.now() - t;
  if (res.status !== 200) throw new Error(`${name}?${query}: status ${res.status}`);
  const analyse = Number(/analyse;dur=([\d.]+)/.exec(res.headers.get("server-timing") ?? "")?.[1] ?? Number.NaN);
  return { ms, analyse };
}

/**
 * The p50 latency and the p50 `analyse` time of each of COST_QUERIES on one image: COST_ROUNDS rounds, each one
 * request per query, the order rotating from round to round, so that a burst of load elsewhere hits all alike.
 */
async function costOf(
  url: string,
  name: string,
  bytes: Uint8Array,
  queries: readonly string[] = COST_QUERIES,
  rounds = COST_ROUNDS,
  warmupRounds = COST_WARMUP_ROUNDS,
): Promise<Array<{ p50: number; analyse: number }>> {
  const latencies = queries.map(() => [] as number[]);
  const analyses = queries.map(() => [] as number[]);
  for (let round = 0; round < warmupRounds + rounds; round++) {
    for (let k = 0; k < queries.length; k++) {
      const q = (round + k) % queries.length;
      const { ms, analyse } = await post(url, name, bytes, queries[q] as string);
      if (round < warmupRounds) continue;
      latencies[q]?.push(ms);
      analyses[q]?.push(analyse);
    }
  }
  const p50 = (values: number[]) =>
    percentile(
      values.sort((a, b) => a - b),
      50,
    );
  return queries.map((_, q) => ({ p50: p50(latencies[q] as number[]), analyse: p50(analyses[q] as number[]) }));
}

const loadBefore = loadavg()[0] as number;
const images = await benchImages();
const container = await startContainerProcess({ env: { ANALYSIS_CONCURRENCY: String(cpus().length) } });
const rows: string[][] = [];
const costRows: string[][] = [];
const v3Rows: string[][] = [];
try {
  for (const { name, bytes } of images) {
    const decodeMs = await timeDecode(bytes, bytes.length > 1_000_000 ? 10 : 40);
    const send = async () => (await post(container.url, name, bytes, QUERY)).ms;
    for (let i = 0; i < warmupFor(bytes); i++) await send();
    const cells: string[] = [];
    let p50AtOne = 0;
    for (const concurrency of CONCURRENCIES) {
      const total = requestsFor(bytes);
      const latencies: number[] = [];
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < total) latencies.push(await send());
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      if (concurrency === 1) {
        p50AtOne = percentile(latencies, 50);
        cells.push(p50AtOne.toFixed(1), percentile(latencies, 99).toFixed(1));
      } else {
        cells.push((total / seconds).toFixed(1));
      }
    }
    const meta = await sharp(bytes).metadata();
    rows.push([
      name,
      `${meta.width}×${meta.height}`,
      `${Math.round(bytes.length / 1024)} KB`,
      ...cells,
      decodeMs.toFixed(1),
      (p50AtOne / decodeMs).toFixed(2),
    ]);
  }
  for (const name of COST_IMAGES) {
    const image = images.find((candidate) => candidate.name === name);
    if (!image) throw new Error(`Expected the bench image ${name}`);
    const [base, ...others] = await costOf(container.url, name, image.bytes);
    if (!base) throw new Error("Expected a base query");
    for (const [k, other] of [base, ...others].entries()) {
      const added = other.p50 - base.p50;
      costRows.push([
        name,
        COST_QUERIES[k] as string,
        other.p50.toFixed(2),
        other.analyse.toFixed(2),
        k === 0 ? "" : `${added >= 0 ? "+" : ""}${added.toFixed(2)}`,
        k === 0 ? "" : added <= COST_GOAL_MS ? `met (≤ ${COST_GOAL_MS} ms)` : `missed (> ${COST_GOAL_MS} ms)`,
      ]);
    }
  }
  const sample = images.find((candidate) => candidate.name === V3_COST_IMAGE);
  if (!sample) throw new Error(`Expected the bench image ${V3_COST_IMAGE}`);
  const [v2, v3, brightness, ...alone] = await costOf(container.url, V3_COST_IMAGE, sample.bytes, V3_QUERIES);
  if (!v2 || !v3 || !brightness) throw new Error("Expected the v3 cost queries");
  const added = (other: { p50: number }, base: { p50: number }) => {
    const ms = other.p50 - base.p50;
    return `${ms >= 0 ? "+" : ""}${ms.toFixed(2)}`;
  };
  const v3Added = v3.p50 - v2.p50;
  v3Rows.push(
    [V3_COST_IMAGE, "v2 all", v2.p50.toFixed(2), v2.analyse.toFixed(2), "", ""],
    [
      V3_COST_IMAGE,
      "all (v3)",
      v3.p50.toFixed(2),
      v3.analyse.toFixed(2),
      `${added(v3, v2)} over v2 all`,
      v3Added <= V3_COST_GOAL_MS ? `met (≤ ${V3_COST_GOAL_MS} ms)` : `missed (> ${V3_COST_GOAL_MS} ms)`,
    ],
    [V3_COST_IMAGE, "brightness", brightness.p50.toFixed(2), brightness.analyse.toFixed(2), "", ""],
    ...alone.map((cost, k) => [
      V3_COST_IMAGE,
      (V3_QUERIES[k + 3] as string).replace("metrics=", ""),
      cost.p50.toFixed(2),
      cost.analyse.toFixed(2),
      `${added(cost, brightness)} over brightness`,
      "",
    ]),
  );
  // The full-resolution metrics on a 12 MP photo.
  const twelve = new Uint8Array(
    await sharp(referenceSample("sample3-color-5000x3330.jpg"))
      .resize(4000, 3000, { fit: "cover" })
      .jpeg({ quality: 90, mozjpeg: false })
      .toBuffer(),
  );
  const [plain, full] = await costOf(
    container.url,
    "photo-4000x3000.jpg",
    twelve,
    FULL_RESOLUTION_QUERIES,
    FULL_RESOLUTION_ROUNDS,
    2,
  );
  if (!plain || !full) throw new Error("Expected the full-resolution queries");
  v3Rows.push(
    ["photo-4000x3000.jpg", "brightness", plain.p50.toFixed(1), plain.analyse.toFixed(1), "", ""],
    [
      "photo-4000x3000.jpg",
      "compression,noise",
      full.p50.toFixed(1),
      full.analyse.toFixed(1),
      `${added(full, plain)} over brightness`,
      "",
    ],
  );
} finally {
  await container.stop();
}

/** A markdown table, each column as wide as its widest cell. */
function printTable(header: string[], body: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of body) console.log(line(row));
}

console.log(
  `\nimage-insights-api container bench: ${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, Node ${process.version}, ${QUERY}`,
);
printTable(
  ["image", "size", "file", "p50 ms (c=1)", "p99 ms (c=1)", "req/s (c=4)", "bare decode ms", "p50/decode"],
  rows,
);
console.log(
  `\nv2 metrics' cost: p50 at c=1 over ${COST_ROUNDS} interleaved rounds; the goal: every metric adds ≤ ${COST_GOAL_MS} ms over brightness alone (load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] as number).toFixed(2)} after)`,
);
printTable(["image", "query", "p50 ms (c=1)", "analyse p50 ms", "added ms", "goal"], costRows);
console.log(
  `\nv3 metrics' cost: p50 at c=1 over ${COST_ROUNDS} interleaved rounds (the 12 MP photo: ${FULL_RESOLUTION_ROUNDS}); the goal: all adds ≤ ${V3_COST_GOAL_MS} ms over v2's all (load average ${(loadavg()[0] as number).toFixed(2)})`,
);
printTable(["image", "query", "p50 ms (c=1)", "analyse p50 ms", "added ms", "goal"], v3Rows);
