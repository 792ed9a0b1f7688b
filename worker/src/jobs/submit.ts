/**
 * Reads a job submission, checking everything before anything is queued, with the single-image endpoints'
 * errors (an item's error names the item):
 *
 * - JSON: `{"items": [{"url", "id"?}], …parameters, "callback_url"?}`; every URL passes the same text checks as
 *   `POST /v1/image/analysis/url` (scheme, port, private or local address; names are resolved when the item
 *   is analysed, as for a single URL).
 * - multipart: the files in the repeated field `images`, parameters in the query, `callback_url` as a form
 *   field. The body is streamed: each file is checked (size, empty, magic bytes) as it arrives; a small one is
 *   kept for the job's own rows (at most INLINE_JOB_MAX_BYTES of them), any other is written to R2 at once, so a
 *   100 MiB job never sits in the Worker's memory.
 *
 * Limits: MAX_JOB_ITEMS items, MAX_JOB_UPLOAD_BYTES in all, each file at most MAX_UPLOAD_BYTES: a job over
 * them is refused whole (413).
 */
import {
  MaxFileSizeExceededError,
  MaxPartsExceededError,
  MaxTotalSizeExceededError,
  MultipartParseError,
  parseMultipartStream,
} from "@remix-run/multipart-parser";
import { type AnalysisParams, canonicalQuery, parseAnalysisFields } from "../../../contract/analysis.ts";
import { ApiError, fieldError, missingField, tooLarge } from "../../../contract/errors.ts";
import { acceptedFormat, mediaTypeOf, SNIFF_BYTES } from "../../../contract/formats.ts";
import { JOB_IMAGES_FIELD } from "../../../contract/jobs.ts";
import type { WorkerConfig } from "../config.ts";
import { sha256Hex } from "../digest.ts";
import type { Env } from "../env.ts";
import { checkSourceUrl } from "../ssrf/index.ts";
import type { JobItemSpec } from "./messages.ts";
import { attemptPrefix, INLINE_FILE_MAX_BYTES, INLINE_JOB_MAX_BYTES } from "./uploads.ts";

/** Largest JSON submission, in bytes: 1,000 long URLs with references fit easily. */
export const MAX_JOB_JSON_BYTES = 4 * 1024 * 1024;
/**
 * Room for the multipart boundaries and part headers around a job's files, and its other fields, in bytes: a job
 * form carries up to MAX_JOB_ITEMS parts, not the one of an analysis (MULTIPART_OVERHEAD_BYTES), so its room is
 * larger: the headers of 1,000 parts (a few hundred bytes each, their file names included) and the callback_url
 * fit in 1 MiB.
 */
const JOB_FORM_OVERHEAD_BYTES = 1024 * 1024;

export interface Submission {
  items: JobItemSpec[];
  params: AnalysisParams;
  callbackUrl: string | null;
  /** SHA-256 over the items and parameters: equal for a retried submission, different for another one. */
  fingerprint: string;
  /**
   * R2 keys written by this attempt, its own (`jobs/<job>/<attempt>/<index>`): deleted again if it is refused,
   * or finds its job already there.
   */
  uploaded: string[];
  /** A JSON submission's body as sent, for the route's schema validation. */
  body?: Record<string, unknown>;
}

/** The same error, saying which item it is about. */
function forItem(error: ApiError, index: number): ApiError {
  return new ApiError(error.status, error.code, error.message, {
    extra: { ...error.extra, item_index: index },
    headers: error.headers,
    cause: error,
  });
}

function tooManyItems(max: number, received: number): ApiError {
  return new ApiError(413, "too_many_items", `A job holds at most ${max} items; split it into several jobs`, {
    extra: { max_items: max, received_items: received },
  });
}

/** `callback_url`: a URL the service may call (the image URLs' rules), and a secret to sign the call with. */
function callbackUrl(raw: unknown, config: WorkerConfig): string | null {
  if (raw === undefined || raw === null || raw === "") return null;
  if (typeof raw !== "string") throw fieldError("callback_url", "string_type", "Input should be a valid string");
  if (!config.webhookSecret) {
    throw new ApiError(
      400,
      "invalid_callback_url",
      "This service cannot sign webhooks yet: its operator has not set WEBHOOK_SECRET",
      {
        extra: { callback_url: "not accepted" },
      },
    );
  }
  try {
    return checkSourceUrl(raw, config).url.href;
  } catch (cause) {
    const detail = cause instanceof ApiError ? String(cause.extra.detail ?? cause.message) : "Invalid URL";
    throw new ApiError(400, "invalid_callback_url", "Invalid callback_url", { extra: { detail }, cause });
  }
}

/** Reads a body into memory, refusing it with 413 once it passes `maxBytes`. */
async function readCapped(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get("Content-Length") ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes, declared, "Job");
  const reader = request.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = reader ? await reader.read() : { done: true, value: undefined };
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader?.cancel();
      throw tooLarge(maxBytes, size, "Job");
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(await new Blob(chunks).arrayBuffer());
}

/**
 * A JSON submission's items and parameters.
 *
 * @example
 * await readJsonSubmission(request, config); // { items: [{ kind: "url", … }], params, callbackUrl: null, … }
 */
export async function readJsonSubmission(request: Request, config: WorkerConfig): Promise<Submission> {
  let body: unknown;
  try {
    body = JSON.parse(await readCapped(request, MAX_JOB_JSON_BYTES));
  } catch (cause) {
    if (cause instanceof ApiError) throw cause;
    throw fieldError(null, "json_invalid", "JSON decode error");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw fieldError(null, "model_attributes_type", "Input should be a valid dictionary or object");
  }
  const fields = body as Record<string, unknown>;
  if (fields.items === undefined || fields.items === null) throw missingField("items");
  if (!Array.isArray(fields.items)) throw fieldError("items", "list_type", "Input should be a valid list");
  if (fields.items.length === 0) throw fieldError("items", "too_short", "A job needs at least one item");
  if (fields.items.length > config.maxJobItems) throw tooManyItems(config.maxJobItems, fields.items.length);
  const params = parseAnalysisFields(fields);
  const items = fields.items.map((raw: unknown, index): JobItemSpec => {
    const item = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
    if (typeof item.url !== "string" || item.url.trim() === "") {
      throw forItem(new ApiError(400, "empty_url", "URL cannot be empty"), index);
    }
    if (item.id !== undefined && item.id !== null && (typeof item.id !== "string" || item.id.length > 256)) {
      throw forItem(fieldError("id", "string_type", "Input should be a string of at most 256 characters"), index);
    }
    let url: string;
    try {
      url = checkSourceUrl(item.url.trim(), config).url.href;
    } catch (cause) {
      throw cause instanceof ApiError ? forItem(cause, index) : cause;
    }
    return { ref: typeof item.id === "string" ? item.id : null, source: url, kind: "url", url };
  });
  const callback = callbackUrl(fields.callback_url, config);
  const fingerprint = await sha256Hex(
    JSON.stringify([items.map((i) => [i.url, i.ref]), canonicalQuery(params), callback]),
  );
  return { items, params, callbackUrl: callback, fingerprint, uploaded: [], body: fields };
}

/**
 * A multipart submission: its files, each checked and (unless small enough for the job's rows) written to R2
 * under this attempt's own prefix (uploads.ts) as it arrives. Its analysis parameters come from its query,
 * already parsed by the route (`c.req.valid("query")`).
 *
 * @example
 * await readMultipartSubmission(request, env, config, "job_3f2a…", c.req.valid("query"));
 */
export async function readMultipartSubmission(
  request: Request,
  env: Env,
  config: WorkerConfig,
  jobId: string,
  params: AnalysisParams,
): Promise<Submission> {
  const prefix = attemptPrefix(jobId);
  const bodyCap = config.maxJobUploadBytes + JOB_FORM_OVERHEAD_BYTES;
  const declared = Number(request.headers.get("Content-Length") ?? Number.NaN);
  if (declared > bodyCap) throw tooLarge(config.maxJobUploadBytes, declared, "Job");
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(request.headers.get("Content-Type") ?? "");
  if (!boundary || !request.body) throw missingField(JOB_IMAGES_FIELD);

  const items: JobItemSpec[] = [];
  const hashes: string[] = [];
  const uploaded: string[] = [];
  let callback: string | null = null;
  let callbackSeen = false;
  let inlineBytes = 0;
  try {
    const parts = parseMultipartStream(request.body, {
      boundary: (boundary[1] ?? boundary[2] ?? "").trim(),
      maxFileSize: config.maxUploadBytes,
      maxTotalSize: config.maxJobUploadBytes,
      maxParts: config.maxJobItems + 16,
    });
    for await (const part of parts) {
      if (part.name === "callback_url") {
        // Two would leave it unclear which one is called.
        if (callbackSeen) {
          throw new ApiError(400, "invalid_callback_url", "Send callback_url once", {
            extra: { callback_url: "repeated" },
          });
        }
        callbackSeen = true;
        callback = callbackUrl(part.text.trim(), config);
        continue;
      }
      if (part.name !== JOB_IMAGES_FIELD) continue;
      const index = items.length;
      if (index >= config.maxJobItems) throw tooManyItems(config.maxJobItems, index + 1);
      const bytes = part.bytes;
      if (bytes.length === 0) throw forItem(new ApiError(400, "empty_image", "Empty image file"), index);
      let format: ReturnType<typeof acceptedFormat>;
      try {
        format = acceptedFormat(bytes.subarray(0, SNIFF_BYTES), part.mediaType);
      } catch (cause) {
        throw cause instanceof ApiError ? forItem(cause, index) : cause;
      }
      const name = part.filename || `image-${index}`;
      const mediaType = mediaTypeOf(format);
      const sha256 = await sha256Hex(bytes);
      hashes.push(sha256);
      const item: JobItemSpec = { ref: name, source: `upload:${name}`, kind: "upload", mediaType, sha256 };
      if (bytes.length <= INLINE_FILE_MAX_BYTES && inlineBytes + bytes.length <= INLINE_JOB_MAX_BYTES) {
        inlineBytes += bytes.length;
        item.bytes = bytes;
      } else {
        const key = `${prefix}${index}`;
        await env.UPLOADS.put(key, bytes, { httpMetadata: { contentType: mediaType } });
        uploaded.push(key);
        item.uploadKey = key;
      }
      items.push(item);
    }
  } catch (cause) {
    if (uploaded.length > 0) await env.UPLOADS.delete(uploaded);
    if (cause instanceof ApiError) throw cause;
    if (cause instanceof MaxFileSizeExceededError) {
      throw forItem(tooLarge(config.maxUploadBytes, config.maxUploadBytes + 1), items.length);
    }
    if (cause instanceof MaxTotalSizeExceededError)
      throw tooLarge(config.maxJobUploadBytes, declared || bodyCap, "Job");
    if (cause instanceof MaxPartsExceededError) throw tooManyItems(config.maxJobItems, config.maxJobItems + 1);
    if (cause instanceof MultipartParseError) throw Object.assign(missingField(JOB_IMAGES_FIELD), { cause });
    throw cause;
  }
  if (items.length === 0) throw missingField(JOB_IMAGES_FIELD);
  const fingerprint = await sha256Hex(
    JSON.stringify([hashes, items.map((i) => i.ref), canonicalQuery(params), callback]),
  );
  return { items, params, callbackUrl: callback, fingerprint, uploaded };
}
