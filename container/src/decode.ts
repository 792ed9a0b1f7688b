/**
 * The only module that imports sharp: image bytes in, oriented 8-bit sRGB pixels and the stored size out.
 * Everything libvips says stays here; callers get an `ApiError` with public words, the cause in the log.
 */
import sharp from "sharp";
import { ApiError } from "../../contract/errors.ts";
import type { Pixels } from "./metrics/luminance.ts";

// libvips' operation cache keeps decoded images in memory for reuse; every request here is new bytes.
sharp.cache(false);

export interface DecodedImage {
  pixels: Pixels;
  /** The image as stored (before EXIF rotation), as the reference service reports it. */
  width: number;
  height: number;
}

export interface DecodeOptions {
  /** The analysed image's longer side, in pixels. */
  maxSidePx: number;
}

/**
 * Decodes once, shrinking on load, to at most `maxSidePx` on the longer side, as raw sRGB pixels.
 * Never `stats()` on the full-size input: it would ignore the resize and any timeout.
 *
 * @example
 * const { pixels, width, height } = await decodeForAnalysis(bytes, { maxSidePx: 512 });
 */
export async function decodeForAnalysis(bytes: Uint8Array, options: DecodeOptions): Promise<DecodedImage> {
  try {
    const input = sharp(bytes, { failOn: "error" });
    const meta = await input.metadata();
    const { data, info } = await input
      .rotate()
      .resize({ width: options.maxSidePx, height: options.maxSidePx, fit: "inside", withoutEnlargement: true })
      .toColourspace("srgb")
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      pixels: { data, width: info.width, height: info.height, channels: info.channels },
      width: meta.width ?? info.width,
      height: meta.height ?? info.height,
    };
  } catch (cause) {
    throw new ApiError(400, "invalid_image", "Invalid or corrupted image file", {
      extra: { details: "The file could not be decoded as an image" },
      cause,
    });
  }
}
