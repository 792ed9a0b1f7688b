/**
 * Batch jobs' contract: what a submission carries, what a job looks like, what each result line says. One
 * copy, for the Worker's route declarations (and so the OpenAPI document and the typed client), the CLI and
 * the tests.
 */
import { z } from "zod";
import { UrlRequestSchema } from "./analysis.ts";
import { AnalysisResponseSchema, ErrorEnvelopeSchema } from "./schemas.ts";

/** Where the jobs live. */
export const JOBS_PATH = "/v1/jobs";
/** The repeated multipart field that carries a job's files. */
export const JOB_IMAGES_FIELD = "images";
/** The header that makes a submission safe to retry (the same key and body: the same job). */
export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
/** On a public deployment, the header that carries a job's `job_token` (its reader's proof). */
export const JOB_TOKEN_HEADER = "X-Job-Token";
/** Where a key reads the secret that signs its jobs' webhooks. */
export const WEBHOOK_SECRET_PATH = "/v1/webhooks/secret";

export const JobStatusSchema = z
  .enum(["queued", "running", "succeeded", "cancelled"])
  .describe("queued: nothing analysed yet; running; succeeded: every item has its result or error; cancelled.");

export const JobItemSchema = z.object({
  url: z.string().min(1).describe("A public http(s) URL of an image, checked like POST /v1/image/analysis/url."),
  id: z.string().max(256).optional().describe("Your own reference, echoed in the results."),
});

/**
 * `POST /v1/jobs` as JSON: the items and the single-image endpoints' parameters (every parameter the URL route
 * takes, so a new one reaches jobs too), and where to be called back.
 */
export const JobRequestSchema = UrlRequestSchema.omit({ url: true }).extend({
  items: z.array(JobItemSchema).min(1).describe("The images, analysed in this order (at most MAX_JOB_ITEMS)."),
  callback_url: z
    .string()
    .optional()
    .describe("Called with a signed POST (Standard Webhooks) when the job ends; checked like an image URL."),
});

export const JobSchema = z.object({
  job_id: z.string(),
  status: JobStatusSchema,
  total: z.number().int().min(1),
  done: z.number().int().min(0).describe("Items with a result or an error."),
  succeeded: z.number().int().min(0),
  failed: z.number().int().min(0),
  progress_percent: z.number().min(0).max(100).describe("done / total × 100, 1 decimal."),
  created_at: z.string().describe("ISO 8601."),
  updated_at: z.string(),
  finished_at: z.string().nullable(),
  expires_at: z.string().describe("When the job, its results and its uploads are deleted (JOB_RETENTION)."),
  links: z.object({ self: z.string(), results: z.string(), duplicates: z.string() }),
  job_token: z
    .string()
    .optional()
    .describe(
      "Public deployments only (no API key), in the submission's 202: the token that reading, downloading or cancelling this job needs, sent as X-Job-Token. Keep it: it is shown only to the submission (and its retries).",
    ),
});

export const JobListSchema = z.object({
  jobs: z.array(JobSchema).describe("Newest first."),
  next_cursor: z
    .string()
    .nullable()
    .describe("Pass as ?cursor= for the next page, exactly as it came (an opaque token); null on the last."),
});

/** `GET /v1/webhooks/secret`: the secret that signs the caller's webhooks. */
export const WebhookSecretSchema = z.object({
  secret: z.string().describe("`whsec_` and base64: the key's own signing secret, the same on every call."),
  scheme: z.literal("standard-webhooks").describe("How webhooks are signed: https://www.standardwebhooks.com"),
});

const lineBase = {
  index: z.number().int().min(0).describe("The item's place in the submission, from 0."),
  id: z.string().nullable().describe("Your reference for it (a file's name for uploads), or null."),
  source: z.string().describe("The URL, or `upload:<file name>`."),
};

/** One NDJSON line of `GET /v1/jobs/{job_id}/results`. */
export const JobResultLineSchema = z.union([
  z.object({ ...lineBase, status: z.literal("succeeded"), result: AnalysisResponseSchema }),
  z.object({ ...lineBase, status: z.enum(["failed", "cancelled"]), error: ErrorEnvelopeSchema.shape.detail }),
]);

export type JobRequest = z.infer<typeof JobRequestSchema>;
export type Job = z.infer<typeof JobSchema>;
export type JobStatus = z.infer<typeof JobStatusSchema>;
export type JobResultLine = z.infer<typeof JobResultLineSchema>;
