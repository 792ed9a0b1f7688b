/**
 * A job's results as the body of `GET /v1/jobs/{job_id}/results` (route.ts): NDJSON or CSV, read from the job
 * page by page as the caller reads, in item order; or a finished job's ZIP of everything (client-zip), whose
 * entries are those same streams, made one after the other as the caller reads.
 */
import { makeZip } from "client-zip";
import { stringify } from "csv-stringify/sync";
import { type AnalysisParams, ENGINE_VERSION } from "../../../contract/analysis.ts";
import type { Duplicates } from "../../../contract/duplicates.ts";
import type { Job, JobResultLine } from "../../../contract/jobs.ts";
import { jobCsv } from "../../../contract/result-columns.ts";
import pkg from "../../../package.json" with { type: "json" };
import { describeCause, log } from "../log.ts";

/** A page of a job's result lines, and where the next starts (null: the last page). */
export interface ResultPage {
  lines: JobResultLine[];
  next: number | null;
}

/**
 * A job's results as a byte stream, one page read at a time as the caller reads: `first`, then `readPage`
 * from each page's `next`. A page that cannot be read (the call throws, or the job is gone since the first
 * page) errors the stream, so the caller sees a broken transfer, never a clean end with lines missing.
 *
 * @example
 * pageStream(first, (after) => stub.results(owner, after), encode, { jobId }); // ReadableStream<Uint8Array>
 */
export function pageStream(
  first: ResultPage,
  readPage: (after: number) => Promise<ResultPage | null>,
  encode: (lines: JobResultLine[]) => Uint8Array,
  options: { jobId: string; head?: Uint8Array; onEnd?: () => void },
): ReadableStream<Uint8Array> {
  let page: ResultPage | null = first;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (options.head) controller.enqueue(options.head);
    },
    async pull(controller) {
      if (!page) {
        options.onEnd?.();
        controller.close();
        return;
      }
      controller.enqueue(encode(page.lines));
      if (page.next === null) {
        page = null;
        return;
      }
      const after = page.next;
      try {
        page = await readPage(after);
        if (!page) throw new Error("the job was deleted during the download");
      } catch (cause) {
        // The status line and the lines so far are sent: erroring the stream is the one way left to tell the
        // caller that the body is incomplete (the connection is cut instead of ending cleanly).
        log("error", "job results download broken", { job_id: options.jobId, after, cause: describeCause(cause) });
        controller.error(cause);
      }
    },
  });
}

/**
 * The results as NDJSON (`csv` null) or as CSV with the columns of the job's parameters (`jobCsv`, which
 * follow from the parameters alone, never from the results): a header row, then a row per line. A field the
 * CSV has no column for is logged once the download ends.
 *
 * @example
 * resultStream(first, (after) => stub.results(owner, after, token), jobCsv(params), jobId);
 */
export function resultStream(
  first: ResultPage,
  readPage: (after: number) => Promise<ResultPage | null>,
  csv: ReturnType<typeof jobCsv> | null,
  jobId: string,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const encode = (lines: JobResultLine[]) =>
    encoder.encode(csv ? stringify(lines.map(csv.row)) : lines.map((line) => `${JSON.stringify(line)}\n`).join(""));
  return pageStream(first, readPage, encode, {
    jobId,
    head: csv ? encoder.encode(stringify([csv.header])) : undefined,
    onEnd: () => {
      if (csv && csv.unlisted.size > 0) {
        log("error", "job CSV has no column for some fields", {
          job_id: jobId,
          fields: [...csv.unlisted].sort().join(","),
        });
      }
    },
  });
}

/** The analysis parameters as the API's own names spell them (the ZIP's manifest). */
function parameterNames(params: AnalysisParams): Record<string, unknown> {
  const hex = (v: number) => v.toString(16).padStart(2, "0");
  return {
    metrics: params.metrics,
    edge_mode: params.edgeMode,
    background: params.background
      ? `${hex(params.background.r)}${hex(params.background.g)}${hex(params.background.b)}`
      : null,
    ...(params.colors !== undefined ? { colors: params.colors } : {}),
    ...(params.algorithm !== undefined ? { algorithm: params.algorithm } : {}),
    ...(params.crop !== undefined ? { crop: params.crop } : {}),
  };
}

/**
 * The ZIP's `manifest.json`: what the job was asked, what became of its items, when, and by which engine and service.
 *
 * @example
 * manifest(job, params); // { job_id, status: "succeeded", parameters: { metrics: ["brightness"], … }, items: { total: 3, … }, … }
 */
export function manifest(job: Job, params: AnalysisParams) {
  return {
    job_id: job.job_id,
    status: job.status,
    parameters: parameterNames(params),
    items: {
      total: job.total,
      succeeded: job.succeeded,
      failed: job.failed,
      cancelled: job.done - job.succeeded - job.failed,
    },
    created_at: job.created_at,
    finished_at: job.finished_at,
    engine_version: ENGINE_VERSION,
    service_version: pkg.version,
    files: ["results.csv", "results.ndjson", "duplicates.json", "manifest.json"],
  };
}

/**
 * A finished job's ZIP (stored, not deflated: client-zip's `makeZip`): results.csv and results.ndjson (the bytes
 * `?format=csv` and `?format=ndjson` give), duplicates.json and manifest.json. Never whole in memory: each results
 * entry is a page stream (`resultStream`) started only when the ZIP reaches it, and client-zip writes its sizes
 * and CRCs after each entry's bytes (data descriptors), so nothing is read ahead.
 *
 * @example
 * jobArchive({ job, params, duplicates }, (after) => stub.results(owner, after, token)); // ReadableStream<Uint8Array>
 */
export function jobArchive(
  what: { job: Job; params: AnalysisParams; duplicates: Duplicates },
  readPage: (after: number) => Promise<ResultPage | null>,
): ReadableStream<Uint8Array> {
  const { job, params, duplicates } = what;
  const lastModified = new Date(job.finished_at ?? job.updated_at);
  const results = async (csv: ReturnType<typeof jobCsv> | null) => {
    const first = await readPage(-1);
    if (!first) throw new Error("the job was deleted during the download");
    return resultStream(first, readPage, csv, job.job_id);
  };
  async function* entries() {
    yield { name: "results.csv", lastModified, input: await results(jobCsv(params)) };
    yield { name: "results.ndjson", lastModified, input: await results(null) };
    yield { name: "duplicates.json", lastModified, input: `${JSON.stringify(duplicates, null, 2)}\n` };
    yield { name: "manifest.json", lastModified, input: `${JSON.stringify(manifest(job, params), null, 2)}\n` };
  }
  return makeZip(entries(), { buffersAreUTF8: true });
}
