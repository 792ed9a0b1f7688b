/**
 * What travels between the Worker, the queue and a job's Durable Object (job.ts): the queue's message, the job
 * a submission creates, the claim the consumer works on, and the outcome it records. Types only.
 */
import type { AnalysisParams } from "../../../contract/analysis.ts";
import type { JobResultLine } from "../../../contract/jobs.ts";
import type { AnalysisResponseBody } from "../../../contract/schemas.ts";

/** What the queue carries: one item of one job. */
export interface JobMessage {
  job_id: string;
  index: number;
}

export interface JobItemSpec {
  /** The caller's reference (or the file's name), or null. */
  ref: string | null;
  /** The URL, or `upload:<file name>`. */
  source: string;
  kind: "url" | "upload";
  url?: string;
  /** The R2 key of an uploaded file kept in R2. */
  uploadKey?: string;
  /** A small uploaded file's bytes, kept in the item's row (INLINE_FILE_MAX_BYTES, uploads.ts). */
  bytes?: Uint8Array;
  /** An uploaded file's media type, from its magic bytes (checked when the job was submitted). */
  mediaType?: string;
  /** An uploaded file's SHA-256 (hex), computed when the job was submitted. */
  sha256?: string;
}

/** What `BatchJob.create` takes: a checked submission, and who it belongs to. */
export interface JobSpec {
  jobId: string;
  /** Who may see the job: the principal's `kind:id` (auth/index.ts). */
  owner: string;
  /** SHA-256 of the submission (items and parameters), to tell a retried submission from another one. */
  fingerprint: string;
  params: AnalysisParams;
  /** The result cache partition of the owner (RESULT_CACHE_SCOPE). */
  partition: string;
  callbackUrl: string | null;
  items: JobItemSpec[];
  /**
   * On a public deployment (owners are client addresses, shared behind a NAT): the token that reading or
   * cancelling the job needs besides its owner.
   */
  accessToken?: string | null;
}

/** What the consumer needs to analyse one item. */
export interface Claim {
  item: JobItemSpec;
  params: AnalysisParams;
  partition: string;
  /** How many times this item has been claimed, this one included. */
  attempt: number;
}

/** The `error` of a result line: an error envelope's `detail`. */
export type LineError = Extract<JobResultLine, { status: "failed" | "cancelled" }>["error"];

/**
 * An analysed item's file as the job keeps it for its duplicates (GET /v1/jobs/{job_id}/duplicates): the `hash`
 * metric's perceptual hash and SHA-256, computed for every item whatever metrics the job asked for.
 */
export interface ItemHashes {
  perceptual: string;
  sha256: string;
}

export type ItemOutcome =
  | { ok: true; result: AnalysisResponseBody; hashes?: ItemHashes }
  | { ok: false; error: LineError };

/** One item's outcome, for `recordMany`. */
export interface RecordEntry {
  index: number;
  outcome: ItemOutcome;
}
