/**
 * The one file field of a multipart/form-data body (RFC 7578), by `@remix-run/multipart-parser` (the parser the
 * Worker reads job submissions with: worker/src/jobs/submit.ts), found in place: the body is in memory already
 * (app.ts reads it within its limit), so the parser gets it as one chunk and the file is a view of it, not a
 * copy; no Request, Blob or FormData around it (a web `formData()` costs a stream conversion and copies of every
 * part, about as long as analysing a small image). Pure: bytes in, a view of them out.
 *
 * The library replaced a parser written for this service, which container/bench/multipart.ts still measures it
 * against (docs/BENCHMARK.md, "Multipart parsing (container)"): per parse, 0.30 ms against 0.27 for a 2 MB image
 * (1.11×), 6.6 against 6.3 for 20 MB (1.05×), 0.036 against 0.017 for 50 KB (2.1×: the library's fixed cost,
 * 0.02 ms, beside the 1–2 ms an HTTP request and its multipart cost the service). It is kept for being
 * maintained and shared with the Worker, at a cost within the 1.2× on a 2 MB body the change allowed.
 */
import { parseMultipart } from "@remix-run/multipart-parser";

export interface FilePart {
  /** The file's bytes: a view into the body, not a copy. */
  bytes: Uint8Array;
  /** The part's Content-Type; "text/plain" when it has none (RFC 7578's default, as the web's parser says). */
  type: string;
}

/** A part's header block larger than this is not a form field's, in bytes. */
const MAX_PART_HEADERS_BYTES = 16 * 1024;

/**
 * The boundary of a `multipart/form-data` Content-Type, or null for any other type.
 *
 * @example
 * boundaryOf('multipart/form-data; boundary="abc"'); // "abc"
 * boundaryOf("application/json"); // null
 */
export function boundaryOf(contentType: string | undefined): string | null {
  if (!contentType) return null;
  const [mediaType, ...params] = contentType.split(";");
  if (mediaType?.trim().toLowerCase() !== "multipart/form-data") return null;
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== "boundary") continue;
    let value = param.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    // RFC 2046: 1 to 70 characters.
    return value.length >= 1 && value.length <= 70 ? value : null;
  }
  return null;
}

/**
 * The body from its first delimiter on: RFC 2046 allows a preamble before it (ending with CRLF), which the
 * library does not skip. Null when there is no delimiter at all.
 */
function fromFirstDelimiter(body: Uint8Array, boundary: string): Uint8Array | null {
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = `--${boundary}`;
  if (buffer.subarray(0, delimiter.length).equals(Buffer.from(delimiter))) return body;
  const at = buffer.indexOf(`\r\n${delimiter}`);
  return at < 0 ? null : body.subarray(at + 2);
}

/**
 * The file sent as field `field` (a part with that name and a filename), the last one if several, or null when
 * there is none or the body is not well-formed multipart: the caller answers both as a missing field.
 *
 * @example
 * const part = filePart(body, request.headers.get("content-type"), "image");
 * if (part) analyse(part.bytes);
 */
export function filePart(body: Uint8Array, contentType: string | undefined, field: string): FilePart | null {
  const boundary = boundaryOf(contentType);
  if (boundary === null) return null;
  const message = fromFirstDelimiter(body, boundary);
  if (message === null) return null;
  let found: FilePart | null = null;
  try {
    // The body's size is limited before it is read (app.ts): the parser's own limits on a part's size, on the
    // parts' total and on their count would only refuse what the service accepts.
    for (const part of parseMultipart(message, {
      boundary,
      maxHeaderSize: MAX_PART_HEADERS_BYTES,
      maxFileSize: Number.POSITIVE_INFINITY,
      maxTotalSize: Number.POSITIVE_INFINITY,
      maxParts: Number.POSITIVE_INFINITY,
    })) {
      const disposition = part.headers["content-disposition"] ?? "";
      if (!disposition.toLowerCase().startsWith("form-data") || part.name !== field || part.filename === undefined) {
        continue;
      }
      // Given one chunk, the parser keeps a part's content as one view of it (none when the part is empty).
      const [content, ...more] = part.content;
      found = {
        bytes: content && more.length === 0 ? content : part.bytes,
        type: part.headers["content-type"] ?? "text/plain",
      };
    }
  } catch {
    // Not well-formed: truncated, no closing delimiter, a part's headers past the limit or not UTF-8.
    return null;
  }
  return found;
}
