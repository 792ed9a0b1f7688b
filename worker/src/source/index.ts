/**
 * Downloads the image of `POST /v1/image/analysis/url`, safely:
 *
 * - every hop (the URL and each redirect) passes the SSRF checks of ssrf/index.ts, names included;
 * - redirects are followed by hand, at most `MAX_REDIRECTS`;
 * - one deadline covers the whole download (checks, redirects and body): past it, 504;
 * - the size cap is enforced while streaming, whatever `Content-Length` says;
 * - the format is decided by the magic bytes, never by the upstream `Content-Type`;
 * - nothing of the upstream body is ever put in an answer, and logs keep only scheme and host.
 */
import {
  ACCEPTED_FORMATS,
  type AcceptedFormat,
  ALLOWED_TYPES,
  type AnalysisParams,
  parseBackground,
  parseEdgeMode,
  parseMetrics,
} from "../../../contract/analysis.ts";
import { ApiError, fieldError, missingField, RETRY_AFTER_UNAVAILABLE_S, tooLarge } from "../../../contract/errors.ts";
import { mediaTypeOf, SNIFF_BYTES, sniffFormat } from "../../../contract/formats.ts";
import pkg from "../../../package.json" with { type: "json" };
import { withDeadline } from "../deadline.ts";
import { checkSourceUrl, resolvePublic } from "../ssrf/index.ts";

/** Redirects followed before giving up. */
export const MAX_REDIRECTS = 3;

export interface SourceOptions {
  maxBytes: number;
  deadlineMs: number;
  resolverUrl: string;
  allowedPrivateOrigins: readonly string[];
}

export interface Downloaded {
  bytes: Uint8Array;
  format: AcceptedFormat;
  /** The upstream's `Cache-Control: max-age`, in seconds, when it allows caching at all; else null. */
  maxAgeS: number | null;
  /** Whether the upstream forbade caching (`no-store`, `no-cache`, `private`). */
  uncacheable: boolean;
}

/**
 * A URL as the logs may show it: scheme and host only, never path, query or credentials.
 *
 * @example
 * loggableUrl("https://user:pw@example.com/a.png?token=1"); // "https://example.com"
 */
export function loggableUrl(raw: string | URL): string {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}`;
  } catch {
    return "(unparseable)";
  }
}

function downloadFailed(detail: string, extra: Record<string, string | number> = {}): ApiError {
  return new ApiError(400, "download_failed", "Failed to download image from URL", { extra: { ...extra, detail } });
}

/** Reads a body into memory, refusing it with `tooBig(size)` once it passes `maxBytes`. */
async function readCapped(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooBig: (size: number) => ApiError,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooBig(size);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * The caching an upstream allows.
 *
 * @example
 * cachePolicy("public, max-age=300"); // { maxAgeS: 300, uncacheable: false }
 */
export function cachePolicy(cacheControl: string | null): { maxAgeS: number | null; uncacheable: boolean } {
  const directives = (cacheControl ?? "").toLowerCase();
  const uncacheable = /(^|[\s,])(no-store|no-cache|private)([\s,=]|$)/.test(directives);
  const maxAge = /(?:^|[\s,])(?:s-maxage|max-age)\s*=\s*"?(\d+)/.exec(directives);
  return { maxAgeS: maxAge ? Number(maxAge[1]) : null, uncacheable };
}

/**
 * Downloads `rawUrl` under every rule above.
 *
 * @example
 * const { bytes, format } = await downloadImage("https://example.com/a.jpg", options);
 */
export async function downloadImage(rawUrl: string, options: SourceOptions): Promise<Downloaded> {
  return withDeadline(
    (signal) => download(rawUrl, options, signal),
    options.deadlineMs,
    () => {
      throw new ApiError(504, "download_timeout", "Timed out downloading image from URL", {
        extra: { timeout_ms: options.deadlineMs },
        headers: { "Retry-After": String(RETRY_AFTER_UNAVAILABLE_S) },
      });
    },
  );
}

async function download(rawUrl: string, options: SourceOptions, signal: AbortSignal): Promise<Downloaded> {
  let current = rawUrl;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const { url, host, allowed } = checkSourceUrl(current, options);
    if (host.kind === "name" && !allowed) await resolvePublic(host.name, options.resolverUrl, signal);

    let response: Response;
    try {
      response = await fetch(url, {
        redirect: "manual",
        signal,
        headers: { Accept: ALLOWED_TYPES.join(", "), "User-Agent": `image-insights-api/${pkg.version}` },
      });
    } catch (cause) {
      if (signal.aborted) throw cause;
      throw Object.assign(downloadFailed("The server could not be reached", { url: loggableUrl(url) }), { cause });
    }

    if (response.status >= 300 && response.status < 400 && response.headers.has("Location")) {
      await response.body?.cancel();
      current = new URL(response.headers.get("Location") as string, url).href;
      continue;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw downloadFailed(`The server answered ${response.status}`, {
        status_code: response.status,
        url: loggableUrl(url),
      });
    }
    const declared = Number(response.headers.get("Content-Length") ?? Number.NaN);
    if (declared > options.maxBytes) {
      await response.body?.cancel();
      throw tooLarge(options.maxBytes, declared, "Image from URL");
    }
    const bytes = response.body
      ? await readCapped(response.body, options.maxBytes, (size) => tooLarge(options.maxBytes, size, "Image from URL"))
      : new Uint8Array(0);
    if (bytes.length === 0) throw downloadFailed("The server sent an empty body", { url: loggableUrl(url) });
    const sniffed = sniffFormat(bytes.subarray(0, SNIFF_BYTES));
    if (sniffed === null || !(ACCEPTED_FORMATS as readonly string[]).includes(sniffed)) {
      throw new ApiError(415, "unsupported_media_type", "Unsupported image type from URL", {
        extra: {
          allowed_types: ALLOWED_TYPES,
          received_type: response.headers.get("Content-Type")?.split(";")[0]?.trim() || "unknown",
          detected_type: sniffed === null ? "unknown" : mediaTypeOf(sniffed),
        },
      });
    }
    return { bytes, format: sniffed as AcceptedFormat, ...cachePolicy(response.headers.get("Cache-Control")) };
  }
  throw downloadFailed(`More than ${MAX_REDIRECTS} redirects`);
}

/** Largest JSON body of `POST /v1/image/analysis/url`, in bytes. */
export const MAX_URL_REQUEST_BYTES = 16 * 1024;

export interface UrlRequest {
  url: string;
  params: AnalysisParams;
  /** The JSON body as sent, for the route's schema validation. */
  body: Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join(",");
  if (typeof value !== "string") throw fieldError(field, "string_type", "Input should be a valid string");
  return value;
}

/**
 * Reads `{"url", "metrics"?, "edge_mode"?, "background"?}` (metrics also as a list), in the reference's
 * order of checks: a body that is not JSON or lacks `url` is a 422, an empty URL a 400, then the parameters.
 *
 * @example
 * await parseUrlRequest(new Request(u, { method: "POST", body: '{"url":"https://x/a.png"}' }));
 */
export async function parseUrlRequest(request: Request): Promise<UrlRequest> {
  const tooBig = (size: number) => tooLarge(MAX_URL_REQUEST_BYTES, size, "Request body");
  const declared = Number(request.headers.get("Content-Length") ?? Number.NaN);
  if (declared > MAX_URL_REQUEST_BYTES) throw tooBig(declared);
  const raw = request.body ? await readCapped(request.body, MAX_URL_REQUEST_BYTES, tooBig) : new Uint8Array(0);
  const text = new TextDecoder().decode(raw);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw fieldError(null, "json_invalid", "JSON decode error");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw fieldError(null, "model_attributes_type", "Input should be a valid dictionary or object");
  }
  const fields = body as Record<string, unknown>;
  if (fields.url === undefined || fields.url === null) throw missingField("url");
  if (typeof fields.url !== "string") throw fieldError("url", "string_type", "Input should be a valid string");
  if (fields.url.trim() === "") throw new ApiError(400, "empty_url", "URL cannot be empty");
  return {
    url: fields.url.trim(),
    body: fields,
    params: {
      metrics: parseMetrics(optionalString(fields, "metrics")),
      edgeMode: parseEdgeMode(optionalString(fields, "edge_mode")),
      background: parseBackground(optionalString(fields, "background")),
    },
  };
}
