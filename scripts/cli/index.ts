/**
 * `image-insights analyze <files, folders or URLs…>`: analyses many images as batch jobs of the API and writes
 * every answer to one file (CSV or NDJSON, by --out's extension).
 *
 * - Folders are walked for .jpg .jpeg .png .webp .avif .gif; http(s) arguments are URLs. Files go up in
 *   multipart jobs, URLs in JSON jobs, each job within MAX_JOB_ITEMS and MAX_JOB_UPLOAD_BYTES.
 * - Resumable: each job's Idempotency-Key is a hash of its images and parameters, and `<out>.jobs.json`
 *   remembers the jobs; started again with the same arguments, it picks its jobs up instead of uploading again.
 * - A progress bar on a terminal, plain lines otherwise; a summary at the end (items, failures by code, time).
 * - Exit 0 when the jobs ran (items may have failed: the file and the summary say which), 1 when a job could not
 *   be submitted or run, 2 for a usage error.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { SingleBar } from "cli-progress";
import { Command, CommanderError } from "commander";
import { stringify } from "csv-stringify/sync";
import {
  IDEMPOTENCY_KEY_HEADER,
  JOB_IMAGES_FIELD,
  JOBS_PATH,
  type Job,
  type JobResultLine,
  JobResultLineSchema,
  JobSchema,
} from "../../contract/jobs.ts";

/** The API's limits per job (worker/src/settings.ts defaults), kept a little under for the multipart framing. */
const MAX_JOB_ITEMS = 1_000;
const MAX_JOB_UPLOAD_BYTES = 95 * 1024 * 1024;
const IMAGE_EXTENSIONS = new Set([".jpg", ".jpeg", ".png", ".webp", ".avif", ".gif"]);
const MEDIA_TYPES: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".gif": "image/gif",
};
/** How often the jobs are polled, in milliseconds. */
const POLL_MS = 500;

interface Options {
  metrics: string;
  edgeMode?: string;
  background?: string;
  out: string;
  api: string;
  key?: string;
}

type Planned = { kind: "urls"; urls: string[] } | { kind: "files"; files: string[] };

/** A failure that stops the run: its message is for the user, the exit code 1. */
class RunError extends Error {}

/** The image files under `path` (itself, or a folder walked recursively), sorted; other files are skipped. */
function imagesIn(path: string, skipped: string[]): string[] {
  const stat = statSync(path);
  if (stat.isFile()) {
    if (IMAGE_EXTENSIONS.has(extname(path).toLowerCase())) return [path];
    skipped.push(path);
    return [];
  }
  return readdirSync(path)
    .sort()
    .flatMap((name) => imagesIn(join(path, name), skipped));
}

/** The jobs to run: URLs in chunks of MAX_JOB_ITEMS, files in chunks within both limits. */
function plan(inputs: string[], skipped: string[]): Planned[] {
  const urls = inputs.filter((i) => /^https?:\/\//i.test(i));
  const files = inputs
    .filter((i) => !/^https?:\/\//i.test(i))
    .flatMap((i) => {
      if (!existsSync(i)) throw new RunError(`No such file or folder: ${i}`);
      return imagesIn(resolve(i), skipped);
    });
  const jobs: Planned[] = [];
  for (let i = 0; i < urls.length; i += MAX_JOB_ITEMS)
    jobs.push({ kind: "urls", urls: urls.slice(i, i + MAX_JOB_ITEMS) });
  let batch: string[] = [];
  let bytes = 0;
  for (const file of files) {
    const size = statSync(file).size;
    if (batch.length > 0 && (batch.length >= MAX_JOB_ITEMS || bytes + size > MAX_JOB_UPLOAD_BYTES)) {
      jobs.push({ kind: "files", files: batch });
      batch = [];
      bytes = 0;
    }
    batch.push(file);
    bytes += size;
  }
  if (batch.length > 0) jobs.push({ kind: "files", files: batch });
  return jobs;
}

/** The job's Idempotency-Key: its images (bytes, for files) and parameters, hashed. */
function keyOf(job: Planned, query: Record<string, string>): string {
  const hash = createHash("sha256").update(JSON.stringify(query));
  if (job.kind === "urls") for (const url of job.urls) hash.update(`url:${url}\n`);
  else
    for (const file of job.files)
      hash.update(`file:${createHash("sha256").update(readFileSync(file)).digest("hex")}\n`);
  return `image-insights-cli-${hash.digest("hex").slice(0, 48)}`;
}

async function failureText(res: Response): Promise<string> {
  const body = (await res.json().catch(() => null)) as {
    detail?: { error?: string; code?: string } | unknown[];
  } | null;
  const detail = body?.detail;
  if (detail && !Array.isArray(detail) && typeof detail === "object")
    return `${res.status} ${detail.code}: ${detail.error}`;
  return `${res.status}`;
}

/** Flattens a result for a CSV row: nested fields get dotted names (`histogram.0.percent`). */
function flatten(value: unknown, prefix = "", into: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, into);
  } else into[prefix] = value;
  return into;
}

function writeResults(out: string, lines: JobResultLine[]): void {
  if (out.toLowerCase().endsWith(".ndjson") || out.toLowerCase().endsWith(".jsonl")) {
    writeFileSync(out, lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
    return;
  }
  const rows = lines.map((l) => ({
    index: l.index,
    id: l.id,
    source: l.source,
    status: l.status,
    error_code: l.status === "succeeded" ? null : l.error.code,
    error: l.status === "succeeded" ? null : l.error.error,
    ...(l.status === "succeeded" ? flatten(l.result, "result") : {}),
  }));
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  writeFileSync(
    out,
    stringify(
      rows.map((r) => columns.map((c) => (r as Record<string, unknown>)[c] ?? null)),
      {
        header: true,
        columns,
      },
    ),
  );
}

async function analyze(inputs: string[], options: Options, say: (line: string) => void): Promise<number> {
  const startedAt = performance.now();
  const headers: Record<string, string> = options.key ? { "X-API-Key": options.key } : {};
  const api = options.api.replace(/\/$/, "");
  // The contract's schemas check every answer the CLI reads, so a drift between it and the API is an error.
  const getJob = (id: string) => fetch(`${api}${JOBS_PATH}/${id}`, { headers });
  const query: Record<string, string> = { metrics: options.metrics };
  if (options.edgeMode) query.edge_mode = options.edgeMode;
  if (options.background) query.background = options.background;

  const skipped: string[] = [];
  const jobs = plan(inputs, skipped);
  for (const path of skipped) say(`skipped (not an image by its extension): ${path}`);
  if (jobs.length === 0) throw new RunError("No images found in the arguments");
  const statePath = `${options.out}.jobs.json`;
  const state = (existsSync(statePath) ? JSON.parse(readFileSync(statePath, "utf8")) : {}) as Record<string, string>;

  // Submit (or pick up) every job.
  const ids: string[] = [];
  for (const [n, job] of jobs.entries()) {
    const key = keyOf(job, query);
    const known = state[key];
    if (known) {
      const res = await getJob(known).catch(() => null);
      if (res?.status === 200) {
        say(`job ${n + 1}/${jobs.length} resumed: ${known}`);
        ids.push(known);
        continue;
      }
    }
    let res: Response;
    try {
      if (job.kind === "urls") {
        res = await fetch(`${api}${JOBS_PATH}`, {
          method: "POST",
          headers: { ...headers, "Content-Type": "application/json", [IDEMPOTENCY_KEY_HEADER]: key },
          body: JSON.stringify({ ...query, items: job.urls.map((url) => ({ url })) }),
        });
      } else {
        const form = new FormData();
        for (const file of job.files) {
          const type = MEDIA_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
          form.append(JOB_IMAGES_FIELD, new Blob([new Uint8Array(readFileSync(file))], { type }), file);
        }
        const params = new URLSearchParams(query);
        res = await fetch(`${api}${JOBS_PATH}?${params}`, {
          method: "POST",
          headers: { ...headers, [IDEMPOTENCY_KEY_HEADER]: key },
          body: form,
        });
      }
    } catch {
      throw new RunError(`The API at ${api} did not answer: is it running (npm run dev), and is --api right?`);
    }
    if (res.status !== 202)
      throw new RunError(`The API refused job ${n + 1}/${jobs.length}: ${await failureText(res)}`);
    const created = JobSchema.parse(await res.json());
    state[key] = created.job_id;
    writeFileSync(statePath, JSON.stringify(state, null, 2));
    say(`job ${n + 1}/${jobs.length} submitted: ${created.job_id} (${created.total} images)`);
    ids.push(created.job_id);
  }

  // Wait for them, with progress.
  const total = jobs.reduce((sum, j) => sum + (j.kind === "urls" ? j.urls.length : j.files.length), 0);
  const bar = process.stdout.isTTY
    ? new SingleBar({ format: "{bar} {value}/{total} images | {eta_formatted} left" })
    : null;
  bar?.start(total, 0);
  let lastLine = "";
  let lastAt = 0;
  for (;;) {
    const views = await Promise.all(
      ids.map(async (id) => {
        const res = await getJob(id);
        if (res.status !== 200) throw new RunError(`Job ${id} could not be read: ${await failureText(res)}`);
        return JobSchema.parse(await res.json()) as Job;
      }),
    );
    const done = views.reduce((sum, v) => sum + v.done, 0);
    bar?.update(done);
    const line = `${done}/${total} images analysed`;
    if (!bar && (line !== lastLine || Date.now() - lastAt > 5_000)) {
      say(line);
      lastLine = line;
      lastAt = Date.now();
    }
    if (views.every((v) => v.status === "succeeded" || v.status === "cancelled")) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  bar?.stop();

  // Gather every job's results, in the order of the arguments.
  const lines: JobResultLine[] = [];
  for (const id of ids) {
    const res = await fetch(`${api}${JOBS_PATH}/${id}/results`, { headers });
    if (res.status !== 200) throw new RunError(`The results of ${id} could not be read: ${await failureText(res)}`);
    const offset = lines.length;
    for (const text of (await res.text()).split("\n").filter(Boolean)) {
      const line = JobResultLineSchema.parse(JSON.parse(text)) as JobResultLine;
      lines.push({ ...line, index: offset + line.index });
    }
  }
  writeResults(options.out, lines);

  const failures = new Map<string, number>();
  for (const l of lines)
    if (l.status !== "succeeded") failures.set(l.error.code, (failures.get(l.error.code) ?? 0) + 1);
  const failed = [...failures.values()].reduce((a, b) => a + b, 0);
  const byCode = [...failures].map(([code, n]) => `${code} ${n}`).join(", ");
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  say(
    `${lines.length} images, ${lines.length - failed} analysed, ${failed} failed${byCode ? ` (${byCode})` : ""}, in ${seconds} s: ${options.out}`,
  );
  return 0;
}

/**
 * Runs the CLI with `argv` (without node and the script); resolves to the exit code.
 *
 * @example
 * await main(["analyze", "photos/", "--out", "photos.csv"]); // 0
 */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command("image-insights")
    .description("Analyse many images with image-insights-api's batch jobs.")
    .exitOverride();
  program
    .command("analyze")
    .description("Analyse files, folders (walked for images) and image URLs; write every answer to one file.")
    .argument("<inputs...>", "files, folders or http(s) URLs")
    .option("--metrics <list>", "comma-separated metrics (see /docs)", "brightness")
    .option("--edge-mode <mode>", "left_right, top_bottom or all")
    .option("--background <RRGGBB>", "flatten transparency onto this colour")
    .option("--out <file>", "results file: .csv or .ndjson", "results.csv")
    .option("--api <url>", "the API's address", process.env.IMAGE_INSIGHTS_API ?? "http://localhost:8787")
    .option("--key <key>", "API key (default: $IMAGE_INSIGHTS_API_KEY)", process.env.IMAGE_INSIGHTS_API_KEY)
    .action(async (inputs: string[], options: Options) => {
      try {
        code = await analyze(inputs, options, (line) => console.log(line));
      } catch (err) {
        if (!(err instanceof RunError)) throw err;
        console.error(`image-insights: ${err.message}`);
        code = 1;
      }
    });
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return code;
}
