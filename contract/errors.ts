/**
 * The one error type and the one error envelope of image-insights-api, shared by the Worker and the
 * container so that a caller sees the same body whichever side answered.
 *
 * The envelope is the reference service's (FastAPI's `HTTPException(detail={...})`): `{"detail": {"error":
 * "<message>", …}}`. We add a stable machine `code` and the `request_id` inside `detail`; messages stay
 * byte-identical to image-insights-api 1.7 so existing clients that match on them keep working.
 *
 * Public text only: the message and `extra` are what the caller sees. The cause, a library's message or a
 * stack, goes to the log and never into a response (see `ApiError.cause`).
 */

/** Stable, documented machine codes. Never renamed: clients branch on them. */
export const ERROR_CODES = [
  "invalid_image",
  "empty_image",
  "invalid_metrics",
  "invalid_edge_mode",
  "invalid_background",
  "invalid_colors",
  "invalid_algorithm",
  "invalid_crop",
  "image_too_large",
  "payload_too_large",
  "unsupported_media_type",
  "no_opaque_pixels",
  "empty_url",
  "invalid_url",
  "invalid_url_scheme",
  "download_failed",
  "download_timeout",
  "validation_error",
  "unauthorized",
  "rate_limited",
  "too_many_open_items",
  "listing_needs_key",
  "not_found",
  "container_unavailable",
  "container_failed",
  "container_timeout",
  "overloaded",
  "client_closed",
  "processing_timeout",
  "method_not_allowed",
  "too_many_items",
  "invalid_job",
  "invalid_callback_url",
  "idempotency_conflict",
  "job_cancelled",
  "job_not_finished",
  "invalid_cursor",
  "misconfigured",
  "internal_error",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Public fields that may accompany a message: numbers, strings and lists of strings, never objects with internals. */
export type PublicExtra = Record<string, string | number | boolean | readonly string[] | null>;

export interface ErrorDetail extends PublicExtra {
  error: string;
  code: ErrorCode;
  request_id: string;
}

export interface ErrorEnvelope {
  detail: ErrorDetail;
}

export interface ApiErrorOptions {
  /** Public fields added to `detail` (e.g. `max_size_bytes`). */
  extra?: PublicExtra;
  /** Response headers the error needs (e.g. `Retry-After`). */
  headers?: Record<string, string>;
  /** The private cause, for the log only. */
  cause?: unknown;
}

/**
 * An error with a status, a stable code and a public message; everything else about it is private.
 *
 * @example
 * throw new ApiError(400, "empty_image", "Empty image file");
 * throw new ApiError(413, "payload_too_large", "Image exceeds maximum allowed size (5MB)", {
 *   extra: { max_size_bytes: 5242880, received_size_bytes: 6000000 },
 * });
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly extra: PublicExtra;
  readonly headers: Record<string, string>;

  constructor(status: number, code: ErrorCode, message: string, options: ApiErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }

  /**
   * The body a caller receives. `error`, `code` and `request_id` come last so that `extra` can never
   * overwrite them.
   *
   * @example
   * new ApiError(400, "empty_image", "Empty image file").toEnvelope("req-1");
   * // { detail: { error: "Empty image file", code: "empty_image", request_id: "req-1" } }
   */
  toEnvelope(requestId: string): ErrorEnvelope | ValidationEnvelope {
    if (this.code === "validation_error") {
      // FastAPI's request-validation errors put a list in `detail`; clients of the reference parse that shape.
      return { detail: [{ ...this.extra, code: this.code, request_id: requestId }] } as ValidationEnvelope;
    }
    return { detail: { ...this.extra, error: this.message, code: this.code, request_id: requestId } };
  }
}

/** The reference's 422 for a missing form field: `{"detail":[{"type":"missing","loc":["body","image"],…}]}`. */
export interface ValidationEnvelope {
  detail: Array<{ type: string; loc: string[]; msg: string; code: "validation_error"; request_id: string }>;
}

/**
 * The 422 the reference service (FastAPI) gives when a required form field is absent.
 *
 * @example
 * missingField("image").toEnvelope("r1");
 * // { detail: [{ type: "missing", loc: ["body", "image"], msg: "Field required", code: "validation_error", request_id: "r1" }] }
 */
export function missingField(field: string): ApiError {
  return fieldError(field, "missing", "Field required");
}

/**
 * A 422 in FastAPI's shape for one field (`loc: ["body", field]`, or `["query", field]`), e.g. a wrong type.
 *
 * @example
 * fieldError("url", "string_type", "Input should be a valid string");
 * fieldError("deep", "enum", "Invalid option", "query");
 */
export function fieldError(field: string | null, type: string, msg: string, location = "body"): ApiError {
  return new ApiError(422, "validation_error", msg, {
    extra: { type, loc: field === null ? [location] : [location, field], msg },
  });
}

/**
 * What a program answers for any thrown value: an `ApiError` as itself, anything else as a bare 500.
 *
 * @example
 * const { status, body, headers } = toErrorResponse(err, requestId);
 */
export function toErrorResponse(
  err: unknown,
  requestId: string,
): { error: ApiError; status: number; body: ErrorEnvelope | ValidationEnvelope; headers: Record<string, string> } {
  const error = err instanceof ApiError ? err : internalError(err);
  return { error, status: error.status, body: error.toEnvelope(requestId), headers: error.headers };
}

/**
 * The `Retry-After` header (RFC 9110 §10.2.3) that tells a caller how many seconds to wait before trying again:
 * every answer that asks a caller to come back carries it, so clients back off instead of hammering.
 *
 * @example
 * new ApiError(429, "rate_limited", "Too many requests, please slow down", { headers: retryAfter(60) });
 * retryAfter(5); // { "Retry-After": "5" }
 */
export function retryAfter(seconds: number): { "Retry-After": string } {
  return { "Retry-After": String(seconds) };
}

/** How long a caller should wait before retrying when no container can take the request, in seconds. */
export const RETRY_AFTER_UNAVAILABLE_S = 5;

/**
 * The 503 both sides give when the analysis cannot run now (no container, a container that does not
 * answer). It carries `Retry-After` (RFC 9110 §10.2.3) so clients back off instead of hammering.
 *
 * @example
 * throw unavailable({ cause: err });
 */
export function unavailable(options: { cause?: unknown; retryAfterS?: number } = {}): ApiError {
  const retryAfterS = options.retryAfterS ?? RETRY_AFTER_UNAVAILABLE_S;
  return new ApiError(503, "container_unavailable", "Service temporarily unavailable, please retry", {
    extra: { retry_after_seconds: retryAfterS },
    headers: retryAfter(retryAfterS),
    cause: options.cause,
  });
}

/**
 * The 503 for a container that took the request and died with it (a crash, out of memory). Unlike
 * `container_unavailable` it is never retried on another instance: the request itself may be what killed it.
 *
 * @example
 * return containerFailed({ cause: err });
 */
export function containerFailed(options: { cause?: unknown } = {}): ApiError {
  return new ApiError(503, "container_failed", "The analysis stopped unexpectedly, please retry later", {
    extra: { retry_after_seconds: RETRY_AFTER_UNAVAILABLE_S },
    headers: retryAfter(RETRY_AFTER_UNAVAILABLE_S),
    cause: options.cause,
  });
}

/** How long a caller refused for overload should wait, in seconds: a container's queue drains in about that. */
export const RETRY_AFTER_OVERLOADED_S = 1;

/**
 * The container's 503 when it is too busy to take the analysis: its places, or its admission budget, are full, or
 * the analysis waited for a decode slot past ANALYSIS_WAIT_LIMIT_MS. One answer for all three, since the caller's
 * remedy is the same (come back shortly); the cause, for the log, says which it was. A job's consumer tries such
 * an item again later.
 *
 * @example
 * throw overloaded({ cause: err });
 */
export function overloaded(options: { cause?: unknown } = {}): ApiError {
  return new ApiError(503, "overloaded", "Server is busy, please retry", {
    extra: { retry_after_seconds: RETRY_AFTER_OVERLOADED_S },
    headers: retryAfter(RETRY_AFTER_OVERLOADED_S),
    cause: options.cause,
  });
}

/**
 * The 503 of a Worker whose settings are invalid: the operator must fix them (the log names the variable);
 * the caller can only retry later.
 *
 * @example
 * throw misconfigured();
 */
export function misconfigured(): ApiError {
  return new ApiError(503, "misconfigured", "The service is not configured correctly, please retry later", {
    extra: { retry_after_seconds: RETRY_AFTER_MISCONFIGURED_S },
    headers: retryAfter(RETRY_AFTER_MISCONFIGURED_S),
  });
}

/** How long a caller should wait when the service is misconfigured: a fix takes a deploy, in seconds. */
export const RETRY_AFTER_MISCONFIGURED_S = 300;

const MIB = 1024 * 1024;

/**
 * A byte limit as people write it: the reference's "5MB" for whole mebibytes, else KB or bytes.
 *
 * @example
 * sizeLabel(5 * 1024 * 1024); // "5MB"
 * sizeLabel(1536); // "1.5KB"
 */
export function sizeLabel(bytes: number): string {
  if (bytes % MIB === 0) return `${bytes / MIB}MB`;
  if (bytes >= MIB) return `${Math.round((bytes / MIB) * 10) / 10}MB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10}KB`;
  return `${bytes} bytes`;
}

/**
 * The reference's 413, with the limit and what was received.
 *
 * @example
 * tooLarge(5 * 1024 * 1024, 6_000_000).message; // "Image exceeds maximum allowed size (5MB)"
 */
export function tooLarge(maxBytes: number, receivedBytes: number, subject = "Image"): ApiError {
  return new ApiError(413, "payload_too_large", `${subject} exceeds maximum allowed size (${sizeLabel(maxBytes)})`, {
    extra: { max_size_bytes: maxBytes, received_size_bytes: receivedBytes },
  });
}

/**
 * The 504 for a container that took the request but did not answer before the Worker's deadline.
 *
 * @example
 * throw containerTimeout(30_000);
 */
export function containerTimeout(deadlineMs: number): ApiError {
  return new ApiError(504, "container_timeout", "The analysis did not finish in time, please retry", {
    extra: { deadline_ms: deadlineMs, retry_after_seconds: RETRY_AFTER_UNAVAILABLE_S },
    headers: retryAfter(RETRY_AFTER_UNAVAILABLE_S),
  });
}

/** The 500 for anything we did not foresee: the message says nothing about the cause. */
export function internalError(cause: unknown): ApiError {
  return new ApiError(500, "internal_error", "Internal server error", { cause });
}
