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

/** SOFn: a frame header (C4 DHT, C8 JPG and CC DAC share the range and are not), and F7, JPEG-LS's SOF55. */
function isFrameMarker(marker: number): boolean {
  return (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7;
}

/**
 * Walks the marker segments from SOI to the first scan (SOS), calling `visit` with each segment's marker and
 * its payload's bounds (after the length). True when the first scan is reached; false when the bytes are not
 * a JPEG, a segment does not fit, a standalone marker (TEM, RSTn, SOI, EOI) comes before the first scan, or
 * `visit` returns false.
 */
function walkHeader(bytes: Uint8Array, visit: (marker: number, start: number, end: number) => boolean): boolean {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return false;
  let at = 2;
  for (;;) {
    if (at + 4 > bytes.length || bytes[at] !== 0xff) return false;
    const marker = bytes[at + 1] as number;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) return false;
    const length = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
    const start = at + 4;
    const end = at + 2 + length;
    if (length < 2 || end > bytes.length) return false;
    if (marker === 0xda) return true; // the first scan: the header is complete
    if (!visit(marker, start, end)) return false;
    at = end;
  }
}

/**
 * The header of a baseline or progressive 8-bit JPEG, or null when anything is unusual (ask libvips then).
 *
 * @example
 * readJpegHeader(bytes); // { width: 536, height: 354, orientation: 1, progressive: false, components: 3, … }
 */
export function readJpegHeader(bytes: Uint8Array): JpegHeader | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let exif: Uint8Array | undefined;
  const iccPieces: Uint8Array[] = [];
  let iccCount = 0;
  let frame: Omit<JpegHeader, "orientation" | "icc"> | undefined;
  const complete = walkHeader(bytes, (marker, start, end) => {
    if (marker === 0xe1 && end - start >= 6 && ascii(bytes, start, 6) === EXIF_SIGNATURE) {
      if (exif) return false; // which of two would libexif believe?
      exif = bytes.subarray(start + 6, end);
    } else if (marker === 0xe2 && end - start >= 14 && ascii(bytes, start, 12) === ICC_SIGNATURE) {
      const sequence = bytes[start + 12] as number;
      const count = bytes[start + 13] as number;
      if (count === 0 || sequence < 1 || sequence > count || (iccCount && count !== iccCount)) return false;
      if (iccPieces[sequence - 1]) return false;
      iccCount = count;
      iccPieces[sequence - 1] = bytes.subarray(start + 14, end);
    } else if (isFrameMarker(marker)) {
      // Only 8-bit baseline, extended and progressive Huffman frames; lossless, arithmetic and JPEG-LS to libvips.
      if (frame || (marker !== 0xc0 && marker !== 0xc1 && marker !== 0xc2)) return false;
      if (end - start < 6 || bytes[start] !== 8) return false;
      const height = view.getUint16(start + 1);
      const width = view.getUint16(start + 3);
      const components = bytes[start + 5] as number;
      if (width === 0 || height === 0 || ![1, 3, 4].includes(components) || end - start < 6 + 3 * components) {
        return false;
      }
      let hMax = 0;
      let vMax = 0;
      let blocks = 0;
      for (let c = 0; c < components; c++) {
        const sampling = bytes[start + 7 + 3 * c] as number;
        const h = sampling >> 4;
        const v = sampling & 15;
        if (h < 1 || h > 4 || v < 1 || v > 4) return false;
        hMax = Math.max(hMax, h);
        vMax = Math.max(vMax, v);
        blocks += h * v;
      }
      frame = { width, height, progressive: marker === 0xc2, components, samplesPerPixel: blocks / (hMax * vMax) };
    }
    return true;
  });
  if (!complete || !frame) return null;
  const orientation = exif ? exifOrientation(exif) : 1;
  if (orientation === null) return null;
  let icc: Uint8Array | undefined;
  if (iccCount > 0) {
    if (iccPieces.length !== iccCount || iccPieces.includes(undefined as unknown as Uint8Array)) return null;
    icc = iccCount === 1 ? iccPieces[0] : Buffer.concat(iccPieces);
  }
  return { ...frame, orientation, icc };
}

/** A frame component: its sampling factors and the quantisation table it uses. */
export interface JpegComponent {
  id: number;
  /** Horizontal and vertical sampling factors, 1–4. */
  h: number;
  v: number;
  /** The quantisation table slot (Tq), 0–3. */
  table: number;
}

/** What a JPEG's encoder chose, from DQT and SOFn: its quantisation tables and its frame's coding. */
export interface JpegCoding {
  /** The SOFn marker (0xC0 baseline, 0xC1 extended, 0xC2 progressive, 0xC3 lossless, 0xC9–0xCB arithmetic…). */
  frameMarker: number;
  /** Sample precision in bits (8 or 12 for DCT frames). */
  precision: number;
  components: JpegComponent[];
  /**
   * The quantisation tables in slots 0–3 as defined before the first scan (a later definition of a slot
   * replaces the earlier), each 64 values in natural (row-major) order, as libjpeg's `quantval` holds them.
   */
  tables: Array<Uint16Array | undefined>;
}

/** The zigzag order: DQT's k-th value is the coefficient at natural (row-major) index ZIGZAG[k] (T.81 figure A.6). */
// biome-ignore format: a table reads better in rows
const ZIGZAG = Uint8Array.of(
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
  12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
  58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
);

/**
 * The quantisation tables (DQT) and the frame header (SOFn) of a JPEG, from the markers before its first scan,
 * by the same walk as `readJpegHeader` but forgiving what only the decoder cares about (EXIF, ICC, the frame
 * type: the caller judges `frameMarker` and `precision`). Null when the bytes are not a JPEG, a segment does
 * not fit, a DQT or SOF is malformed, or there is no frame header before the first scan.
 *
 * @example
 * readJpegCoding(bytes); // { frameMarker: 0xc0, precision: 8, components: [{ id: 1, h: 2, v: 2, table: 0 }, …], tables: [Uint16Array(64), Uint16Array(64)] }
 */
export function readJpegCoding(bytes: Uint8Array): JpegCoding | null {
  const tables: Array<Uint16Array | undefined> = [];
  let frame: Omit<JpegCoding, "tables"> | undefined;
  const complete = walkHeader(bytes, (marker, start, end) => {
    if (marker === 0xdb) {
      // One or more tables: Pq|Tq, then 64 values in zigzag order, 8-bit (Pq 0) or 16-bit big-endian (Pq 1).
      let at = start;
      while (at < end) {
        const precision = (bytes[at] as number) >> 4;
        const slot = (bytes[at] as number) & 15;
        const size = precision === 0 ? 64 : 128;
        if (precision > 1 || slot > 3 || at + 1 + size > end) return false;
        const table = new Uint16Array(64);
        for (let k = 0; k < 64; k++) {
          const value =
            precision === 0
              ? (bytes[at + 1 + k] as number)
              : ((bytes[at + 1 + 2 * k] as number) << 8) | (bytes[at + 2 + 2 * k] as number);
          table[ZIGZAG[k] as number] = value;
        }
        tables[slot] = table;
        at += 1 + size;
      }
    } else if (isFrameMarker(marker)) {
      if (frame || end - start < 6) return false;
      const count = bytes[start + 5] as number;
      if (count === 0 || end - start < 6 + 3 * count) return false;
      const components: JpegComponent[] = [];
      for (let c = 0; c < count; c++) {
        const at = start + 6 + 3 * c;
        const sampling = bytes[at + 1] as number;
        const component = {
          id: bytes[at] as number,
          h: sampling >> 4,
          v: sampling & 15,
          table: bytes[at + 2] as number,
        };
        if (component.h < 1 || component.h > 4 || component.v < 1 || component.v > 4 || component.table > 3) {
          return false;
        }
        components.push(component);
      }
      frame = { frameMarker: marker, precision: bytes[start] as number, components };
    }
    return true;
  });
  if (!complete || !frame) return null;
  return { ...frame, tables };
}
