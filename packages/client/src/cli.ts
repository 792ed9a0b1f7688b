/**
 * `image-insights analyze <files, folders or URLs…>`: analyses many images as batch jobs of the API and writes
 * every answer to one file (CSV or NDJSON, by --out's extension), in the order of the arguments.
 *
 * - Folders are walked for .jpg .jpeg .png .webp .avif .gif; other files, and files the API would refuse (empty,
 *   over 5 MiB, not one of those formats by their bytes), are skipped and named. http(s) arguments are URLs.
 *   Files go up in multipart jobs, URLs in JSON jobs, each job within MAX_JOB_ITEMS and MAX_JOB_UPLOAD_BYTES.
 * - Resumable: each job's Idempotency-Key is a hash of its images and parameters, and `<out>.jobs.json`
 *   remembers the jobs; started again with the same arguments it picks its jobs up instead of uploading again.
 * - A progress bar on a terminal, plain lines otherwise; a summary at the end (items, failures by code, time).
 * - `--duplicates FILE` writes the jobs' exact and near duplicates as JSON once they have ended (the API's answer,
 *   its indexes the places among all images, as in the results file). Images are compared within their job only.
 * - Exit 0 when the jobs ran (items may have failed: the file and the summary say which), 1 when a job could not
 *   be submitted or run, 2 for a usage error.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { SingleBar } from "cli-progress";
import { Command, CommanderError, Option } from "commander";
import {
  type AnalysisParams,
  parseAnalysisParams,
  VALID_ALGORITHMS,
  VALID_EDGE_MODES,
} from "../../../contract/analysis.ts";
import type { DuplicateGroup, Duplicates } from "../../../contract/duplicates.ts";
import { ApiError } from "../../../contract/errors.ts";
import type { Job, JobRequest, JobResultLine } from "../../../contract/jobs.ts";
import { jobsApi, RunError } from "./jobs-api.ts";
import { formatOf, summary, writeResults } from "./output.ts";
import { gather, JOB_FILE_BYTES, MAX_JOB_ITEMS, plan, UsageError } from "./plan.ts";

interface Options {
  metrics: string;
  edgeMode?: string;
  background?: string;
  colors?: string;
  algorithm?: string;
  crop?: string;
  out: string;
  duplicates?: string;
  api: string;
  key?: string;
}

/** Skipped files named one by one up to this many; the rest are counted. */
const MAX_SKIPPED_LINES = 20;
/** Polling: the first wait and the longest, in milliseconds (the API's rate limit is 120 requests a minute). */
const FIRST_POLL_MS = 250;
const MAX_POLL_MS = 2_000;
/** Without a terminal: a progress line when it changed and this long has passed, or after the second. */
const LINE_EVERY_MS = 2_000;
const LINE_AT_LEAST_EVERY_MS = 15_000;

const imagesText = (n: number) => `${n} image${n === 1 ? "" : "s"}`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The analysis parameters as the CLI sends them (the query of a multipart job, the fields of a JSON job: the API
 * reads both the same way), and as the API reads them: checked here with its own parser, in its order, so a typo is
 * a usage error (exit 2); the parsed form decides the CSV's columns, as the job's does the API's.
 */
function queryOf(options: Options): { query: Record<string, string>; params: AnalysisParams } {
  const query: Record<string, string> = { metrics: options.metrics };
  if (options.edgeMode) query.edge_mode = options.edgeMode;
  if (options.background) query.background = options.background.replace(/^#/, "");
  if (options.colors) query.colors = options.colors;
  if (options.algorithm) query.algorithm = options.algorithm;
  if (options.crop) query.crop = options.crop;
  try {
    return { query, params: parseAnalysisParams(new URLSearchParams(query)) };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const extra = Object.entries(err.extra ?? {})
      .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(",") : v}`)
      .join("; ");
    throw new UsageError(`${err.message}${extra ? ` (${extra})` : ""}`);
  }
}

async function analyze(inputs: string[], options: Options, say: (line: string) => void): Promise<number> {
  const startedAt = Date.now();
  if (!formatOf(options.out)) throw new UsageError(`--out must end in .csv or .ndjson: ${options.out}`);
  const { query, params } = queryOf(options);
  const api = options.api.replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]/i.test(api)) throw new UsageError(`--api must be an http(s) address: ${options.api}`);
  const client = jobsApi(api, options.key, say);

  const { images, skipped } = gather(inputs);
  for (const s of skipped.slice(0, MAX_SKIPPED_LINES)) say(`skipped ${s.path}: ${s.reason}`);
  if (skipped.length > MAX_SKIPPED_LINES) say(`… and ${skipped.length - MAX_SKIPPED_LINES} more skipped`);
  if (images.length === 0) throw new UsageError("No images to analyse in the arguments");
  const jobs = plan(images, query);
  if (jobs.length > 1)
    say(
      `${images.length} images in ${jobs.length} jobs (a job takes at most ${MAX_JOB_ITEMS} images and ${mib(JOB_FILE_BYTES)} of files)`,
    );

  const statePath = `${options.out}.jobs.json`;
  let state: Record<string, string> = {};
  try {
    if (existsSync(statePath)) state = JSON.parse(readFileSync(statePath, "utf8"));
  } catch {
    say(`${statePath} is unreadable: starting afresh (the Idempotency-Keys still find jobs already submitted)`);
  }
  const ids: string[] = [];
  for (const [n, job] of jobs.entries()) {
    const label = `job ${n + 1}/${jobs.length}`;
    const known = state[job.key] ? await client.get(state[job.key] as string) : null;
    if (known) {
      say(`${label} resumed: ${known.job_id} (${known.done}/${known.total} done)`);
      ids.push(known.job_id);
      continue;
    }
    let created: Job;
    if (job.kind === "urls") {
      const items = job.images.map((image) => ({ url: image.kind === "url" ? image.url : "" }));
      created = await client.submit({ json: { ...query, items } as JobRequest }, job.key);
    } else {
      const bytes = job.images.reduce((sum, image) => sum + (image.kind === "file" ? image.bytes : 0), 0);
      if (jobs.length > 1 || bytes > 8 * 1024 * 1024)
        say(`${label}: uploading ${job.images.length} files, ${mib(bytes)}…`);
      const files = job.images.map((image) =>
        image.kind === "file"
          ? new File([new Uint8Array(readFileSync(image.path))], image.name, { type: image.type })
          : new File([], ""),
      );
      created = await client.submit({ form: files, query }, job.key);
    }
    // The API answers a known Idempotency-Key with the job it already has.
    const existed = Date.parse(created.created_at) < startedAt - 1_000;
    say(`${label} ${existed ? "resumed" : "submitted"}: ${created.job_id} (${imagesText(created.total)})`);
    state[job.key] = created.job_id;
    writeFileSync(statePath, `${JSON.stringify(state, null, 2)}\n`);
    ids.push(created.job_id);
  }

  const views = await follow(client, ids, images.length, say);

  // Every job's lines, put back in the order of the arguments; `index` becomes the place among all images.
  const lines: JobResultLine[] = [];
  for (const [n, id] of ids.entries()) {
    const positions = jobs[n]?.positions ?? [];
    for (const line of await client.results(id)) lines.push({ ...line, index: positions[line.index] ?? -1 });
  }
  lines.sort((a, b) => a.index - b.index);
  const unlisted = writeResults(options.out, lines, params);
  if (unlisted.length > 0)
    say(
      `${unlisted.length} field${unlisted.length === 1 ? "" : "s"} of the answers had no column in the CSV ` +
        `(${unlisted.join(", ")}): the API is newer than this image-insights; --out with .ndjson keeps every field`,
    );
  say(summary(lines, skipped.length, (Date.now() - startedAt) / 1000, options.out));
  if (options.duplicates) {
    const answers = [];
    for (const id of ids) answers.push(await client.duplicates(id));
    const merged = mergeDuplicates(
      answers,
      jobs.map((job) => job.positions),
    );
    writeFileSync(options.duplicates, `${JSON.stringify(merged, null, 2)}\n`);
    const groups = merged.groups.length;
    say(
      `${groups} duplicate group${groups === 1 ? "" : "s"} (${merged.groups.filter((g) => g.kind === "exact").length} exact): ${options.duplicates}` +
        (ids.length > 1 ? ` (images are compared within their job: ${ids.length} jobs)` : ""),
    );
  }

  const cancelled = views.filter((view) => view.status === "cancelled");
  if (cancelled.length > 0) {
    throw new RunError(
      `${cancelled.map((v) => v.job_id).join(", ")} ${cancelled.length > 1 ? "were" : "was"} cancelled before the end; ` +
        `to run ${cancelled.length > 1 ? "them" : "it"} again, delete ${cancelled.length > 1 ? "them" : "it"} ` +
        `(DELETE ${api}/v1/jobs/<job_id>) and run the same command.`,
    );
  }
  return 0;
}

/**
 * The jobs' duplicates as one answer: each job's groups with their indexes turned into places among all images
 * (`positions[job][index]`), in order of their first item (an exact group before a near one), as the API orders them.
 *
 * @example
 * mergeDuplicates([answer], [[3, 0, 1]]); // the job's item 0 is image 3 of the arguments
 */
export function mergeDuplicates(answers: Duplicates[], positions: number[][]): Duplicates {
  const groups: DuplicateGroup[] = answers.flatMap((answer, n) =>
    answer.groups.map((group) => ({
      ...group,
      items: group.items
        .map((item) => ({ ...item, index: positions[n]?.[item.index] ?? -1 }))
        .sort((a, b) => a.index - b.index),
    })),
  );
  const first = (group: DuplicateGroup) => group.items[0]?.index ?? -1;
  groups.sort((a, b) => first(a) - first(b) || (a.kind === b.kind ? 0 : a.kind === "exact" ? -1 : 1));
  return {
    groups,
    threshold: answers[0]?.threshold ?? 0,
    compared: answers.reduce((sum, answer) => sum + answer.compared, 0),
  };
}

/** The progress bar while one is drawn, so an interrupt can put the terminal back first. */
let activeBar: SingleBar | null = null;

/** Ctrl-C: the jobs already submitted go on in the API; the same command picks them up (exit 130, as shells do). */
function onInterrupt() {
  activeBar?.stop();
  console.error("\nInterrupted. Submitted jobs go on in the API: run the same command again to pick them up.");
  process.exit(130);
}

/** Polls the jobs until every one has ended: a bar on a terminal, a plain line now and then otherwise. */
async function follow(
  client: ReturnType<typeof jobsApi>,
  ids: string[],
  total: number,
  say: (line: string) => void,
): Promise<Job[]> {
  const bar = process.stdout.isTTY
    ? new SingleBar({
        format: "{bar} {percentage}% | {value}/{total} images | {failed} failed | {duration_formatted}",
        hideCursor: true,
        stream: process.stdout,
      })
    : null;
  activeBar = bar;
  bar?.start(total, 0, { failed: 0 });
  const views = new Map<string, Job>();
  let lastLine = "";
  let lastAt = 0;
  try {
    for (let round = 0; ; round++) {
      for (const id of ids) {
        const seen = views.get(id);
        if (seen && seen.status !== "queued" && seen.status !== "running") continue;
        const view = await client.get(id);
        if (!view) throw new RunError(`Job ${id} is gone from the API (deleted, or expired).`);
        views.set(id, view);
      }
      const all = [...views.values()];
      const done = all.reduce((sum, v) => sum + v.done, 0);
      const failed = all.reduce((sum, v) => sum + v.failed, 0);
      const finished = all.every((v) => v.status !== "queued" && v.status !== "running");
      bar?.update(done, { failed });
      const line = `${done}/${total} images done, ${failed} failed`;
      const now = Date.now();
      if (
        !bar &&
        (finished || (line !== lastLine && now - lastAt >= LINE_EVERY_MS) || now - lastAt >= LINE_AT_LEAST_EVERY_MS)
      ) {
        if (line !== lastLine || !finished) say(line);
        lastLine = line;
        lastAt = now;
      }
      if (finished) return ids.map((id) => views.get(id) as Job);
      const unfinished = all.filter((v) => v.status === "queued" || v.status === "running").length;
      // Slower with more jobs in flight, so that polling stays well under the rate limit.
      await sleep(Math.min(MAX_POLL_MS, FIRST_POLL_MS * 1.5 ** round) * Math.max(1, unfinished / 2));
    }
  } finally {
    bar?.stop();
    activeBar = null;
  }
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
    .exitOverride()
    .showHelpAfterError();
  program
    .command("analyze")
    .alias("analyse")
    .description("Analyse files, folders (walked for images) and image URLs; write every answer to one file.")
    .argument("<inputs...>", "files, folders or http(s) URLs")
    .option("--metrics <list>", "comma-separated metrics, or all (see /docs)", "brightness")
    .addOption(new Option("--edge-mode <mode>", "also measure the border bands").choices(VALID_EDGE_MODES))
    .option("--background <RRGGBB>", "flatten transparency onto this colour")
    .option("--colors <n>", "how many dominant colours metrics=colors finds (1-10, default 5)")
    .addOption(new Option("--algorithm <scale>", "the brightness scale (default rec709)").choices(VALID_ALGORITHMS))
    .option("--crop <ratios>", "aspect ratios metrics=crop finds boxes for, e.g. 1:1,16:9 (default 1:1,4:5,16:9)")
    .option(
      "--out <file>",
      "results file, .csv or .ndjson (its jobs are remembered in <file>.jobs.json)",
      "results.csv",
    )
    .option(
      "--duplicates <file>",
      "also write the exact and near duplicates among the images (JSON), once the jobs have ended",
    )
    .addOption(
      new Option("--api <url>", "the API's address").env("IMAGE_INSIGHTS_API").default("http://localhost:8787"),
    )
    // Best from the environment (out of the shell history); help names the variable, never prints the key.
    .addOption(new Option("--key <key>", "API key").env("IMAGE_INSIGHTS_API_KEY"))
    .action(async (inputs: string[], options: Options) => {
      process.on("SIGINT", onInterrupt);
      try {
        code = await analyze(inputs, options, (line) => console.log(line));
      } catch (err) {
        if (err instanceof UsageError) {
          console.error(`image-insights: ${err.message}`);
          code = 2;
        } else if (err instanceof RunError) {
          console.error(`image-insights: ${err.message}`);
          code = 1;
        } else {
          // A bug, or an API whose answers do not match the contract: say so, with the details to report.
          console.error(`image-insights: unexpected failure (please report it): ${(err as Error).stack ?? err}`);
          code = 1;
        }
      } finally {
        process.off("SIGINT", onInterrupt);
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
