/**
 * The only module that imports sharp: image bytes in, oriented 8-bit sRGB pixels and metadata out.
 * Everything libvips says stays here; callers get an `ApiError` with public words, the cause in the log.
 */
import sharp, { type Metadata } from "sharp";
import type { AcceptedFormat, Rgb } from "../../contract/analysis.ts";
import { ApiError } from "../../contract/errors.ts";
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

export interface DecodeOptions {
  /** What the magic-number check found; the decoder must agree. */
  format: AcceptedFormat;
  /** The analysed image's longer side, in pixels. */
  maxSidePx: number;
  /** Largest accepted width × height, from the header, checked before any pixel is decoded. */
  maxInputPixels: number;
  /** Flatten transparency onto this colour; otherwise alpha is kept for weighting. */
  background: Rgb | null;
}

function invalidImage(cause: unknown): ApiError {
  return new ApiError(400, "invalid_image", "Invalid or corrupted image file", {
    extra: { details: "The file could not be decoded as an image" },
    cause,
  });
}

/**
 * Sets how many threads libvips uses per image: the process's real CPU, not the host's cores. (sharp
 * defaults to one thread on glibc without jemalloc; the image sets MALLOC_ARENA_MAX=2 for the memory side.)
 *
 * @example
 * setDecodeThreads(1);
 */
export function setDecodeThreads(threads: number): void {
  sharp.concurrency(threads);
}

/**
 * Decodes once, shrinking on load, to at most `maxSidePx` on the longer side: EXIF orientation applied,
 * embedded ICC profiles (and CMYK, through a profile) converted to sRGB, 16-bit scaled to 8-bit, first frame
 * only. Never `stats()` on the full-size input: it would ignore the resize and any timeout.
 *
 * @example
 * const image = await decodeForAnalysis(bytes, { format: "jpeg", maxSidePx: 512, maxInputPixels: 50e6, background: null });
 */
export async function decodeForAnalysis(bytes: Uint8Array, options: DecodeOptions): Promise<DecodedImage> {
  let meta: Metadata;
  try {
    // The header alone, with no pixel limit of sharp's, so that an oversized image gets its own clear 422
    // below rather than a decode error.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (cause) {
    throw invalidImage(cause);
  }
  if (meta.format !== SHARP_FORMAT[options.format] || !meta.width || !meta.height) {
    throw invalidImage(new Error(`Expected ${options.format} but the decoder found ${meta.format}`));
  }
  const height = meta.pageHeight ?? meta.height; // an animation's first frame
  // From the header alone: a 60000×60000 PNG of 400 KB is refused before a byte of it is inflated.
  if (meta.width * height > options.maxInputPixels) {
    throw new ApiError(422, "image_too_large", "Image dimensions exceed the maximum allowed", {
      extra: { max_pixels: options.maxInputPixels, received_pixels: meta.width * height, width: meta.width, height },
    });
  }

  const input = sharp(bytes, {
    failOn: "error",
    limitInputPixels: options.maxInputPixels, // the same limit again, enforced by libvips itself
    autoOrient: true,
    animated: false,
    pages: 1,
  });
  let pipeline = input.resize({
    width: options.maxSidePx,
    height: options.maxSidePx,
    fit: "inside",
    withoutEnlargement: true,
  });
  if (options.background) pipeline = pipeline.flatten({ background: options.background });
  try {
    const { data, info } = await pipeline
      .toColourspace("srgb")
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    const swapped = (meta.orientation ?? 1) >= 5; // EXIF 5–8 turn the picture a quarter
    return {
      pixels: { data, width: info.width, height: info.height, channels: info.channels },
      width: meta.width,
      height,
      orientedWidth: swapped ? height : meta.width,
      orientedHeight: swapped ? meta.width : height,
    };
  } catch (cause) {
    throw invalidImage(cause);
  }
}
