/**
 * The batch jobs' handlers (their routes are declared in route.ts). A job belongs to the key that created it:
 * any other key gets 404 for it, its results and its deletion (never 403, which would reveal that it exists).
 */
import type { RouteHandler } from "@hono/zod-openapi";
import { stringify } from "csv-stringify/sync";
import { ApiError } from "../../../contract/errors.ts";
import { JOBS_PATH, type JobResultLine } from "../../../contract/jobs.ts";
import { jobCsv } from "../../../contract/result-columns.ts";
import { cachePartition } from "../cache/index.ts";
import { configFor } from "../config.ts";
import type { AppEnv } from "../context.ts";
import { log } from "../log.ts";
import { indexKey } from "./index.ts";
import type { deleteJobRoute, getJobRoute, jobResultsRoute, listJobsRoute, submitJobRoute } from "./route.ts";
import { ownerOf } from "./route.ts";

/** Jobs per page of `GET /v1/jobs` when `limit` is not given. */
const DEFAULT_PAGE_SIZE = 20;

const jobNotFound = () => new ApiError(404, "not_found", "Job not found");

/** `POST /v1/jobs`: the submission was read and checked by the route's middleware; this creates the job. */
export const submitJob: RouteHandler<typeof submitJobRoute, AppEnv> = async (c) => {
  const { jobId, submission } = c.get("job");
  const principal = c.get("principal");
  const owner = ownerOf(principal);
  const { created, sameRequest, job } = await c.env.JOBS.getByName(jobId).create({
    jobId,
    owner,
    fingerprint: submission.fingerprint,
    params: submission.params,
    partition: cachePartition(configFor(c.env).resultCacheScope, principal),
    callbackUrl: submission.callbackUrl,
    items: submission.items,
  });
  if (!sameRequest) {
    if (submission.uploaded.length > 0) await c.env.UPLOADS.delete(submission.uploaded);
    throw new ApiError(409, "idempotency_conflict", "This Idempotency-Key was used for another submission", {
      extra: { job_id: job.job_id },
    });
  }
  if (!created && submission.uploaded.length > 0) await c.env.UPLOADS.delete(submission.uploaded);
  c.header("Location", job.links.self);
  return c.json(job, 202);
};

/** `GET /v1/jobs/{job_id}`. */
export const getJob: RouteHandler<typeof getJobRoute, AppEnv> = async (c) => {
  const job = await c.env.JOBS.getByName(c.req.valid("param").job_id).view(ownerOf(c.get("principal")));
  if (!job) throw jobNotFound();
  return c.json(job, 200);
};

/** `DELETE /v1/jobs/{job_id}`: cancels a job that runs, deletes one that has finished. */
export const deleteJob: RouteHandler<typeof deleteJobRoute, AppEnv> = async (c) => {
  const stub = c.env.JOBS.getByName(c.req.valid("param").job_id);
  const owner = ownerOf(c.get("principal"));
  const job = await stub.view(owner);
  if (!job) throw jobNotFound();
  if (job.status === "queued" || job.status === "running") return c.json((await stub.cancel(owner)) ?? job, 200);
  await stub.remove(owner);
  return c.body(null, 204);
};

/** `GET /v1/jobs`: the caller's jobs, newest first, a page at a time. */
export const listJobs: RouteHandler<typeof listJobsRoute, AppEnv> = async (c) => {
  const { cursor, limit } = c.req.valid("query");
  const owner = ownerOf(c.get("principal"));
  const page = await c.env.RESULTS.list({
    prefix: indexKey(owner, Number.MAX_SAFE_INTEGER, "").replace(/0+:$/, ""),
    cursor,
    limit: limit ?? DEFAULT_PAGE_SIZE,
  });
  const jobs = await Promise.all(
    page.keys.map(async ({ name }) => c.env.JOBS.getByName(name.slice(name.lastIndexOf(":") + 1)).view(owner)),
  );
  return c.json(
    { jobs: jobs.filter((job) => job !== null), next_cursor: page.list_complete ? null : page.cursor },
    200,
  );
};

/** `GET /v1/jobs/{job_id}/results`: NDJSON or CSV, streamed page by page in item order. */
export const jobResults: RouteHandler<typeof jobResultsRoute, AppEnv> = async (c) => {
  const jobId = c.req.valid("param").job_id;
  const stub = c.env.JOBS.getByName(jobId);
  const owner = ownerOf(c.get("principal"));
  const first = await stub.results(owner, -1);
  if (!first) throw jobNotFound();
  const format = c.req.valid("query").format ?? (/\btext\/csv\b/.test(c.req.header("Accept") ?? "") ? "csv" : "ndjson");
  // The columns follow from the job's parameters alone (contract/result-columns.ts), never from its results.
  const params = format === "csv" ? await stub.params(owner) : null;
  if (format === "csv" && !params) throw jobNotFound(); // deleted since its first page was read
  const csv = params ? jobCsv(params) : null;
  const encoder = new TextEncoder();
  const encode = (lines: JobResultLine[]) =>
    encoder.encode(csv ? stringify(lines.map(csv.row)) : lines.map((line) => `${JSON.stringify(line)}\n`).join(""));
  let page: { lines: JobResultLine[]; next: number | null } | null = first;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (csv) controller.enqueue(encoder.encode(stringify([csv.header])));
    },
    async pull(controller) {
      if (!page) {
        if (csv && csv.unlisted.size > 0) {
          log("error", "job CSV has no column for some fields", {
            job_id: jobId,
            fields: [...csv.unlisted].sort().join(","),
          });
        }
        controller.close();
        return;
      }
      controller.enqueue(encode(page.lines));
      page = page.next === null ? null : await stub.results(owner, page.next);
    },
  });
  const headers = {
    "Content-Type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
    "Content-Disposition": `inline; filename="${jobId}.${format}"`,
    "Cache-Control": "no-store",
  };
  return c.body(body, 200, headers) as never;
};

export { JOBS_PATH };
