/**
 * Downloads the image of `POST /v1/image/analysis/url`, safely:
 *
 * - every hop (the URL and each redirect) passes the SSRF checks of ssrf/index.ts, names and ports included;
 * - redirects are followed by hand, at most `MAX_REDIRECTS`;
 * - one deadline covers the whole download (checks, redirects and body): past it, 504;
 * - the size cap is enforced while streaming, on the decoded bytes, whatever `Content-Length` says;
 * - the format is decided by the magic bytes, never by the upstream `Content-Type`;
 * - nothing of the upstream body is ever put in an answer, and logs keep only scheme and host;
 * - whatever an upstream answers, however broken (a bad `Location`, a body that stops, a lying length, a
 *   gzip that does not inflate), the caller gets 400 `download_failed` with a detail, or 413/415/504: never
 *   a 500 (docs/SECURITY.md, "What each upstream misbehaviour gets").
 */
import {
  ACCEPTED_FORMATS,
  type AcceptedFormat,
  ALLOWED_TYPES,
  type AnalysisParams,
  parseAnalysisFields,
} from "../../../contract/analysis.ts";
import {
  ApiError,
  fieldError,
  missingField,
  RETRY_AFTER_UNAVAILABLE_S,
  retryAfter,
  tooLarge,
} from "../../../contract/errors.ts";
import { mediaTypeOf, SNIFF_BYTES, sniffFormat } from "../../../contract/formats.ts";
import pkg from "../../../package.json" with { type: "json" };
import { withDeadline } from "../deadline.ts";
import { checkSourceUrl, resolvePublic, type SourceUrlOptions } from "../ssrf/index.ts";

/** Redirects followed before giving up. */
export const MAX_REDIRECTS = 3;

/**
 * The statuses that redirect (RFC 9110 §15.4): 300 may name its preferred choice in `Location` (§15.4.1),
 * the others must. 304 answers a conditional request (we send none), 305 and 306 are deprecated and unused:
 * those are never followed.
 */
const REDIRECT_STATUSES = new Set([300, 301, 302, 303, 307, 308]);

export interface SourceOptions extends SourceUrlOptions {
  maxBytes: number;
  deadlineMs: number;
  resolverUrl: string;
}

export interface Downloaded {
  bytes: Uint8Array;
  format: AcceptedFormat;
  /** What is left of the upstream's `s-maxage` or `max-age` after its `Age`, in seconds; null when it gives none. */
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

/**
 * An answer that breaks HTTP (a body cut off, a length that lies, an encoding that does not decode). Same
 * status and code as the other failed downloads, so that clients of the reference keep one branch for them;
 * the detail says what a caller can do. The upstream's own words stay in the log (`cause`).
 */
function unreadableAnswer(url: URL, cause: unknown): ApiError {
  return Object.assign(
    downloadFailed("The image's server sent an answer that could not be read to the end; retry, or use another URL", {
      url: loggableUrl(url),
    }),
    { cause },
  );
}

/** Drops a body we will not read. Cancelling a stream that has already failed rejects: that is no news. */
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
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

/** One `Cache-Control` directive's delta-seconds (RFC 9111 §1.2.2), or null when absent. */
function directiveSeconds(directives: string, name: string): number | null {
  const match = new RegExp(`(?:^|[\\s,])${name}\\s*=\\s*"?(\\d+)`).exec(directives);
  return match ? Number(match[1]) : null;
}

/**
 * The caching an upstream allows, for this service's result cache, which is a shared cache:
 *
 * - `s-maxage` wins over `max-age` (RFC 9111 §5.2.2.10: it is the shared caches' own lifetime);
 * - the upstream's `Age` (RFC 9111 §5.1: seconds the answer has already spent in caches before us) is
 *   subtracted, so a result lives no longer than the answer it came from (RFC 9111 §4.2.3); what is left can
 *   be 0, which caches nothing. An `Age` that is not a number of seconds leaves nothing either;
 * - `no-store`, `no-cache` and `private` forbid caching.
 *
 * @example
 * cachePolicy("public, max-age=300"); // { maxAgeS: 300, uncacheable: false }
 * cachePolicy("max-age=300, s-maxage=120", "100"); // { maxAgeS: 20, uncacheable: false }
 */
export function cachePolicy(
  cacheControl: string | null,
  age: string | null = null,
): { maxAgeS: number | null; uncacheable: boolean } {
  const directives = (cacheControl ?? "").toLowerCase();
  const uncacheable = /(^|[\s,])(no-store|no-cache|private)([\s,=]|$)/.test(directives);
  const lifetimeS = directiveSeconds(directives, "s-maxage") ?? directiveSeconds(directives, "max-age");
  if (lifetimeS === null) return { maxAgeS: null, uncacheable };
  const ageS = age === null ? 0 : /^\s*\d+\s*$/.test(age) ? Number(age) : Number.POSITIVE_INFINITY;
  return { maxAgeS: Math.max(0, lifetimeS - ageS), uncacheable };
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
        headers: retryAfter(RETRY_AFTER_UNAVAILABLE_S),
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

    const location = response.headers.get("Location");
    if (REDIRECT_STATUSES.has(response.status) && location !== null) {
      await discard(response);
      current = redirectTarget(location, url, response.status);
      continue;
    }
    if (response.status !== 200) {
      await discard(response);
      const missing = REDIRECT_STATUSES.has(response.status) && response.status !== 300;
      // A redirect without `Location` (RFC 9110 §15.4.2–15.4.9: the server SHOULD send one) leads nowhere; any other
      // status, a 1xx handed over as final or a 204 included, is not an image.
      throw downloadFailed(
        missing
          ? `The server answered ${response.status}, a redirect without a Location`
          : `The server answered ${response.status}`,
        { status_code: response.status, url: loggableUrl(url) },
      );
    }
    // `Content-Length` counts the bytes on the wire (RFC 9110 §8.6): with a `Content-Encoding` they are the
    // compressed ones, and the cap is on the decoded bytes, so only an identity length refuses at once.
    // Either way the cap is counted again while reading, since a length can lie.
    const encoded = (response.headers.get("Content-Encoding") ?? "identity").trim().toLowerCase() !== "identity";
    const declared = Number(response.headers.get("Content-Length") ?? Number.NaN);
    if (!encoded && declared > options.maxBytes) {
      await discard(response);
      throw tooLarge(options.maxBytes, declared, "Image from URL");
    }
    let bytes: Uint8Array;
    try {
      // The runtime decodes gzip, deflate and br itself: the chunks counted here are the decoded ones.
      bytes = response.body
        ? await readCapped(response.body, options.maxBytes, (size) =>
            tooLarge(options.maxBytes, size, "Image from URL"),
          )
        : new Uint8Array(0);
    } catch (cause) {
      // A body that stops before its `Content-Length` or its last chunk, or that does not decode.
      if (cause instanceof ApiError || signal.aborted) throw cause;
      throw unreadableAnswer(url, cause);
    }
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
    const policy = cachePolicy(response.headers.get("Cache-Control"), response.headers.get("Age"));
    return { bytes, format: sniffed as AcceptedFormat, ...policy };
  }
  throw downloadFailed(`More than ${MAX_REDIRECTS} redirects`);
}

/**
 * Where a redirect leads: `Location` is a URI reference resolved against the URL that answered (RFC 9110
 * §10.2.2), so a relative or protocol-relative (`//host/path`) one is fine; the result is checked like any
 * hop at the top of the loop. One that no parser accepts is the upstream's fault, not the caller's.
 */
function redirectTarget(location: string, base: URL, status: number): string {
  let target: URL;
  try {
    target = new URL(location, base);
  } catch (cause) {
    throw Object.assign(
      downloadFailed("The server redirected to an address that is not a valid URL", {
        status_code: status,
        url: loggableUrl(base),
      }),
      { cause },
    );
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    // The caller's URL was http(s): say the redirect was not, rather than "URL must start with http://".
    throw new ApiError(400, "invalid_url_scheme", "Invalid URL scheme", {
      extra: { detail: "The server redirected to a URL that does not start with http:// or https://" },
    });
  }
  return target.href;
}

/** Largest JSON body of `POST /v1/image/analysis/url`, in bytes. */
export const MAX_URL_REQUEST_BYTES = 16 * 1024;

export interface UrlRequest {
  url: string;
  params: AnalysisParams;
  /** The JSON body as sent, for the route's schema validation. */
  body: Record<string, unknown>;
}

/**
 * Reads `{"url", …the analysis parameters}` (metrics also as a list), in the reference's
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
    params: parseAnalysisFields(fields),
  };
}
