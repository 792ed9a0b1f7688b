import { describe, expect, it } from "vitest";
import { ApiError } from "./errors.ts";
import { acceptedFormat, sniffFormat } from "./formats.ts";

const text = (s: string) => new TextEncoder().encode(s);
const bytes = (...b: number[]) => Uint8Array.from(b);
/** An ISO-BMFF `ftyp` box with a major brand and compatible brands. */
function ftyp(major: string, ...compatible: string[]): Uint8Array {
  const size = 16 + 4 * compatible.length;
  return Uint8Array.from([
    0,
    0,
    0,
    size,
    ...text(`ftyp${major}`),
    0,
    0,
    0,
    0,
    ...compatible.flatMap((b) => [...text(b)]),
  ]);
}

function errorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected an ApiError");
}

describe("sniffFormat", () => {
  it.each([
    ["jpeg", bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10)],
    ["png", bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)],
    ["gif", text("GIF89a....")],
    ["gif", text("GIF87a....")],
    ["webp", text("RIFF\u0000\u0000\u0000\u0000WEBPVP8 ")],
    ["avif", ftyp("avif", "mif1", "miaf")],
    ["avif", ftyp("mif1", "avif")],
    ["heic", ftyp("heic", "mif1")],
    ["tiff", bytes(0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0)],
    ["tiff", bytes(0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8)],
    ["pdf", text("%PDF-1.7\n")],
    ["svg", text('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ["svg", text('\uFEFF  <?xml version="1.0"?>\n<!-- c -->\n<!DOCTYPE svg [<!ENTITY a "b">]>\n<svg>')],
    ["psd", text("8BPS\u0000\u0001")],
  ])("recognises %s", (format, head) => {
    expect(sniffFormat(head)).toBe(format);
  });

  it.each([
    ["text", text("hello, not an image")],
    ["HTML", text("<!doctype html><html><body>")],
    ["JSON", text('{"image": true}')],
    ["ZIP", bytes(0x50, 0x4b, 0x03, 0x04, 20, 0)],
    ["two bytes of JPEG", bytes(0xff, 0xd8)],
    ["nothing", new Uint8Array(0)],
  ])("knows no format in %s", (_, head) => {
    expect(sniffFormat(head)).toBeNull();
  });
});

describe("acceptedFormat", () => {
  it("trusts the bytes, not the label: a JPEG labelled image/png is a JPEG", () => {
    expect(acceptedFormat(bytes(0xff, 0xd8, 0xff, 0xdb), "image/png")).toBe("jpeg");
    expect(acceptedFormat(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), "application/octet-stream")).toBe(
      "png",
    );
  });

  it.each([
    ["SVG", text("<svg></svg>"), "image/png", "image/svg+xml"],
    ["TIFF", bytes(0x49, 0x49, 0x2a, 0x00, 8, 0), "image/jpeg", "image/tiff"],
    ["PDF", text("%PDF-1.4"), "image/png", "application/pdf"],
    ["HEIC", ftyp("heic", "mif1"), "image/heic", "image/heic"],
  ])("refuses %s with 415 whatever its label", (_, head, label, detected) => {
    const err = errorOf(() => acceptedFormat(head, label));
    expect(err.status).toBe(415);
    expect(err.toEnvelope("r")).toEqual({
      detail: {
        error: "Unsupported image type",
        code: "unsupported_media_type",
        allowed_types: ["image/jpeg", "image/png", "image/webp", "image/avif", "image/gif"],
        received_type: label,
        detected_type: detected,
        request_id: "r",
      },
    });
  });

  it("answers unknown bytes labelled as an accepted image type with 400, as the reference does", () => {
    const err = errorOf(() => acceptedFormat(text("not really a gif"), "image/gif"));
    expect(err.status).toBe(400);
    expect(err.message).toBe("Invalid or corrupted image file");
  });

  it("answers unknown bytes with any other label with 415", () => {
    expect(errorOf(() => acceptedFormat(text("plain"), "text/plain")).status).toBe(415);
    expect(errorOf(() => acceptedFormat(text("plain"), undefined)).status).toBe(415);
  });
});
