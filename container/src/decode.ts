/**
 * The only module that imports sharp: image bytes in, oriented 8-bit sRGB pixels and metadata out.
 * Everything libvips says stays here; callers get an `ApiError` with public words, the cause in the log.
 */
import sharp, { type Metadata } from "sharp";
import type { AcceptedFormat, Rgb } from "../../contract/analysis.ts";
import { ApiError, RETRY_AFTER_UNAVAILABLE_S, retryAfter } from "../../contract/errors.ts";
import { type MatrixConversion, type ProfileKind, readProfile, toSrgb } from "./icc.ts";
import { readJpegHeader } from "./jpeg-header.ts";
import type { Pixels } from "./metrics/luminance.ts";

/**
 * The libvips loaders this service needs, for in-memory input. All others (SVG, PDF, TIFF, FITS, Matlab,
 * ImageMagick, …) stay blocked in the process: bytes that got past the magic-number check by a bug still
 * cannot reach a loader we did not choose (https://sharp.pixelplumbing.com/api-utility#block).
 */
const ALLOWED_LOADERS = [
  "VipsForeignLoadJpegBuffer",
  "VipsForeignLoadPngBuffer",
  "VipsForeignLoadWebpBuffer",
  "VipsForeignLoadHeifBuffer", // AVIF; HEIC never gets here, the magic-number check refuses it
  "VipsForeignLoadNsgifBuffer",
];
sharp.block({ operation: ["VipsForeignLoad"] });
sharp.unblock({ operation: ALLOWED_LOADERS });
// libvips' operation cache keeps decoded images for reuse; every request here brings new bytes.
sharp.cache(false);

/** The format names sharp's metadata uses for ours (AVIF is HEIF with AV1 compression). */
const SHARP_FORMAT: Record<AcceptedFormat, string> = {
  jpeg: "jpeg",
  png: "png",
  webp: "webp",
  avif: "heif",
  gif: "gif",
};

export interface DecodedImage {
  pixels: Pixels;
  /** The image as stored (before EXIF rotation), as the reference service reports it. */
  width: number;
  height: number;
  /** The image as people see it, after EXIF rotation. */
  orientedWidth: number;
  orientedHeight: number;
}

/** What the header says, read before any pixel is decoded. */
export interface ImageHeader {
  width: number;
  /** The first frame's height. */
  height: number;
  orientation: number;
  /**
   * A progressive JPEG: libvips cannot shrink it on load, so its decode needs about three times the memory of
   * a baseline one; the app gives these a lane of their own.
   */
  progressive: boolean;
  /**
   * A progressive JPEG's DCT coefficients, which libjpeg holds for the whole image until the last scan: 2 bytes
   * per sample (4:2:0 has 1.5 samples per pixel, 4:4:4 three, CMYK four). 0 for everything else.
   */
  progressiveBytes: number;
  /**
   * The embedded ICC profile: "srgb" needs no transform and "matrix" is converted here (icc.ts); "other" is
   * left to libvips.
   */
  profile: ProfileKind | "none";
  /** A "matrix" profile's conversion to sRGB, built once per profile. */
  conversion?: MatrixConversion;
  /** One grey channel (and maybe alpha), no profile: decoded as grey, a third of the pixels to move and read. */
  grey: boolean;
}

export interface HeaderOptions {
  /** What the magic-number check found; the decoder must agree. */
  format: AcceptedFormat;
  /** Largest accepted width × height, from the header, checked before any pixel is decoded. */
  maxInputPixels: number;
}

export interface DecodeOptions extends HeaderOptions {
  /** The analysed image's longer side, in pixels. */
  maxSidePx: number;
  /** Flatten transparency onto this colour; otherwise alpha is kept for weighting. */
  background: Rgb | null;
  /** libvips' own deadline for the pipeline, in seconds: past it, 503 and the slot is freed. */
  timeoutS: number;
}

function invalidImage(cause: unknown): ApiError {
  return new ApiError(400, "invalid_image", "Invalid or corrupted image file", {
    extra: { details: "The file could not be decoded as an image" },
    cause,
  });
}

/**
 * Sets how many threads libvips uses per image (config.ts: one, images decode in parallel instead). sharp
 * defaults to one thread on glibc without jemalloc; the image sets MALLOC_ARENA_MAX=2 for the memory side.
 *
 * @example
 * setDecodeThreads(1);
 */
export function setDecodeThreads(threads: number): void {
  sharp.concurrency(threads);
}

/**
 * Reads and checks the header alone: the format must be the one the magic numbers said, and width × height
 * (of the first frame) within `maxInputPixels`, so a 60000×60000 PNG of 400 KB is refused before a byte of it
 * is inflated.
 *
 * @example
 * const header = await readHeader(bytes, { format: "png", maxInputPixels: 50_000_000 });
 */
export async function readHeader(bytes: Uint8Array, options: HeaderOptions): Promise<ImageHeader> {
  const format = options.format;
  const facts = (format === "jpeg" && jpegFacts(bytes)) || (await libvipsFacts(bytes, format));
  const { width, height } = facts;
  if (width * height > options.maxInputPixels) {
    throw new ApiError(422, "image_too_large", "Image dimensions exceed the maximum allowed", {
      extra: { max_pixels: options.maxInputPixels, received_pixels: width * height, width, height },
    });
  }
  // 8-bit only: sharp converts 16-bit images through Display P3, a path left exactly as it is. And only a
  // profile that fits the pixels (grey for grey, RGB for RGB; a JPEG's four channels are CMYK): LittleCMS
  // refuses any other, and libvips then goes on without it.
  const read = facts.icc && facts.eightBit ? readProfile(facts.icc) : null;
  const fits =
    read?.kind === "matrix" && read.conversion.grey
      ? facts.channels <= 2
      : facts.channels === 3 || (facts.channels === 4 && format !== "jpeg");
  const profile = read && fits ? read : null;
  return {
    width,
    height,
    orientation: facts.orientation,
    progressive: facts.progressive,
    progressiveBytes: facts.progressive ? width * height * facts.samplesPerPixel * 2 : 0,
    profile: !facts.icc ? "none" : (profile?.kind ?? "other"),
    ...(profile?.kind === "matrix" ? { conversion: profile.conversion } : {}),
    grey: facts.channels <= 2 && !facts.icc,
  };
}

/** What readHeader needs to know, from whichever reader. */
interface HeaderFacts {
  width: number;
  /** The first frame's height. */
  height: number;
  orientation: number;
  progressive: boolean;
  samplesPerPixel: number;
  icc: Uint8Array | undefined;
  eightBit: boolean;
  /** Channels as stored, alpha included. */
  channels: number;
}

/** A JPEG's header read in JavaScript (jpeg-header.ts), or null to ask libvips. */
function jpegFacts(bytes: Uint8Array): HeaderFacts | null {
  const header = readJpegHeader(bytes);
  return header && { ...header, eightBit: true, channels: header.components };
}

/** The header as libvips reads it: for every format, and for the JPEGs jpeg-header.ts leaves to it. */
async function libvipsFacts(bytes: Uint8Array, format: AcceptedFormat): Promise<HeaderFacts> {
  let meta: Metadata;
  try {
    // No pixel limit of sharp's here, so that an oversized image gets its own clear 422.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (cause) {
    throw invalidImage(cause);
  }
  if (meta.format !== SHARP_FORMAT[format] || !meta.width || !meta.height) {
    throw invalidImage(new Error(`Expected ${format} but the decoder found ${meta.format}`));
  }
  return {
    width: meta.width,
    height: meta.pageHeight ?? meta.height, // an animation's first frame
    orientation: meta.orientation ?? 1,
    progressive: format === "jpeg" && meta.isProgressive === true,
    samplesPerPixel: samplesPerPixel(meta),
    icc: meta.icc,
    eightBit: meta.depth === "uchar",
    channels: meta.channels ?? 3,
  };
}

/** Samples per pixel of a JPEG, from its chroma subsampling ("4:2:0" is 1 + 2 × 1/4). */
function samplesPerPixel(meta: Metadata): number {
  const channels = meta.channels ?? 3;
  if (meta.chromaSubsampling === "4:2:0") return 1.5;
  if (meta.chromaSubsampling === "4:2:2" || meta.chromaSubsampling === "4:4:0") return 2;
  return channels; // 4:4:4, CMYK, grey, or unknown: the worst case
}

/**
 * Decodes once, shrinking on load, to at most `maxSidePx` on the longer side: EXIF orientation applied,
 * embedded ICC profiles (and CMYK, through a profile) converted to sRGB, 16-bit scaled to 8-bit, first frame
 * only, within libvips' own `timeout`. Never `stats()` on the full-size input: it would ignore the resize and
 * any timeout.
 *
 * @example
 * const image = await decodePixels(bytes, header, { format: "jpeg", maxSidePx: 512, maxInputPixels: 50e6, background: null, timeoutS: 10 });
 */
export async function decodePixels(
  bytes: Uint8Array,
  header: ImageHeader,
  options: DecodeOptions,
): Promise<DecodedImage> {
  // A matrix profile is converted here after the resize, unless transparency is flattened onto a colour
  // (given in sRGB): then libvips converts first, as before.
  const conversion = header.conversion && !options.background ? header.conversion : null;
  let pipeline = sharp(bytes, {
    failOn: "error",
    // An sRGB profile is not applied: the transform it would cost (LittleCMS, per image) changes nothing.
    ignoreIcc: header.profile === "srgb" || conversion !== null,
    limitInputPixels: options.maxInputPixels, // the header check again, enforced by libvips itself
    autoOrient: true,
    animated: false,
    pages: 1,
  })
    .resize({ width: options.maxSidePx, height: options.maxSidePx, fit: "inside", withoutEnlargement: true })
    .timeout({ seconds: options.timeoutS });
  if (options.background) {
    // libvips flattens a grey image onto the background's first value alone (#ff0000 would be white): a grey
    // picture goes through the pipeline as sRGB when a colour is to show through it.
    if (header.grey) pipeline = pipeline.pipelineColourspace("srgb");
    pipeline = pipeline.flatten({ background: options.background });
  }
  try {
    // A grey picture stays grey (its luma is its grey level, exactly as from R = G = B); flattening onto a
    // colour needs RGB.
    const { data, info } = await pipeline
      .toColourspace((header.grey || conversion?.grey) && !options.background ? "b-w" : "srgb")
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    const swapped = header.orientation >= 5; // EXIF 5–8 turn the picture a quarter
    const pixels = { data, width: info.width, height: info.height, channels: info.channels };
    if (conversion) toSrgb(pixels, conversion);
    return {
      pixels,
      width: header.width,
      height: header.height,
      orientedWidth: swapped ? header.height : header.width,
      orientedHeight: swapped ? header.width : header.height,
    };
  } catch (cause) {
    throw decodeError(cause, options.timeoutS);
  }
}

/** A failed decode in the API's words: libvips' timeout is a 503 to retry, anything else a broken image. */
function decodeError(cause: unknown, timeoutS: number): ApiError {
  // libvips' timeout says "timeout: NN% complete": the image is not broken, the machine is busy or it is huge.
  if (cause instanceof Error && /^timeout/i.test(cause.message)) {
    return new ApiError(503, "processing_timeout", "Image processing took too long, please retry", {
      extra: { timeout_seconds: timeoutS, retry_after_seconds: RETRY_AFTER_UNAVAILABLE_S },
      headers: retryAfter(RETRY_AFTER_UNAVAILABLE_S),
      cause,
    });
  }
  return invalidImage(cause);
}

/** What the file says of itself as stored, for `metrics=metadata` (metrics/metadata.ts): sharp's metadata(). */
export interface FileFacts {
  /** libvips' interpretation as stored: "srgb", "b-w", "cmyk", "rgb16", "grey16", … */
  space: string;
  /** Bits per sample as stored (a palette PNG's or GIF's own bits per sample where the file says). */
  depth: number;
  /** Channels as stored, alpha included. */
  channels: number;
  hasAlpha: boolean;
  icc: Uint8Array | undefined;
  /** Pixels per inch, when the file states a resolution. */
  density: number | undefined;
  orientation: number;
  /** Frames (pages). */
  pages: number;
  loop: number | undefined;
  /** Each frame's delay, in milliseconds. */
  delay: number[] | undefined;
  exif: Uint8Array | undefined;
  xmp: Uint8Array | undefined;
  iptc: Uint8Array | undefined;
}

/** Bits per sample of libvips' band formats. */
const DEPTH_BITS: Record<string, number> = {
  uchar: 8,
  char: 8,
  ushort: 16,
  short: 16,
  uint: 32,
  int: 32,
  float: 32,
  complex: 32,
  double: 32,
  dpcomplex: 32,
};

/**
 * The file's own facts as stored (never its pixels): colour space, depth, profile, resolution, frames, the
 * metadata blocks. The file's format was checked by `readHeader` before.
 *
 * @example
 * const facts = await readFileFacts(bytes); // { space: "srgb", depth: 8, channels: 3, pages: 1, … }
 */
export async function readFileFacts(bytes: Uint8Array): Promise<FileFacts> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (cause) {
    throw invalidImage(cause);
  }
  return {
    space: meta.space,
    depth: meta.bitsPerSample ?? DEPTH_BITS[meta.depth] ?? 8,
    channels: meta.channels,
    hasAlpha: meta.hasAlpha,
    icc: meta.icc,
    density: meta.density,
    orientation: meta.orientation ?? 1,
    pages: meta.pages ?? 1,
    loop: meta.loop,
    delay: meta.delay,
    exif: meta.exif,
    xmp: meta.xmp,
    iptc: meta.iptc,
  };
}

/** The full-resolution pixels `compression` and `noise` measure, and where they sit in the stored image. */
export interface FullResolution {
  /** 8-bit sRGB (one grey channel for a grey image), no alpha, in the stored orientation (not EXIF-rotated). */
  pixels: Pixels;
  /** The window's origin in the stored image: multiples of 8, so that it sits on a JPEG's 8×8 block grid. */
  left: number;
  top: number;
}

export interface FullResolutionOptions extends HeaderOptions {
  /** The window's longest side: a larger image is measured on its centred window of at most this side. */
  maxSidePx: number;
  timeoutS: number;
}

/** A window of at most `max` along a side of `size`, centred, its origin rounded down to a multiple of 8. */
function centredWindow(size: number, max: number): [origin: number, length: number] {
  if (size <= max) return [0, size];
  return [Math.floor((size - max) / 16) * 8, max];
}

/**
 * Decodes the stored image at full resolution (no resizing, no EXIF rotation, first frame, alpha dropped):
 * noise and JPEG blocks vanish when an image is shrunk, so `compression.blockiness` and `noise` are measured
 * here. An image larger than `maxSidePx` on a side is measured on its centred window (docs/METRICS.md).
 *
 * @example
 * const full = await decodeFullResolution(bytes, header, { format: "jpeg", maxInputPixels: 50e6, maxSidePx: 4000, timeoutS: 10 });
 */
export async function decodeFullResolution(
  bytes: Uint8Array,
  header: ImageHeader,
  options: FullResolutionOptions,
): Promise<FullResolution> {
  const [left, width] = centredWindow(header.width, options.maxSidePx);
  const [top, height] = centredWindow(header.height, options.maxSidePx);
  let pipeline = sharp(bytes, {
    failOn: "error",
    ignoreIcc: header.profile === "srgb",
    limitInputPixels: options.maxInputPixels,
    animated: false,
    pages: 1,
  });
  if (width < header.width || height < header.height) pipeline = pipeline.extract({ left, top, width, height });
  try {
    const { data, info } = await pipeline
      .removeAlpha()
      .toColourspace(header.grey ? "b-w" : "srgb")
      .raw({ depth: "uchar" })
      .timeout({ seconds: options.timeoutS })
      .toBuffer({ resolveWithObject: true });
    return { pixels: { data, width: info.width, height: info.height, channels: info.channels }, left, top };
  } catch (cause) {
    throw decodeError(cause, options.timeoutS);
  }
}

/**
 * Whether some pixel of the analysed image (first frame, at most `maxSidePx` a side, as `decodePixels` makes it)
 * is not fully opaque: `metadata.alpha_used` when the analysed pixels were flattened onto `background=` and no
 * longer say. A file without alpha is opaque without a decode.
 *
 * @example
 * await alphaUsed(bytes, { format: "png", maxSidePx: 512, maxInputPixels: 50e6, background: null, timeoutS: 10 }, true); // true
 */
export async function alphaUsed(bytes: Uint8Array, options: DecodeOptions, hasAlpha: boolean): Promise<boolean> {
  if (!hasAlpha) return false;
  try {
    const alpha = await sharp(bytes, {
      failOn: "error",
      ignoreIcc: true,
      limitInputPixels: options.maxInputPixels,
      autoOrient: true,
      animated: false,
      pages: 1,
    })
      .resize({ width: options.maxSidePx, height: options.maxSidePx, fit: "inside", withoutEnlargement: true })
      .timeout({ seconds: options.timeoutS })
      .toColourspace("srgb")
      .extractChannel(3)
      .raw({ depth: "uchar" })
      .toBuffer();
    return alpha.some((a) => a < 255);
  } catch (cause) {
    throw decodeError(cause, options.timeoutS);
  }
}
