/**
 * `metadata`: what the file says of itself as stored (docs/METRICS.md): colour space, bit depth, channels, the
 * ICC profile's description, DPI, EXIF orientation, frames and animation, alpha, a few camera facts from EXIF
 * (CIPA DC-008-2023, "Exif 3.0"), whether it carries a GPS position, and `privacy`: which of location, serial
 * numbers, owner names and a unique image ID it reveals. Their values are never echoed.
 *
 * EXIF, IPTC and XMP are read by exifr (7.1.3, https://github.com/MikeKovarik/exifr), a maintained reader,
 * never by hand. EXIF, IPTC and JFIF from the file's own bytes for JPEG and PNG; from the EXIF block libvips already
 * extracted (`FileFacts`) for WebP and GIF, which exifr cannot read, and for AVIF, whose box walk in exifr loops
 * forever on a box of size 0 (measured: one such file would hang the process). XMP's dc:creator from libvips'
 * packet, the element alone (exifr's XMP parser is quadratic on hostile text). Nothing here throws: a malformed
 * block gives what exifr could read of it, or nothing. Pure: bytes and facts in, a plain object out.
 */
import * as exifrModule from "exifr";
import type { z } from "zod";
import type { InsightsV3Schemas } from "../../../contract/schemas.ts";
import type { FileFacts } from "../decode.ts";
import { profileDescription } from "../icc.ts";
import { round2 } from "./contrast.ts";
import type { Pixels } from "./luminance.ts";

/**
 * exifr's two functions used here. Its ES module build (vitest's resolution) leaves `sidecar` out of the default
 * export; its CommonJS build (Node's) has everything there and may name nothing on the namespace.
 */
const exifr = {
  parse: exifrModule.parse ?? exifrModule.default.parse,
  sidecar: exifrModule.sidecar ?? exifrModule.default.sidecar,
};

export type Metadata = z.infer<typeof InsightsV3Schemas.metadata>;
type PrivacyItem = Metadata["privacy"][number];

/** Longest string reported, in characters (code points): a camera name is 10–40. */
export const MAX_STRING_CHARS = 256;
/** At most this many frame delays are listed (the schema's bound); `duration_ms` counts every frame. */
export const MAX_DELAYS = 1000;
/** The schema's bounds of `depth` and `channels`. */
const MAX_DEPTH_BITS = 32;
const MAX_CHANNELS = 5;

/** The TIFF tags read (CIPA DC-008 / TIFF 6.0 numbers: exifr's names differ from exiftool's for some). */
const TAG = {
  // IFD0
  make: 0x010f,
  model: 0x0110,
  xResolution: 0x011a,
  resolutionUnit: 0x0128,
  software: 0x0131,
  artist: 0x013b,
  // Exif IFD
  exposureTime: 0x829a,
  fNumber: 0x829d,
  iso: 0x8827, // PhotographicSensitivity (ISOSpeedRatings)
  exifVersion: 0x9000, // every EXIF block has one: read so that a block of none of the others still counts
  dateTimeOriginal: 0x9003,
  offsetTimeOriginal: 0x9011,
  focalLength: 0x920a,
  imageUniqueId: 0xa420,
  cameraOwnerName: 0xa430,
  bodySerialNumber: 0xa431,
  lensModel: 0xa434,
  lensSerialNumber: 0xa435,
  // GPS IFD
  gpsLatitude: 0x0002,
  gpsLongitude: 0x0004,
} as const;

/** IPTC IIM 4.2 dataset 2:80, By-line (the creator). */
const IPTC_BYLINE = 80;

/**
 * exifr's options: only the blocks and tags read above (a tag not picked is skipped without reading its value,
 * so a hostile count costs nothing); values as stored (no revived dates, no translated enums); blocks apart.
 */
const TIFF_OPTIONS = {
  ifd0: { pick: [TAG.make, TAG.model, TAG.xResolution, TAG.resolutionUnit, TAG.software, TAG.artist] },
  exif: {
    pick: [
      TAG.exposureTime,
      TAG.fNumber,
      TAG.iso,
      TAG.exifVersion,
      TAG.dateTimeOriginal,
      TAG.offsetTimeOriginal,
      TAG.focalLength,
      TAG.imageUniqueId,
      TAG.cameraOwnerName,
      TAG.bodySerialNumber,
      TAG.lensModel,
      TAG.lensSerialNumber,
    ],
  },
  gps: { pick: [TAG.gpsLatitude, TAG.gpsLongitude] },
  ifd1: false,
  interop: false,
  makerNote: false,
  userComment: false,
  icc: false,
  jfif: false,
  ihdr: false,
  xmp: false,
  iptc: false,
  mergeOutput: false,
  translateKeys: false,
  translateValues: false,
  reviveValues: false,
  silentErrors: true,
};
/** For a JPEG or PNG file read whole: its IPTC (By-line) and JFIF (density) too. */
const FILE_OPTIONS = { ...TIFF_OPTIONS, iptc: true, jfif: true };
/** JFIF's APP0 fields (JFIF 1.02), as exifr numbers them: the density unit (1: inch, 2: cm) and X density. */
const JFIF_UNIT = 2;
const JFIF_X_DENSITY = 3;
/** For an XMP packet alone. */
const XMP_OPTIONS = { xmp: true, tiff: false, mergeOutput: false, translateKeys: false, silentErrors: true };
/**
 * exifr's XMP parser is regular expressions whose time grows with the square of a hostile packet (measured: 0.1–0.3
 * s for 64 KB of unclosed tags, 3 s for 260 KB). Only the dc:creator element is given to it, when it is at most
 * this long (a list of names is well under 1 KB): about 5 ms at worst.
 */
const XMP_CREATOR_MAX_BYTES = 8 * 1024;
const XMP_CREATOR_OPEN = "<dc:creator";
const XMP_CREATOR_CLOSE = "</dc:creator>";
const XMP_ENVELOPE = [
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">',
  "</rdf:Description></rdf:RDF></x:xmpmeta>",
] as const;

/** What exifr returned: blocks of tags by number (TIFF, IPTC) or by name (XMP namespaces). */
type Blocks = Record<string, Record<string, unknown> | undefined>;

/**
 * The file's metadata. `alphaUsed`: some analysed pixel is not fully opaque (`anyTransparent`). Never throws.
 *
 * @example
 * const facts = await readFileFacts(bytes);
 * const answer = await metadata(bytes, facts, anyTransparent(image.pixels));
 * // { space: "srgb", depth: 8, …, exif: { make: "Canon", …, taken_at: "2024-05-06T07:08:09+02:00", … },
 * //   gps: true, privacy: ["location", "serial_number"] }
 */
export async function metadata(bytes: Uint8Array, facts: FileFacts, alphaUsed: boolean): Promise<Metadata> {
  const blocks = await readBlocks(bytes, facts);
  const ifd0 = numbered(blocks.ifd0);
  const exifIfd = numbered(blocks.exif);
  const gpsIfd = numbered(blocks.gps);
  const hasExif = ifd0.size > 0 || exifIfd.size > 0 || gpsIfd.size > 0;
  const gps = gpsIfd.get(TAG.gpsLatitude) !== undefined && gpsIfd.get(TAG.gpsLongitude) !== undefined;

  const present = (block: Map<number, unknown>, ...tags: number[]) => tags.some((tag) => text(block.get(tag)) !== null);
  const privacy: PrivacyItem[] = [];
  if (gps) privacy.push("location");
  if (present(exifIfd, TAG.bodySerialNumber, TAG.lensSerialNumber)) privacy.push("serial_number");
  if (
    present(ifd0, TAG.artist) ||
    present(exifIfd, TAG.cameraOwnerName) ||
    anyText(blocks.dc?.creator) ||
    anyText(blocks.iptc?.[IPTC_BYLINE])
  ) {
    privacy.push("owner");
  }
  if (present(exifIfd, TAG.imageUniqueId)) privacy.push("unique_id");

  const pages = Math.max(1, Math.floor(finite(facts.pages) ?? 1));
  return {
    space: text(facts.space) ?? "unknown",
    depth: clampInteger(facts.depth, 1, MAX_DEPTH_BITS, 8),
    channels: clampInteger(facts.channels, 1, MAX_CHANNELS, 3),
    icc: facts.icc ? text(profileDescription(facts.icc)) : null,
    dpi: dpi(ifd0, numbered(blocks.jfif), bytes),
    orientation: clampInteger(facts.orientation, 1, 8, 1),
    pages,
    animation: pages > 1 && facts.delay ? animation(facts.loop, facts.delay) : null,
    alpha: facts.hasAlpha === true,
    alpha_used: alphaUsed,
    exif: hasExif
      ? {
          make: text(ifd0.get(TAG.make)),
          model: text(ifd0.get(TAG.model)),
          lens: text(exifIfd.get(TAG.lensModel)),
          taken_at: takenAt(exifIfd.get(TAG.dateTimeOriginal), exifIfd.get(TAG.offsetTimeOriginal)),
          exposure_time_s: positive(exifIfd.get(TAG.exposureTime)),
          f_number: positive(exifIfd.get(TAG.fNumber)),
          iso: positive(exifIfd.get(TAG.iso)),
          focal_length_mm: positive(exifIfd.get(TAG.focalLength)),
          software: text(ifd0.get(TAG.software)),
        }
      : null,
    gps,
    privacy,
  };
}

/**
 * Whether any pixel is not fully opaque: the last channel of 2- and 4-channel pixels below 255. What the lead
 * passes as `alphaUsed`.
 *
 * @example
 * anyTransparent({ data: Uint8Array.of(9, 9, 9, 255, 9, 9, 9, 254), width: 2, height: 1, channels: 4 }); // true
 */
export function anyTransparent(pixels: Pixels): boolean {
  const { data, channels } = pixels;
  if (channels !== 2 && channels !== 4) return false;
  for (let i = channels - 1; i < data.length; i += channels) if ((data[i] as number) < 255) return true;
  return false;
}

const JPEG_MAGIC = [0xff, 0xd8, 0xff];
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const startsWith = (bytes: Uint8Array, magic: readonly number[]) => magic.every((b, i) => bytes[i] === b);

/** exifr's reading: of the file for JPEG and PNG, else of libvips' EXIF block and XMP packet. `{}` on failure. */
async function readBlocks(bytes: Uint8Array, facts: FileFacts): Promise<Blocks> {
  try {
    let blocks: Blocks;
    if (startsWith(bytes, JPEG_MAGIC) || startsWith(bytes, PNG_MAGIC)) {
      blocks = ((await exifr.parse(bytes, FILE_OPTIONS)) as Blocks | undefined) ?? {};
      // EXIF where exifr does not look (a PNG's "Raw profile type exif" text chunk) but libvips found it.
      if (!blocks.ifd0 && !blocks.exif && tiffBlock(facts.exif))
        blocks = { ...blocks, ...(await readTiff(facts.exif)) };
    } else {
      blocks = await readTiff(facts.exif);
    }
    const creator = creatorPacket(facts.xmp);
    if (creator) {
      try {
        const xmp = (await exifr.sidecar(creator, XMP_OPTIONS, "xmp")) as Blocks | undefined;
        if (xmp?.dc) blocks.dc = xmp.dc;
      } catch {
        // A malformed element tells nothing; the EXIF already read stands.
      }
    }
    return blocks;
  } catch {
    return {};
  }
}

/**
 * The XMP packet's first dc:creator element (XMP's owner: an rdf:Seq of names), alone in an XMP envelope for exifr;
 * undefined when there is none or it is longer than XMP_CREATOR_MAX_BYTES. Only the element's bounds are searched.
 */
function creatorPacket(xmp: Uint8Array | undefined): Uint8Array | undefined {
  if (!xmp || xmp.length === 0) return undefined;
  const packet = Buffer.from(xmp.buffer, xmp.byteOffset, xmp.byteLength);
  const start = packet.indexOf(XMP_CREATOR_OPEN);
  if (start < 0) return undefined;
  const end = packet.indexOf(XMP_CREATOR_CLOSE, start);
  if (end < 0 || end + XMP_CREATOR_CLOSE.length - start > XMP_CREATOR_MAX_BYTES) return undefined;
  const element = packet.subarray(start, end + XMP_CREATOR_CLOSE.length);
  return Buffer.concat([Buffer.from(XMP_ENVELOPE[0]), element, Buffer.from(XMP_ENVELOPE[1])]);
}

/** exifr's reading of libvips' EXIF block (TIFF's IFD0, Exif and GPS IFDs). */
async function readTiff(exif: Uint8Array | undefined): Promise<Blocks> {
  const tiff = tiffBlock(exif);
  return tiff ? (((await exifr.parse(tiff, TIFF_OPTIONS)) as Blocks | undefined) ?? {}) : {};
}

/** The EXIF block as a TIFF stream: libvips gives it with or without JPEG's "Exif\0\0" header. */
function tiffBlock(exif: Uint8Array | undefined): Uint8Array | undefined {
  if (!exif) return undefined;
  const block = startsWith(exif, [0x45, 0x78, 0x69, 0x66, 0, 0]) ? exif.subarray(6) : exif;
  const tiff = startsWith(block, [0x49, 0x49, 0x2a, 0]) || startsWith(block, [0x4d, 0x4d, 0, 0x2a]);
  return tiff && block.length >= 8 ? block : undefined;
}

/** A TIFF block's tags by number (exifr, with translateKeys off, keys them by their number's text). */
function numbered(block: Record<string, unknown> | undefined): Map<number, unknown> {
  const tags = new Map<number, unknown>();
  if (!block || typeof block !== "object") return tags;
  for (const [key, value] of Object.entries(block)) if (/^\d+$/.test(key)) tags.set(Number(key), value);
  return tags;
}

/**
 * A stored string as reported: cut at its first NUL (EXIF pads with NULs, and junk after them is common), control
 * characters dropped, trimmed, at most MAX_STRING_CHARS characters; null when nothing is left or not a string.
 */
function text(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const nul = value.indexOf("\0");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const cleaned = (nul >= 0 ? value.slice(0, nul) : value).replace(/[\u0000-\u001f\u007f-\u009f]/g, "").trim();
  if (cleaned === "") return null;
  const chars = Array.from(cleaned);
  return chars.length > MAX_STRING_CHARS ? chars.slice(0, MAX_STRING_CHARS).join("").trimEnd() : cleaned;
}

/** Whether an XMP or IPTC value holds some text: a string, a list of them (rdf:Seq) or languages (rdf:Alt). */
function anyText(value: unknown, depth = 0): boolean {
  if (text(value) !== null) return true;
  if (depth >= 3 || value === null || typeof value !== "object") return false;
  return Object.values(value).some((item) => anyText(item, depth + 1));
}

/** A finite number, or the first of a list of numbers (some writers store ISO as two values). */
function finite(value: unknown): number | null {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "number" && Number.isFinite(first) ? first : null;
}

/** A rational or integer as stored, when it is a positive number (0/0, 1/0, negatives: null). */
function positive(value: unknown): number | null {
  const number = finite(value);
  return number !== null && number > 0 ? number : null;
}

function clampInteger(value: unknown, min: number, max: number, otherwise: number): number {
  const number = finite(value);
  return number === null ? otherwise : Math.min(max, Math.max(min, Math.round(number)));
}

const INCHES_PER_CM = 2.54;

const INCHES_PER_METRE = 39.37007874015748; // 1 / 0.0254

/**
 * Pixels per inch, horizontally, as the file states it, 2 decimals: EXIF's XResolution in its ResolutionUnit
 * (2 or absent: inches; 3: centimetres; 1: no unit, so none), else a JPEG's JFIF density (unit 1: inch, 2: cm;
 * 0 is an aspect ratio, so none), else a PNG's pHYs (unit 1: metre; 0: an aspect ratio). libvips' own `density`
 * is not used: it says 72 for a file that states nothing.
 */
function dpi(ifd0: Map<number, unknown>, jfif: Map<number, unknown>, bytes: Uint8Array): number | null {
  const resolution = positive(ifd0.get(TAG.xResolution));
  const unit = finite(ifd0.get(TAG.resolutionUnit)) ?? 2;
  if (resolution !== null && (unit === 2 || unit === 3)) {
    return round2(unit === 3 ? resolution * INCHES_PER_CM : resolution);
  }
  const density = positive(jfif.get(JFIF_X_DENSITY));
  const jfifUnit = finite(jfif.get(JFIF_UNIT));
  if (density !== null && (jfifUnit === 1 || jfifUnit === 2)) {
    return round2(jfifUnit === 2 ? density * INCHES_PER_CM : density);
  }
  const perMetre = startsWith(bytes, PNG_MAGIC) ? pngPixelsPerMetre(bytes) : null;
  return perMetre === null ? null : round2(perMetre / INCHES_PER_METRE);
}

/** A PNG walk stops after this many chunks before the image data (real files have a handful). */
const PNG_MAX_CHUNKS = 1024;

/**
 * A PNG's pHYs (PNG 3rd edition §11.3.4.3): pixels per unit along X when the unit is the metre, else null. Only
 * chunk lengths and types are read, up to the first IDAT (pHYs must precede it).
 */
function pngPixelsPerMetre(bytes: Uint8Array): number | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = PNG_MAGIC.length, n = 0; at + 8 <= bytes.length && n < PNG_MAX_CHUNKS; n++) {
    const length = view.getUint32(at);
    const type = view.getUint32(at + 4);
    if (type === 0x49444154 /* IDAT */) return null;
    if (type === 0x70485973 /* pHYs */) {
      if (length !== 9 || at + 17 > bytes.length || bytes[at + 16] !== 1) return null;
      return positive(view.getUint32(at + 8));
    }
    at += 12 + length; // length, type, data, CRC
  }
  return null;
}

/** EXIF's "YYYY:MM:DD HH:MM:SS" (CIPA DC-008 §4.6.5); "0000:00:00 00:00:00" and blanks mean unknown. */
const EXIF_DATE = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})/;
/** EXIF 2.31's OffsetTimeOriginal: "+HH:MM" or "-HH:MM". */
const EXIF_OFFSET = /^[+-](?:0\d|1[0-4]):[0-5]\d$/;

/** DateTimeOriginal as stored, ISO 8601 (`YYYY-MM-DDTHH:MM:SS`), with OffsetTimeOriginal when given. */
function takenAt(date: unknown, offset: unknown): string | null {
  const match = typeof date === "string" ? EXIF_DATE.exec(date) : null;
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const valid =
    (year as number) >= 1 &&
    (month as number) >= 1 &&
    (month as number) <= 12 &&
    (day as number) >= 1 &&
    (day as number) <= 31 &&
    (hour as number) <= 23 &&
    (minute as number) <= 59 &&
    (second as number) <= 60;
  if (!valid) return null;
  const zone = typeof offset === "string" && EXIF_OFFSET.test(offset.trim()) ? offset.trim() : "";
  const [, y, mo, d, h, mi, s] = match;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${zone}`;
}

/**
 * An animation's loop count (times to play, 0: forever) and frame delays (ms) as libvips read them; a file that
 * states no count plays once (GIF89a without Netscape's extension).
 */
function animation(loop: number | undefined, delays: number[]): NonNullable<Metadata["animation"]> {
  const ms = delays.map((delay) => clampInteger(delay, 0, Number.MAX_SAFE_INTEGER, 0));
  return {
    loop: clampInteger(loop, 0, Number.MAX_SAFE_INTEGER, 1),
    duration_ms: ms.reduce((sum, delay) => sum + delay, 0),
    delays_ms: ms.slice(0, MAX_DELAYS),
  };
}
