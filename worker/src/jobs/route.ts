/**
 * The batch jobs' routes, each declared once (validation, types, the typed client and the OpenAPI document all
 * come from the declaration) with its handler beside it. A job belongs to the key that created it: any other
 * key gets 404 for it, its results and its deletion (never 403, which would reveal that it exists).
 *
 * A submission is read by submit.ts, the job run by its Durable Object (job.ts), its results streamed by
 * results.ts, and the list's cursor checked by cursor.ts.
 */
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { AnalysisQuerySchema } from "../../../contract/analysis.ts";
import { DuplicatesSchema } from "../../../contract/duplicates.ts";
import { ApiError, fieldError } from "../../../contract/errors.ts";
import {
  IDEMPOTENCY_KEY_HEADER,
  JOB_IMAGES_FIELD,
  JOB_TOKEN_HEADER,
  JOBS_PATH,
  JobListSchema,
  JobRequestSchema,
  JobResultLineSchema,
  JobSchema,
  WEBHOOK_SECRET_PATH,
  WebhookSecretSchema,
} from "../../../contract/jobs.ts";
import { jobCsv } from "../../../contract/result-columns.ts";
import { authenticate } from "../auth/index.ts";
import { cachePartition } from "../cache/index.ts";
import { configFor } from "../config.ts";
import type { AppEnv } from "../context.ts";
import { sha256Hex } from "../digest.ts";
import { describeCause, log } from "../log.ts";
import { rememberJson } from "../openapi/body.ts";
import { COMMON_ERRORS, jsonAnswer, KEY_SECURITY, Named, TOO_LARGE, UNPROCESSABLE } from "../openapi/index.ts";
import { rateLimit } from "../ratelimit/index.ts";
import { decodeCursor, encodeCursor, invalidCursor } from "./cursor.ts";
import { UNFINISHED } from "./job.ts";
import { jobArchive, resultStream } from "./results.ts";
import { ownerListPrefix } from "./store.ts";
import { readJsonSubmission, readMultipartSubmission } from "./submit.ts";
import { reserveOpenItems } from "./tenant.ts";
import { webhookSecretFor } from "./webhook.ts";

export const JobNamed = {
  Job: JobSchema.openapi("Job"),
  JobList: JobListSchema.openapi("JobList"),
  JobRequest: JobRequestSchema.openapi("JobRequest"),
  JobResultLine: JobResultLineSchema.openapi("JobResultLine"),
  WebhookSecret: WebhookSecretSchema.openapi("WebhookSecret"),
  Duplicates: DuplicatesSchema.openapi("Duplicates"),
};

/** A job's ID: `job_` and 32 hex digits. Anything else is not a job (404). */
export const JOB_ID = /^job_[0-9a-f]{32}$/;
/** The longest Idempotency-Key accepted. */
const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

const JobIdParam = z.object({
  job_id: z
    .string()
    .regex(JOB_ID)
    .openapi({ param: { name: "job_id", in: "path" }, example: "job_3f2a9c0d1e4b5a6978f0e1d2c3b4a596" }),
});

/** A public deployment's job token: reading, downloading and cancelling a job there need it. */
const JobTokenHeader = z.object({
  [JOB_TOKEN_HEADER.toLowerCase()]: z
    .string()
    .optional()
    .describe("Public deployments (no API key) only: the `job_token` the job's submission returned."),
});

const NOT_FOUND = jsonAnswer("No job with this ID belongs to your key.", Named.ErrorEnvelope);

/** Who a job belongs to: its creator's principal (auth/index.ts). */
export const ownerOf = (principal: { kind: string; id: string }) => `${principal.kind}:${principal.id}`;

/**
 * The job's ID: from the Idempotency-Key (the same key of the same caller always names the same job), or new.
 *
 * @example
 * await jobIdFor("key:3f2a…", "upload-2026-11-23"); // "job_9b1c…" (the same every time)
 */
export async function jobIdFor(owner: string, idempotencyKey: string | undefined): Promise<string> {
  if (idempotencyKey === undefined) return `job_${crypto.randomUUID().replaceAll("-", "")}`;
  return `job_${(await sha256Hex(`${owner}|${idempotencyKey}`)).slice(0, 32)}`;
}

const jobNotFound = () => new ApiError(404, "not_found", "Job not found");

/** A job's final record (its duplicates, its ZIP) asked for before it ended. */
const jobNotFinished = (what: string) =>
  new ApiError(409, "job_not_finished", `The job has not finished: its ${what} are made when every item is done`);

const NOT_FINISHED = jsonAnswer(
  "`job_not_finished`: the job is still queued or running (poll it until `status` is `succeeded` or `cancelled`).",
  Named.ErrorEnvelope,
);

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
 * Checks a submission's headers, and reads a JSON one, before the route's validators run: the body is read
 * once, under its size cap, with the reference's checks in their order, and handed to the JSON validator. A
 * multipart body is left to the handler, which reads it once the validators have parsed the query's analysis
 * parameters (so they are checked before any file is stored, as before).
 */
function receiveJob(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // Refused before the body is read, so nothing is stored. A webhook URL often carries a token, and URLs end
    // up in logs (proxies', the platform's): the callback URL travels in the body only.
    if (new URL(c.req.url).searchParams.has("callback_url")) {
      throw new ApiError(
        400,
        "invalid_callback_url",
        "Send callback_url as a form field (multipart) or in the JSON body, never in the URL: URLs end up in logs",
        { extra: { callback_url: "in the query" } },
      );
    }
    const config = configFor(c.env);
    const key = c.req.header(IDEMPOTENCY_KEY_HEADER);
    if (
      key !== undefined &&
      (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key))
    ) {
      throw fieldError(IDEMPOTENCY_KEY_HEADER, "string_type", "Expected 1 to 255 visible ASCII characters", "header");
    }
    const owner = ownerOf(c.get("principal"));
    const jobId = await jobIdFor(owner, key);
    const type = c.req.header("Content-Type") ?? "";
    if (/^multipart\/form-data/i.test(type)) {
      c.set("job", { jobId, submission: null });
    } else {
      const submission = await readJsonSubmission(c.req.raw, config);
      c.set("job", { jobId, submission });
      rememberJson(c, submission.body);
    }
    await next();
  };
}

export const submitJobRoute = createRoute({
  method: "post",
  path: JOBS_PATH,
  operationId: "submitJob",
  tags: ["jobs"],
  summary: "Analyse many images in the background",
  description:
    "JSON with the images' URLs, or multipart with the files in the repeated field `images` (parameters in the query, `callback_url` as a form field). Everything is checked before anything is queued. Answers 202 with the job; poll `links.self`, download `links.results`, or give a `callback_url` (in the body, never in the URL: a `callback_url` query parameter is refused with 400, since URLs end up in logs).",
  security: KEY_SECURITY,
  middleware: [authenticate<AppEnv>(), rateLimit<AppEnv>(), receiveJob()] as const,
  request: {
    headers: z.object({
      [IDEMPOTENCY_KEY_HEADER.toLowerCase()]: z
        .string()
        .optional()
        .describe("Makes a retried submission return the same job; the same key with another body is a 409."),
    }),
    query: AnalysisQuerySchema,
    body: {
      required: false,
      description: "Required: one of the two forms.",
      content: {
        "application/json": { schema: JobNamed.JobRequest },
        "multipart/form-data": {
          schema: {
            type: "object",
            required: [JOB_IMAGES_FIELD],
            properties: {
              [JOB_IMAGES_FIELD]: {
                type: "array",
                items: { type: "string", format: "binary" },
                description: "The files (each at most MAX_UPLOAD_BYTES, all at most MAX_JOB_UPLOAD_BYTES).",
              },
              callback_url: {
                type: "string",
                description:
                  "Called with a signed POST (Standard Webhooks) when the job ends; checked like an image URL. At most once.",
              },
            },
          },
        },
      },
    },
  },
  responses: {
    202: {
      ...jsonAnswer("The job, queued (or the existing one, for a retried submission).", JobNamed.Job),
      headers: { Location: { schema: { type: "string" }, description: "The job's URL." } },
    },
    400: jsonAnswer(
      "An invalid parameter, URL, file or callback_url (`item_index` says which item), or a callback_url in the query.",
      Named.ErrorEnvelope,
    ),
    401: COMMON_ERRORS[401],
    409: jsonAnswer("The Idempotency-Key was used for another submission.", Named.ErrorEnvelope),
    413: {
      ...TOO_LARGE,
      description: "More than MAX_JOB_ITEMS items, a file over MAX_UPLOAD_BYTES, or more than MAX_JOB_UPLOAD_BYTES.",
    },
    415: jsonAnswer("A file that is not JPEG, PNG, WebP, AVIF or GIF (`item_index` says which).", Named.ErrorEnvelope),
    422: UNPROCESSABLE,
    429: {
      ...COMMON_ERRORS[429],
      description:
        "`rate_limited`, or `too_many_open_items`: the key's unfinished jobs would pass JOB_MAX_OPEN_ITEMS_PER_KEY items (`Retry-After`).",
    },
  },
});

/**
 * `POST /v1/jobs`: a JSON submission was read and checked by the route's middleware, a multipart one is read
 * here; this creates the job. An attempt that finds the job already there (a retry, or another submission with
 * its Idempotency-Key) deletes the files it wrote, which are its own: each attempt writes under its own attempt
 * ID (uploads.ts), so the live job's files are never among them.
 */
export const submitJob: RouteHandler<typeof submitJobRoute, AppEnv> = async (c) => {
  const { jobId, submission: json } = c.get("job");
  const principal = c.get("principal");
  const owner = ownerOf(principal);
  const config = configFor(c.env);
  // A multipart form's analysis parameters are in its query, parsed by the route's validator. Its files are
  // always stored, under this attempt's own keys: a retry that finds its job deletes only what it wrote (below),
  // so every item of a job that is created has its bytes or its R2 object.
  const submission = json ?? (await readMultipartSubmission(c.req.raw, c.env, config, jobId, c.req.valid("query")));
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

export const listJobsRoute = createRoute({
  method: "get",
  path: JOBS_PATH,
  operationId: "listJobs",
  tags: ["jobs"],
  summary: "Your jobs, newest first",
  security: KEY_SECURITY,
  middleware: [authenticate<AppEnv>(), rateLimit<AppEnv>()] as const,
  request: {
    query: z.object({
      cursor: z
        .string()
        .optional()
        .describe("`next_cursor` of the previous page, exactly as it came (anything else is a 400 `invalid_cursor`)."),
      limit: z.coerce.number().int().min(1).max(100).optional().describe("Jobs per page (default 20)."),
    }),
  },
  responses: {
    200: jsonAnswer("A page of jobs.", JobNamed.JobList),
    400: jsonAnswer(
      "`invalid_cursor`: a cursor that is not the previous page's `next_cursor` (or one that is no longer valid).",
      Named.ErrorEnvelope,
    ),
    401: COMMON_ERRORS[401],
    403: jsonAnswer(
      "`listing_needs_key`: a public deployment's caller without a key (read each job with its `job_token`).",
      Named.ErrorEnvelope,
    ),
    429: COMMON_ERRORS[429],
  },
});

/** Jobs per page of `GET /v1/jobs` when `limit` is not given. */
const DEFAULT_PAGE_SIZE = 20;

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
      prefix: ownerListPrefix(owner),
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

export const getJobRoute = createRoute({
  method: "get",
  path: `${JOBS_PATH}/{job_id}`,
  operationId: "getJob",
  tags: ["jobs"],
  summary: "A job's status and progress",
  security: KEY_SECURITY,
  middleware: [authenticate<AppEnv>(), rateLimit<AppEnv>()] as const,
  request: { params: JobIdParam, headers: JobTokenHeader },
  responses: {
    200: jsonAnswer("The job.", JobNamed.Job),
    401: COMMON_ERRORS[401],
    404: NOT_FOUND,
    429: COMMON_ERRORS[429],
  },
});

/** `GET /v1/jobs/{job_id}`. */
export const getJob: RouteHandler<typeof getJobRoute, AppEnv> = async (c) => {
  const { owner, token } = reader(c);
  const job = await c.env.JOBS.getByName(c.req.valid("param").job_id).view(owner, token);
  if (!job) throw jobNotFound();
  return c.json(job, 200);
};

export const jobResultsRoute = createRoute({
  method: "get",
  path: `${JOBS_PATH}/{job_id}/results`,
  operationId: "getJobResults",
  tags: ["jobs"],
  summary: "A job's results, as NDJSON, CSV or a ZIP of everything",
  description:
    "Streamed in item order; while the job runs, only the items already finished. NDJSON by default; CSV with `Accept: text/csv` or `format=csv` (one row per item; a header row whose columns follow from the job's parameters alone, nested fields flattened with dotted names; a value a result does not have is an empty cell; a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so no spreadsheet runs it as a formula). `format=zip` (a finished job only, else 409 `job_not_finished`): one ZIP, streamed, of `results.csv` and `results.ndjson` (the same bytes as the two formats), `duplicates.json` (as `GET /v1/jobs/{job_id}/duplicates`) and `manifest.json` (the job's parameters, its items' counts by status, its times, the engine and service versions).",
  security: KEY_SECURITY,
  middleware: [authenticate<AppEnv>(), rateLimit<AppEnv>()] as const,
  request: {
    params: JobIdParam,
    headers: JobTokenHeader,
    query: z.object({ format: z.enum(["ndjson", "csv", "zip"]).optional() }),
  },
  responses: {
    200: {
      description: "One line (or row) per finished item; or the ZIP (`Content-Disposition: attachment`).",
      content: {
        "application/x-ndjson": { schema: JobNamed.JobResultLine },
        "text/csv": { schema: z.string() },
        "application/zip": { schema: z.string().openapi({ format: "binary" }) },
      },
    },
    401: COMMON_ERRORS[401],
    404: NOT_FOUND,
    409: NOT_FINISHED,
    429: COMMON_ERRORS[429],
  },
});

/** `format=zip`: the finished job's ZIP (results.ts `jobArchive`). */
async function zipOfJob(c: Context<AppEnv>, jobId: string): Promise<Response> {
  const stub = c.env.JOBS.getByName(jobId);
  const { owner, token } = reader(c);
  const archive = await stub.archive(owner, token);
  if (!archive) throw jobNotFound();
  if (archive === UNFINISHED) throw jobNotFinished("ZIP's contents");
  const body = jobArchive(archive, (after) => stub.results(owner, after, token));
  return c.body(body, 200, {
    "Content-Type": "application/zip",
    "Content-Disposition": `attachment; filename="${jobId}.zip"`,
    "Cache-Control": "no-store",
  });
}

/** `GET /v1/jobs/{job_id}/results`: NDJSON or CSV, streamed page by page in item order. */
export const jobResults: RouteHandler<typeof jobResultsRoute, AppEnv> = async (c) => {
  const jobId = c.req.valid("param").job_id;
  if (c.req.valid("query").format === "zip") return (await zipOfJob(c, jobId)) as never;
  const stub = c.env.JOBS.getByName(jobId);
  const { owner, token } = reader(c);
  const first = await stub.results(owner, -1, token);
  if (!first) throw jobNotFound();
  const format = (c.req.valid("query").format ??
    (/\btext\/csv\b/.test(c.req.header("Accept") ?? "") ? "csv" : "ndjson")) as "csv" | "ndjson";
  // The columns follow from the job's parameters alone (contract/result-columns.ts), never from its results.
  const params = format === "csv" ? await stub.params(owner, token) : null;
  if (format === "csv" && !params) throw jobNotFound(); // deleted since its first page was read
  const body = resultStream(first, (after) => stub.results(owner, after, token), params ? jobCsv(params) : null, jobId);
  const headers = {
    "Content-Type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
    "Content-Disposition": `inline; filename="${jobId}.${format}"`,
    "Cache-Control": "no-store",
  };
  return c.body(body, 200, headers) as never;
};

export const jobDuplicatesRoute = createRoute({
  method: "get",
  path: `${JOBS_PATH}/{job_id}/duplicates`,
  operationId: "getJobDuplicates",
  tags: ["jobs"],
  summary: "A finished job's exact and near duplicates",
  description:
    "Grouped once, when the job ended: `exact` groups are items with the same file (SHA-256); `near` groups are the connected components of the job's files whose 64-bit perceptual hashes differ in at most `threshold` bits (docs/METRICS.md, Near-duplicates in a job). Every item is hashed whatever the job's metrics; an item that failed is in no group. Groups in order of their first item, items in item order. While the job runs: 409 `job_not_finished`.",
  security: KEY_SECURITY,
  middleware: [authenticate<AppEnv>(), rateLimit<AppEnv>()] as const,
  request: { params: JobIdParam, headers: JobTokenHeader },
  responses: {
    200: jsonAnswer("The groups.", JobNamed.Duplicates),
    401: COMMON_ERRORS[401],
    404: NOT_FOUND,
    409: NOT_FINISHED,
    429: COMMON_ERRORS[429],
  },
});

/** `GET /v1/jobs/{job_id}/duplicates`: the groups its job kept when it ended. */
export const jobDuplicates: RouteHandler<typeof jobDuplicatesRoute, AppEnv> = async (c) => {
  const { owner, token } = reader(c);
  const duplicates = await c.env.JOBS.getByName(c.req.valid("param").job_id).duplicates(owner, token);
  if (!duplicates) throw jobNotFound();
  if (duplicates === UNFINISHED) throw jobNotFinished("duplicates");
  c.header("Cache-Control", "no-store");
  return c.json(duplicates, 200);
};

export const deleteJobRoute = createRoute({
  method: "delete",
  path: `${JOBS_PATH}/{job_id}`,
  operationId: "deleteJob",
  tags: ["jobs"],
  summary: "Cancel a running job, or delete a finished one",
  description:
    "A queued or running job is cancelled (its items not yet started are never analysed) and returned. A finished job is deleted with its results and uploads (204).",
  security: KEY_SECURITY,
  middleware: [authenticate<AppEnv>(), rateLimit<AppEnv>()] as const,
  request: { params: JobIdParam, headers: JobTokenHeader },
  responses: {
    200: jsonAnswer("The job, cancelled.", JobNamed.Job),
    204: { description: "The finished job was deleted." },
    401: COMMON_ERRORS[401],
    404: NOT_FOUND,
    429: COMMON_ERRORS[429],
  },
});

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

export const webhookSecretRoute = createRoute({
  method: "get",
  path: WEBHOOK_SECRET_PATH,
  operationId: "getWebhookSecret",
  tags: ["jobs"],
  summary: "Your webhook signing secret",
  description:
    "The secret that signs the webhooks of your key's jobs (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`). Your own: derived from the service's secret and your key, so it is the same on every call and verifies no other key's webhooks. Fetch it once and verify each webhook with any Standard Webhooks library.",
  security: KEY_SECURITY,
  middleware: [authenticate<AppEnv>(), rateLimit<AppEnv>()] as const,
  responses: {
    200: jsonAnswer("Your secret.", JobNamed.WebhookSecret),
    401: COMMON_ERRORS[401],
    404: jsonAnswer("The service sends no webhooks (its operator has not set WEBHOOK_SECRET).", Named.ErrorEnvelope),
    429: COMMON_ERRORS[429],
  },
});

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
