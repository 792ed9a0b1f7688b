/**
 * A job's results as the body of `GET /v1/jobs/{job_id}/results` (route.ts): NDJSON or CSV, read from the job
 * page by page as the caller reads, in item order.
 */
import { stringify } from "csv-stringify/sync";
import type { JobResultLine } from "../../../contract/jobs.ts";
import type { jobCsv } from "../../../contract/result-columns.ts";
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
