/**
 * Test images made inside workerd, which has no image encoder: a PNG of vertical stripes, one per colour, written
 * by hand (PNG's chunks, CRC-32, zlib through CompressionStream), for tests that need an image of several colours.
 */

type Rgb = readonly [number, number, number];

/** CRC-32 (ISO-HDLC, polynomial 0xEDB88320), as PNG's chunks carry it. */
function crc32(bytes: Uint8Array): number {
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
 * An opaque 8-bit RGB PNG: `stripeWidth` columns of each colour, left to right, `height` rows.
 *
 * @example
 * await stripesPng([[255, 0, 0], [0, 0, 255]]); // red on the left, blue on the right, 8×8
 */
export async function stripesPng(colours: readonly Rgb[], stripeWidth = 4, height = 8): Promise<Uint8Array> {
  const width = colours.length * stripeWidth;
  const row = new Uint8Array(1 + width * 3); // filter byte 0 (none), then the pixels
  colours.forEach((colour, i) => {
    for (let x = i * stripeWidth; x < (i + 1) * stripeWidth; x++) row.set(colour, 1 + x * 3);
  });
  const raw = new Uint8Array(row.length * height);
  for (let y = 0; y < height; y++) raw.set(row, y * row.length);
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
