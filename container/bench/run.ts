/**
 * `npm run bench`: the container service's speed over HTTP, on the reference samples.
 *
 * Starts the container program as a local process (as `npm run start:container` does), then for each sample
 * and metric set sends bounded batches at concurrency 1 and 4, and prints median and p99 latency and the
 * requests per second achieved. Beside it, the decode alone (the same sharp pipeline, in this process) for
 * each sample: the physical limit the service's median should approach. Figures are for this machine only;
 * compare ratios measured in the same run.
 */
import { cpus } from "node:os";
import sharp from "sharp";
import { startContainerProcess } from "../../scripts/container-process.ts";
import { referenceSample } from "../test/images.ts";

const SAMPLES = ["sample1-536x354-grayscale.jpg", "sample2-536x354.jpg", "sample3-color-5000x3330.jpg"];
const METRIC_SETS = [
  "metrics=brightness",
  "metrics=brightness,median,histogram",
  "metrics=brightness,median,histogram&edge_mode=all",
];
const CONCURRENCIES = [1, 4];
/** Requests per cell: fewer for the 16-megapixel sample so the whole run stays near a minute. */
const REQUESTS = (sample: string) => (sample.includes("5000") ? 24 : 80);
const WARMUP_REQUESTS = 4;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function timeDecode(bytes: Uint8Array, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs + WARMUP_REQUESTS; i++) {
    const t = performance.now();
    await sharp(bytes, { autoOrient: true })
      .resize({ width: 512, height: 512, fit: "inside", withoutEnlargement: true })
      .toColourspace("srgb")
      .raw()
      .toBuffer();
    if (i >= WARMUP_REQUESTS) times.push(performance.now() - t);
  }
  return percentile(
    times.sort((a, b) => a - b),
    50,
  );
}

const container = await startContainerProcess({ env: { ANALYSIS_CONCURRENCY: String(cpus().length) } });
const rows: string[][] = [];
try {
  for (const sample of SAMPLES) {
    const bytes = referenceSample(sample);
    const decodeMs = await timeDecode(bytes, 10);
    for (const query of METRIC_SETS) {
      for (const concurrency of CONCURRENCIES) {
        const send = async () => {
          const form = new FormData();
          form.append("image", new Blob([bytes], { type: "image/jpeg" }), sample);
          const t = performance.now();
          const res = await fetch(`${container.url}/v1/image/analysis?${query}`, { method: "POST", body: form });
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`${sample} ${query}: status ${res.status}`);
          return performance.now() - t;
        };
        for (let i = 0; i < WARMUP_REQUESTS; i++) await send();
        const total = REQUESTS(sample);
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
        const p50 = percentile(latencies, 50);
        rows.push([
          sample,
          query.replace("metrics=", ""),
          String(concurrency),
          p50.toFixed(1),
          percentile(latencies, 99).toFixed(1),
          (total / seconds).toFixed(1),
          decodeMs.toFixed(1),
          (p50 / decodeMs).toFixed(2),
        ]);
      }
    }
  }
} finally {
  await container.stop();
}

const header = ["sample", "metrics", "conc", "p50 ms", "p99 ms", "req/s", "decode ms", "p50/decode"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
console.log(
  `\nimage-insights-api container bench: ${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, Node ${process.version}`,
);
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of rows) console.log(line(row));
