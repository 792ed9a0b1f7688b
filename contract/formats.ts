/**
 * What a file is, from its first bytes. A client's `Content-Type` is a claim; the magic numbers are the
 * fact, and deciding on them keeps every libvips loader we did not choose (SVG, TIFF, PDF, …) out of reach.
 */
import { type AcceptedFormat, ALLOWED_TYPES } from "./analysis.ts";
import { ApiError } from "./errors.ts";

/** Formats we recognise but refuse (415): each has a loader we keep blocked, or is no image at all. */
export type RefusedFormat = "svg" | "tiff" | "pdf" | "bmp" | "heic" | "jxl" | "ico" | "psd";
export type SniffedFormat = AcceptedFormat | RefusedFormat;

/** How many leading bytes `sniffFormat` needs to decide. */
export const SNIFF_BYTES = 512;

const MEDIA_TYPES: Record<SniffedFormat, string> = {
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  avif: "image/avif",
  gif: "image/gif",
  svg: "image/svg+xml",
  tiff: "image/tiff",
  pdf: "application/pdf",
  bmp: "image/bmp",
  heic: "image/heic",
  jxl: "image/jxl",
  ico: "image/x-icon",
  psd: "image/vnd.adobe.photoshop",
};

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((b, i) => bytes[offset + i] === b);
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}

/** ISO-BMFF (`ftyp`) brands: AVIF is accepted; HEIC and other HEIF flavours are not. */
function isoBrand(bytes: Uint8Array): "avif" | "heic" | null {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== "ftyp") return null;
  const size = Math.min(
    bytes.length,
    ((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0),
  );
  const brands = [ascii(bytes, 8, 12)];
  for (let o = 16; o + 4 <= size; o += 4) brands.push(ascii(bytes, o, o + 4));
  if (brands.some((b) => b === "avif" || b === "avis")) return "avif";
  if (brands.some((b) => ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"].includes(b))) return "heic";
  return null;
}

/**
 * The format of `bytes` from their signature, or null when they are no format we know.
 *
 * @example
 * sniffFormat(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0)); // "jpeg"
 * sniffFormat(new TextEncoder().encode("<svg xmlns=…")); // "svg"
 * sniffFormat(new TextEncoder().encode("hello")); // null
 */
export function sniffFormat(bytes: Uint8Array): SniffedFormat | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (ascii(bytes, 0, 6) === "GIF87a" || ascii(bytes, 0, 6) === "GIF89a") return "gif";
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return "webp";
  const brand = isoBrand(bytes);
  if (brand) return brand;
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return "tiff";
  if (ascii(bytes, 0, 5) === "%PDF-") return "pdf";
  if (ascii(bytes, 0, 2) === "BM" && bytes.length >= 26) return "bmp";
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return "jxl";
  if (startsWith(bytes, [0, 0, 1, 0]) && bytes.length >= 6 && bytes[4] !== 0) return "ico";
  if (ascii(bytes, 0, 4) === "8BPS") return "psd";
  // SVG is text: an optional BOM, whitespace, an XML declaration or comments, then <svg somewhere early.
  const text = new TextDecoder("utf-8").decode(bytes.subarray(0, SNIFF_BYTES)).replace(/^\uFEFF/, "");
  if (/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*|<!DOCTYPE[^>[]*(\[[\s\S]*?\])?\s*>\s*)*<svg[\s>]/i.test(text))
    return "svg";
  return null;
}

/** The media type of a sniffed format, as a 415 reports it. */
export function mediaTypeOf(format: SniffedFormat): string {
  return MEDIA_TYPES[format];
}

/**
 * Decides from the first bytes whether a file may be analysed, or throws the reference's error:
 * an accepted format passes whatever the label; another recognised format is 415; bytes of no known
 * format are 400 "Invalid or corrupted image file" when the client called them an accepted image type
 * (as the reference answers a broken image) and 415 otherwise.
 *
 * @example
 * acceptedFormat(jpegBytes, "image/png"); // "jpeg"
 * acceptedFormat(svgBytes, "image/svg+xml"); // throws 415 "Unsupported image type"
 */
export function acceptedFormat(head: Uint8Array, declaredType: string | null | undefined): AcceptedFormat {
  const format = sniffFormat(head);
  const declared = (declaredType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (format === "jpeg" || format === "png" || format === "webp" || format === "avif" || format === "gif")
    return format;
  if (format === null && (ALLOWED_TYPES as readonly string[]).includes(declared)) {
    throw new ApiError(400, "invalid_image", "Invalid or corrupted image file", {
      extra: { details: "The file's content is not a recognised image format" },
    });
  }
  throw new ApiError(415, "unsupported_media_type", "Unsupported image type", {
    extra: {
      allowed_types: ALLOWED_TYPES,
      received_type: declared || "unknown",
      detected_type: format === null ? "unknown" : mediaTypeOf(format),
    },
  });
}
