/**
 * The container's own multipart parser, as it was before container/src/multipart.ts adopted
 * `@remix-run/multipart-parser`: kept here, unchanged, as the baseline container/bench/multipart.ts measures the
 * library against. Nothing in the service imports it.
 *
 * The one file field of a multipart/form-data body (RFC 7578), found in place: no copy of the file, no
 * Request, Blob or FormData around it. Pure: bytes in, a view of them out.
 */

interface FilePart {
  /** The file's bytes: a view into the body, not a copy. */
  bytes: Uint8Array;
  /** The part's Content-Type; "text/plain" when it has none (RFC 7578's default, as the web's parser says). */
  type: string;
}

const CRLF = Buffer.from("\r\n");
const HEADERS_END = Buffer.from("\r\n\r\n");
/** A part's header block larger than this is not a form field's, in bytes. */
const MAX_PART_HEADERS_BYTES = 16 * 1024;

/**
 * The boundary of a `multipart/form-data` Content-Type, or null for any other type.
 *
 * @example
 * boundaryOf('multipart/form-data; boundary="abc"'); // "abc"
 * boundaryOf("application/json"); // null
 */
function boundaryOf(contentType: string | undefined): string | null {
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

/** A header parameter's value (`name="image"`, `filename=a.jpg`), unquoted, or undefined. */
function parameter(header: string, name: string): string | undefined {
  const pattern = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (let match = pattern.exec(header); match; match = pattern.exec(header)) {
    if ((match[1] as string).toLowerCase() !== name) continue;
    const raw = (match[2] as string).trim();
    return raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw;
  }
  return undefined;
}

/**
 * The file sent as field `field` (a part with that name and a filename), the last one if several, or null when
 * there is none or the body is not well-formed multipart: the caller answers both as a missing field.
 *
 * @example
 * const part = handWrittenFilePart(body, request.headers.get("content-type"), "image");
 * if (part) analyse(part.bytes);
 */
export function handWrittenFilePart(body: Uint8Array, contentType: string | undefined, field: string): FilePart | null {
  const boundary = boundaryOf(contentType);
  if (boundary === null) return null;
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter opens the body (after an optional preamble that ends with CRLF).
  let at = buffer.subarray(0, delimiter.length).equals(delimiter) ? 0 : buffer.indexOf(next);
  if (at < 0) return null;
  if (at > 0) at += CRLF.length;
  let found: FilePart | null = null;
  for (;;) {
    at += delimiter.length;
    if (buffer[at] === 0x2d && buffer[at + 1] === 0x2d) return found; // "--": the closing delimiter
    // RFC 2046 allows spaces after a delimiter; the web's parser (what this service used before) refuses them.
    if (buffer[at] !== 0x0d || buffer[at + 1] !== 0x0a) return null;
    // The header block runs from this CRLF to the blank line (CRLF CRLF); it may be empty.
    const headersEnd = buffer.indexOf(HEADERS_END, at);
    if (headersEnd < 0 || headersEnd - at > MAX_PART_HEADERS_BYTES) return null;
    const headersStart = Math.min(at + CRLF.length, headersEnd);
    const contentStart = headersEnd + HEADERS_END.length;
    const contentEnd = buffer.indexOf(next, contentStart);
    if (contentEnd < 0) return null; // no closing delimiter: truncated
    let disposition = "";
    let type = "text/plain";
    for (const line of buffer.toString("latin1", headersStart, headersEnd).split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name === "content-disposition") disposition = line.slice(colon + 1).trim();
      else if (name === "content-type") type = line.slice(colon + 1).trim();
    }
    if (
      disposition.toLowerCase().startsWith("form-data") &&
      parameter(disposition, "name") === field &&
      parameter(disposition, "filename") !== undefined
    ) {
      found = { bytes: body.subarray(contentStart, contentEnd), type };
    }
    at = contentEnd + CRLF.length;
  }
}
