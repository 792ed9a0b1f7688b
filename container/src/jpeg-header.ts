/**
 * A JPEG's header read in JavaScript: size, progressive or not, samples per pixel, EXIF orientation and the
 * embedded ICC profile, from the markers before the first scan. Asking libvips costs a trip through the
 * thread pool and an open of the image (0.3 ms, a tenth of a small image's whole analysis); this costs
 * microseconds. Anything unusual (a marker out of place, a second EXIF block, a profile in pieces that do not
 * fit, 12-bit samples, a height deferred to a DNL marker) returns null and the caller asks libvips, so this
 * never has to be as forgiving as libjpeg. It decides nothing about safety: libvips enforces the pixel limit
 * again when it decodes. Pure: bytes in, a plain object out.
 */

export interface JpegHeader {
  width: number;
  height: number;
  /** EXIF orientation 1–8 (1 when there is none). */
  orientation: number;
  progressive: boolean;
  /** Colour components: 1 grey, 3 YCbCr, 4 CMYK or YCCK. */
  components: number;
  /** Samples per pixel over all components (4:2:0 is 1.5, 4:4:4 is 3). */
  samplesPerPixel: number;
  /** The ICC profile, reassembled from its APP2 pieces, if any. */
  icc: Uint8Array | undefined;
}

const ICC_SIGNATURE = "ICC_PROFILE\0";
const EXIF_SIGNATURE = "Exif\0\0";

function ascii(bytes: Uint8Array, from: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(from, from + length));
}

/** The orientation in a TIFF-structured EXIF block (IFD0, tag 0x0112), 1 when absent, null when malformed. */
function exifOrientation(exif: Uint8Array): number | null {
  if (exif.length < 8) return null;
  const view = new DataView(exif.buffer, exif.byteOffset, exif.byteLength);
  const order = ascii(exif, 0, 2);
  if (order !== "II" && order !== "MM") return null;
  const little = order === "II";
  if (view.getUint16(2, little) !== 42) return null;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > exif.length) return null;
  const entries = view.getUint16(ifd, little);
  if (ifd + 2 + 12 * entries > exif.length) return null;
  for (let i = 0; i < entries; i++) {
    const at = ifd + 2 + 12 * i;
    if (view.getUint16(at, little) !== 0x0112) continue;
    // SHORT, count 1: the value sits in the entry itself.
    if (view.getUint16(at + 2, little) !== 3 || view.getUint32(at + 4, little) !== 1) return null;
    const orientation = view.getUint16(at + 8, little);
    return orientation >= 1 && orientation <= 8 ? orientation : null;
  }
  return 1;
}

/**
 * The header of a baseline or progressive 8-bit JPEG, or null when anything is unusual (ask libvips then).
 *
 * @example
 * readJpegHeader(bytes); // { width: 536, height: 354, orientation: 1, progressive: false, components: 3, … }
 */
export function readJpegHeader(bytes: Uint8Array): JpegHeader | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let exif: Uint8Array | undefined;
  const iccPieces: Uint8Array[] = [];
  let iccCount = 0;
  let frame: Omit<JpegHeader, "orientation" | "icc"> | undefined;
  let at = 2;
  for (;;) {
    if (at + 4 > bytes.length || bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1] as number;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    // Standalone markers (TEM, RSTn, SOI, EOI) have no place before the first scan here.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) return null;
    const length = view.getUint16(at + 2);
    const start = at + 4;
    const end = at + 2 + length;
    if (length < 2 || end > bytes.length) return null;
    if (marker === 0xda) break; // the first scan: the header is complete
    if (marker === 0xe1 && end - start >= 6 && ascii(bytes, start, 6) === EXIF_SIGNATURE) {
      if (exif) return null; // which of two would libexif believe?
      exif = bytes.subarray(start + 6, end);
    } else if (marker === 0xe2 && end - start >= 14 && ascii(bytes, start, 12) === ICC_SIGNATURE) {
      const sequence = bytes[start + 12] as number;
      const count = bytes[start + 13] as number;
      if (count === 0 || sequence < 1 || sequence > count || (iccCount && count !== iccCount)) return null;
      if (iccPieces[sequence - 1]) return null;
      iccCount = count;
      iccPieces[sequence - 1] = bytes.subarray(start + 14, end);
    } else if (
      (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) ||
      marker === 0xf7
    ) {
      // Only 8-bit baseline, extended and progressive Huffman frames; lossless, arithmetic and JPEG-LS to libvips.
      if (frame || (marker !== 0xc0 && marker !== 0xc1 && marker !== 0xc2)) return null;
      if (end - start < 6 || bytes[start] !== 8) return null;
      const height = view.getUint16(start + 1);
      const width = view.getUint16(start + 3);
      const components = bytes[start + 5] as number;
      if (width === 0 || height === 0 || ![1, 3, 4].includes(components) || end - start < 6 + 3 * components) {
        return null;
      }
      let hMax = 0;
      let vMax = 0;
      let blocks = 0;
      for (let c = 0; c < components; c++) {
        const sampling = bytes[start + 7 + 3 * c] as number;
        const h = sampling >> 4;
        const v = sampling & 15;
        if (h < 1 || h > 4 || v < 1 || v > 4) return null;
        hMax = Math.max(hMax, h);
        vMax = Math.max(vMax, v);
        blocks += h * v;
      }
      frame = { width, height, progressive: marker === 0xc2, components, samplesPerPixel: blocks / (hMax * vMax) };
    }
    at = end;
  }
  if (!frame) return null;
  const orientation = exif ? exifOrientation(exif) : 1;
  if (orientation === null) return null;
  let icc: Uint8Array | undefined;
  if (iccCount > 0) {
    if (iccPieces.length !== iccCount || iccPieces.includes(undefined as unknown as Uint8Array)) return null;
    icc = iccCount === 1 ? iccPieces[0] : Buffer.concat(iccPieces);
  }
  return { ...frame, orientation, icc };
}
