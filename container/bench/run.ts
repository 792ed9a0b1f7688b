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
 */
import { cpus } from "node:os";
import sharp from "sharp";
import { startContainerProcess } from "../../scripts/container-process.ts";
import { benchImages, writeBenchImages } from "./images.ts";

const QUERY = process.env.QUERY ?? "metrics=brightness,median,histogram&edge_mode=all";
const CONCURRENCIES = [1, 4] as const;
/** Requests per cell: fewer for the large images so the whole run stays near a minute. */
const requestsFor = (bytes: Uint8Array) => (bytes.length > 1_000_000 ? 24 : 120);
/** Warm-up requests per image: enough for the JIT to settle on the small ones, a few seconds on the large. */
const warmupFor = (bytes: Uint8Array) => (bytes.length > 1_000_000 ? 4 : 30);
const WARMUP_DECODES = 4;

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

const images = await benchImages();
const container = await startContainerProcess({ env: { ANALYSIS_CONCURRENCY: String(cpus().length) } });
const rows: string[][] = [];
try {
  for (const { name, bytes } of images) {
    const decodeMs = await timeDecode(bytes, bytes.length > 1_000_000 ? 10 : 40);
    const send = async () => {
      const form = new FormData();
      form.append("image", new Blob([bytes], { type: "image/jpeg" }), name);
      const t = performance.now();
      const res = await fetch(`${container.url}/v1/image/analysis?${QUERY}`, { method: "POST", body: form });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${name}: status ${res.status}`);
      return performance.now() - t;
    };
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
} finally {
  await container.stop();
}

const header = ["image", "size", "file", "p50 ms (c=1)", "p99 ms (c=1)", "req/s (c=4)", "bare decode ms", "p50/decode"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
console.log(
  `\nimage-insights-api container bench: ${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, Node ${process.version}, ${QUERY}`,
);
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of rows) console.log(line(row));
