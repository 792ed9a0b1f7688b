/**
 * Test images made inside workerd, which has no image encoder: a PNG of vertical stripes, one per colour, written
 * by hand (PNG's chunks, CRC-32, zlib through CompressionStream), for tests that need an image of several colours;
 * the same pixels in other bytes (an extra text chunk), for tests of duplicates.
 */

type Rgb = readonly [number, number, number];

/** CRC-32 (ISO-HDLC, polynomial 0xEDB88320), as PNG's chunks (and ZIP's entries) carry it. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * An opaque 8-bit RGB PNG of `width` × `height` pixels, each `colourAt(x, y)`.
 *
 * @example
 * await pixelsPng(32, 32, (x, y) => [(x ^ y) * 8, 0, 0]); // a red pattern
 */
export async function pixelsPng(
  width: number,
  height: number,
  colourAt: (x: number, y: number) => Rgb,
): Promise<Uint8Array> {
  const stride = 1 + width * 3; // filter byte 0 (none), then the pixels
  const raw = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(colourAt(x, y), y * stride + 1 + x * 3);
  }
  // CompressionStream's "deflate" is the zlib format, which IDAT holds.
  const deflated = new Uint8Array(
    await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream("deflate"))).arrayBuffer(),
  );
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, adaptive filtering, no interlace
  const parts = [
    Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflated),
    chunk("IEND", new Uint8Array(0)),
  ];
  const png = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    png.set(part, at);
    at += part.length;
  }
  return png;
}

/**
 * An opaque 8-bit RGB PNG: `stripeWidth` columns of each colour, left to right, `height` rows.
 *
 * @example
 * await stripesPng([[255, 0, 0], [0, 0, 255]]); // red on the left, blue on the right, 8×8
 */
export function stripesPng(colours: readonly Rgb[], stripeWidth = 4, height = 8): Promise<Uint8Array> {
  return pixelsPng(colours.length * stripeWidth, height, (x) => colours[Math.floor(x / stripeWidth)] as Rgb);
}

/**
 * The same PNG with a `tEXt` chunk after its header: other bytes (another SHA-256), the same pixels.
 *
 * @example
 * withText(await stripesPng([[0, 0, 0], [255, 255, 255]]), "copy"); // decodes to the same picture
 */
export function withText(png: Uint8Array, text: string): Uint8Array {
  const afterHeader = 8 + 12 + 13; // the signature, then IHDR: length, type, 13 bytes, CRC
  const extra = chunk("tEXt", new TextEncoder().encode(`Comment\0${text}`));
  const out = new Uint8Array(png.length + extra.length);
  out.set(png.subarray(0, afterHeader));
  out.set(extra, afterHeader);
  out.set(png.subarray(afterHeader), afterHeader + extra.length);
  return out;
}
