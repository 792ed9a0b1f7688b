/**
 * Facts about the service that both programs state: its name, the analysis route, the form around an upload,
 * the headers that carry the request ID and an analysis's priority, and how both measure a request's time. Kept
 * apart from errors so that each file has one subject.
 */

/** The name in `/health` answers, as the reference service reports it. */
export const SERVICE_NAME = "image-insights-api";

/** The route both the Worker and the container serve. */
export const ANALYSIS_PATH = "/v1/image/analysis";

/** The route that analyses an image downloaded from a URL (the Worker only; the container has no internet). */
export const URL_ANALYSIS_PATH = "/v1/image/analysis/url";

/** The multipart field that carries the image, as in the reference service. */
export const IMAGE_FIELD = "image";

/**
 * What a multipart form may add around its one image (the boundaries, the part's headers), in bytes: an analysis
 * request's body may be this much larger than MAX_UPLOAD_BYTES. The Worker refuses a longer body with 413 before
 * reading it, and the container counts each body as this much more than its file against its admission budget,
 * so the two must agree.
 */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/** The header that carries a request's ID from the caller, through the Worker, into the container and back. */
export const REQUEST_ID_HEADER = "X-Request-Id";

/**
 * Internal header from the Worker, through the Durable Object, to the container: `batch` marks a job item, which
 * waits behind single requests in the container and may use only some of its decode slots. Absent (or any other
 * value) is a single, interactive request: a caller can only ever lower its own priority with it, and the Worker
 * sends it only for job items.
 */
export const PRIORITY_HEADER = "X-Analysis-Priority";

/** Who waits for an analysis: a caller at the other end (`interactive`), or a job's consumer (`batch`). */
export type AnalysisPriority = "interactive" | "batch";

/**
 * The priority a PRIORITY_HEADER value asks for.
 *
 * @example
 * priorityFrom("batch"); // "batch"
 * priorityFrom(null); // "interactive"
 */
export function priorityFrom(header: string | null | undefined): AnalysisPriority {
  return header?.trim().toLowerCase() === "batch" ? "batch" : "interactive";
}

/** `GET /health` answer of either program. */
export interface HealthResponse {
  status: "healthy" | "unhealthy";
  service: typeof SERVICE_NAME;
  version: string;
  /** Why it is unhealthy, where a caller may know it (the Worker with no API key). */
  reason?: string;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request ID to use: the caller's when it is a sane token (so it can be logged and echoed without
 * escaping), a fresh UUID otherwise.
 *
 * @example
 * requestIdFrom("abc-123"); // "abc-123"
 * requestIdFrom("<script>"); // "6f1c…" (a new UUID)
 */
export function requestIdFrom(header: string | null | undefined): string {
  return header && REQUEST_ID_PATTERN.test(header) ? header : crypto.randomUUID();
}

/**
 * Milliseconds since `since` (a `performance.now()` reading), rounded to `decimals` places: what both programs
 * report as `processing_time_ms`, in `Server-Timing` and as a log line's `duration_ms`.
 *
 * @example
 * const startedAt = performance.now();
 * elapsedMs(startedAt); // 12.3
 * elapsedMs(startedAt, 2); // 12.34
 */
export function elapsedMs(since: number, decimals = 1): number {
  const factor = 10 ** decimals;
  return Math.round((performance.now() - since) * factor) / factor;
}
