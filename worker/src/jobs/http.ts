/**
 * The batch jobs' handlers (their routes are declared in route.ts). A job belongs to the key that created it:
 * any other key gets 404 for it, its results and its deletion (never 403, which would reveal that it exists).
 */
import type { RouteHandler } from "@hono/zod-openapi";
import { stringify } from "csv-stringify/sync";
import type { Context } from "hono";
import { ApiError } from "../../../contract/errors.ts";
import { JOB_TOKEN_HEADER, JOBS_PATH, type JobResultLine } from "../../../contract/jobs.ts";
import { jobCsv } from "../../../contract/result-columns.ts";
import { cachePartition } from "../cache/index.ts";
import { configFor } from "../config.ts";
import type { AppEnv } from "../context.ts";
import { sha256Hex } from "../digest.ts";
import { describeCause, log } from "../log.ts";
import { indexKey } from "./index.ts";
import type {
  deleteJobRoute,
  getJobRoute,
  jobResultsRoute,
  listJobsRoute,
  submitJobRoute,
  webhookSecretRoute,
} from "./route.ts";
import { ownerOf } from "./route.ts";
import { reserveOpenItems } from "./tenant.ts";
import { webhookSecretFor } from "./webhook.ts";

/** Jobs per page of `GET /v1/jobs` when `limit` is not given. */
const DEFAULT_PAGE_SIZE = 20;

const jobNotFound = () => new ApiError(404, "not_found", "Job not found");

/**
 * Who asks for a job: its owner (the key, or on a public deployment the client's address) and, on a public
 * deployment, the job's token from X-Job-Token (callers behind one NAT share an address, never a token).
 */
function reader(c: Context<AppEnv>): { owner: string; token: string | null } {
  return { owner: ownerOf(c.get("principal")), token: c.req.header(JOB_TOKEN_HEADER) ?? null };
}

/** A public deployment's job token: 128 random bits, hex. */
const newJobToken = () =>
  `jt_${Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("")}`;

/**
 * `POST /v1/jobs`: the submission was read and checked by the route's middleware; this creates the job. An
 * attempt that finds the job already there (a retry, or another submission with its Idempotency-Key) deletes
 * the files it wrote, which are its own: each attempt writes under its own attempt ID (submit.ts), so the live
 * job's files are never among them.
 */
export const submitJob: RouteHandler<typeof submitJobRoute, AppEnv> = async (c) => {
  const { jobId, submission } = c.get("job");
  const principal = c.get("principal");
  const owner = ownerOf(principal);
  const config = configFor(c.env);
  // The items count against the key before the job exists (429 too_many_open_items past its budget). A
  // reservation whose `create` then throws is dropped by the key's ledger once it sees no such job.
  let reserved: boolean;
  try {
    reserved = await reserveOpenItems(c.env, config, owner, jobId, submission.items.length);
  } catch (cause) {
    if (submission.uploaded.length > 0) await c.env.UPLOADS.delete(submission.uploaded);
    throw cause;
  }
  // A `create` that throws leaves this attempt's files where they are: it may have created the job before
  // failing (its list entry, its alarm), and then they are the job's. The job's own clean-up deletes them
  // (everything under its prefix), or else the bucket's lifecycle rule (docs/OPERATIONS.md).
  const { created, sameRequest, job, accessToken } = await c.env.JOBS.getByName(jobId).create({
    jobId,
    owner,
    fingerprint: submission.fingerprint,
    params: submission.params,
    partition: cachePartition(config.resultCacheScope, principal),
    callbackUrl: submission.callbackUrl,
    items: submission.items,
    // A public deployment's caller is its address, shared behind a NAT: the job also needs its own token. (Under
    // `npm run dev` without keys the caller is an address too, but only this machine's.)
    accessToken: config.publicApi && principal.kind === "ip" ? newJobToken() : null,
  });
  // The job was there already and has ended (released): this call's reservation counts nothing. (A live job's
  // reservation is the one both attempts of a submission share, and stays.)
  if (!created && reserved && (job.status === "succeeded" || job.status === "cancelled")) {
    await c.env.TENANTS.getByName(owner).release(jobId, config.jobActiveJobsPerKey);
  }
  if (!sameRequest) {
    if (submission.uploaded.length > 0) await c.env.UPLOADS.delete(submission.uploaded);
    throw new ApiError(409, "idempotency_conflict", "This Idempotency-Key was used for another submission", {
      extra: { job_id: job.job_id },
    });
  }
  if (!created && submission.uploaded.length > 0) await c.env.UPLOADS.delete(submission.uploaded);
  c.header("Location", job.links.self);
  return c.json(accessToken ? { ...job, job_token: accessToken } : job, 202);
};

/** `GET /v1/jobs/{job_id}`. */
export const getJob: RouteHandler<typeof getJobRoute, AppEnv> = async (c) => {
  const { owner, token } = reader(c);
  const job = await c.env.JOBS.getByName(c.req.valid("param").job_id).view(owner, token);
  if (!job) throw jobNotFound();
  return c.json(job, 200);
};

/** `DELETE /v1/jobs/{job_id}`: cancels a job that runs, deletes one that has finished. */
export const deleteJob: RouteHandler<typeof deleteJobRoute, AppEnv> = async (c) => {
  const stub = c.env.JOBS.getByName(c.req.valid("param").job_id);
  const { owner, token } = reader(c);
  const job = await stub.view(owner, token);
  if (!job) throw jobNotFound();
  if (job.status === "queued" || job.status === "running") {
    return c.json((await stub.cancel(owner, token)) ?? job, 200);
  }
  await stub.remove(owner, token);
  return c.body(null, 204);
};

/** The 400 for a `cursor` that is not a `next_cursor` this API gave the caller (or one KV no longer takes). */
const invalidCursor = (cause?: unknown) =>
  new ApiError(
    400,
    "invalid_cursor",
    "Invalid cursor: pass next_cursor from the previous page exactly as it came, or leave cursor out for the first page",
    { extra: { parameter: "cursor" }, cause },
  );

/** The part of `next_cursor` that binds it to its owner and its KV cursor: 16 hex digits of a SHA-256. */
const cursorCheck = async (owner: string, kvCursor: string) => (await sha256Hex(`${owner}|${kvCursor}`)).slice(0, 16);

/**
 * The API's `next_cursor`: KV's cursor (base64url) and a check over it and its owner. KV's own cursor, passed
 * through as it came, gave an empty page locally for a mangled one and may throw on Cloudflare; with the
 * check, a malformed, truncated or another key's cursor is told apart (400) before KV sees it. Not a secret: a
 * caller who forges one can only list under their own prefix.
 *
 * @example
 * await encodeCursor("key:3f2a…", "AAAAAB…"); // "QUFBQUFC….9c1b0e2f4a6d8e10"
 */
export async function encodeCursor(owner: string, kvCursor: string): Promise<string> {
  const bytes = new TextEncoder().encode(kvCursor);
  const base64url = btoa(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(""))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
  return `${base64url}.${await cursorCheck(owner, kvCursor)}`;
}

/**
 * KV's cursor inside a `next_cursor` of this owner's; an `invalid_cursor` ApiError for anything else.
 *
 * @example
 * await decodeCursor("key:3f2a…", await encodeCursor("key:3f2a…", "AAAAAB…")); // "AAAAAB…"
 */
export async function decodeCursor(owner: string, token: string): Promise<string> {
  const match = /^([A-Za-z0-9_-]+)\.([0-9a-f]{16})$/.exec(token);
  if (!match) throw invalidCursor();
  let kvCursor: string;
  try {
    const binary = atob((match[1] as string).replaceAll("-", "+").replaceAll("_", "/"));
    kvCursor = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(binary, (ch) => ch.charCodeAt(0)),
    );
  } catch (cause) {
    throw invalidCursor(cause);
  }
  if ((await cursorCheck(owner, kvCursor)) !== match[2]) throw invalidCursor();
  return kvCursor;
}

/** `GET /v1/jobs`: the caller's jobs, newest first, a page at a time. */
export const listJobs: RouteHandler<typeof listJobsRoute, AppEnv> = async (c) => {
  const { cursor, limit } = c.req.valid("query");
  if (configFor(c.env).publicApi && c.get("principal").kind === "ip") {
    // Callers behind one NAT share an address: a list by address would show them each other's jobs.
    throw new ApiError(
      403,
      "listing_needs_key",
      "Listing jobs needs an API key: on a public deployment, read each job with the job_token its submission returned (X-Job-Token)",
    );
  }
  const owner = ownerOf(c.get("principal"));
  const kvCursor = cursor === undefined ? undefined : await decodeCursor(owner, cursor);
  let page: KVNamespaceListResult<unknown, string>;
  try {
    page = await c.env.RESULTS.list({
      prefix: indexKey(owner, Number.MAX_SAFE_INTEGER, "").replace(/0+:$/, ""),
      cursor: kvCursor,
      limit: limit ?? DEFAULT_PAGE_SIZE,
    });
  } catch (cause) {
    // A cursor that passed the check is one this API gave this owner; if KV refuses it anyway (it may have
    // expired), the caller's way out is the same: start again from the first page.
    if (kvCursor === undefined) throw cause;
    log("warn", "KV refused a checked job list cursor", {
      request_id: c.get("requestId"),
      cause: describeCause(cause),
    });
    throw invalidCursor(cause);
  }
  const jobs = await Promise.all(
    page.keys.map(async ({ name }) => c.env.JOBS.getByName(name.slice(name.lastIndexOf(":") + 1)).view(owner)),
  );
  return c.json(
    {
      jobs: jobs.filter((job) => job !== null),
      next_cursor: page.list_complete ? null : await encodeCursor(owner, page.cursor),
    },
    200,
  );
};

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

/** `GET /v1/jobs/{job_id}/results`: NDJSON or CSV, streamed page by page in item order. */
export const jobResults: RouteHandler<typeof jobResultsRoute, AppEnv> = async (c) => {
  const jobId = c.req.valid("param").job_id;
  const stub = c.env.JOBS.getByName(jobId);
  const { owner, token } = reader(c);
  const first = await stub.results(owner, -1, token);
  if (!first) throw jobNotFound();
  const format = c.req.valid("query").format ?? (/\btext\/csv\b/.test(c.req.header("Accept") ?? "") ? "csv" : "ndjson");
  // The columns follow from the job's parameters alone (contract/result-columns.ts), never from its results.
  const params = format === "csv" ? await stub.params(owner, token) : null;
  if (format === "csv" && !params) throw jobNotFound(); // deleted since its first page was read
  const csv = params ? jobCsv(params) : null;
  const encoder = new TextEncoder();
  const encode = (lines: JobResultLine[]) =>
    encoder.encode(csv ? stringify(lines.map(csv.row)) : lines.map((line) => `${JSON.stringify(line)}\n`).join(""));
  const body = pageStream(first, (after) => stub.results(owner, after, token), encode, {
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
  const headers = {
    "Content-Type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
    "Content-Disposition": `inline; filename="${jobId}.${format}"`,
    "Cache-Control": "no-store",
  };
  return c.body(body, 200, headers) as never;
};

/**
 * `GET /v1/webhooks/secret`: the caller's own webhook signing secret (derived from WEBHOOK_SECRET and the key,
 * webhook.ts), to verify the webhooks of its jobs with any Standard Webhooks library.
 */
export const webhookSecret: RouteHandler<typeof webhookSecretRoute, AppEnv> = async (c) => {
  const root = configFor(c.env).webhookSecret;
  if (!root) {
    throw new ApiError(
      404,
      "not_found",
      "This service sends no webhooks: its operator has not set WEBHOOK_SECRET, so there is no secret to give",
    );
  }
  c.header("Cache-Control", "no-store");
  return c.json(
    { secret: await webhookSecretFor(root, ownerOf(c.get("principal"))), scheme: "standard-webhooks" as const },
    200,
  );
};

export { JOBS_PATH };
