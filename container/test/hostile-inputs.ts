/**
 * Hostile and unusual inputs, all built in code at test time (sharp, zlib, byte patches): the seeds of the
 * hostile-input table and of the mutation fuzz run.
 */
import { createDeflate } from "node:zlib";
import sharp from "sharp";
import { greyPng, orientedPng } from "./images.ts";

const text = (s: string) => new TextEncoder().encode(s);

/** CRC-32 as PNG chunks use it (ISO 3309). */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const body = new Uint8Array([...text(type), ...data]);
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(body, 4);
  view.setUint32(8 + data.length, crc32(body));
  return out;
}

function ihdr(width: number, height: number, colourType = 0): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data.set([8, colourType, 0, 0, 0], 8);
  return pngChunk("IHDR", data);
}

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A grey PNG of `width` × `height` zeros, compressed as it streams: a real deflate bomb, tiny on disk. */
export async function pngBomb(width: number, height: number): Promise<Uint8Array> {
  const deflate = createDeflate({ level: 9 });
  const chunks: Buffer[] = [];
  deflate.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => deflate.on("end", resolve));
  const row = Buffer.alloc(width + 1); // filter byte 0, then zeros
  for (let y = 0; y < height; y++) {
    if (!deflate.write(row)) await new Promise((resolve) => deflate.once("drain", resolve));
  }
  deflate.end();
  await done;
  return concat(
    PNG_SIGNATURE,
    ihdr(width, height),
    pngChunk("IDAT", Buffer.concat(chunks)),
    pngChunk("IEND", new Uint8Array(0)),
  );
}

/** A valid small PNG whose IHDR claims `width` × `height`. */
export function pngClaiming(width: number, height: number): Uint8Array {
  const idat = pngChunk("IDAT", Uint8Array.of(0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01));
  return concat(PNG_SIGNATURE, ihdr(width, height), idat, pngChunk("IEND", new Uint8Array(0)));
}

/** A JPEG whose SOF marker claims `width` × `height`. */
export function jpegClaiming(jpeg: Uint8Array, width: number, height: number): Uint8Array {
  const out = jpeg.slice();
  for (let i = 2; i + 9 < out.length; i++) {
    if (out[i] === 0xff && (out[i + 1] === 0xc0 || out[i + 1] === 0xc2)) {
      new DataView(out.buffer).setUint16(i + 5, height);
      new DataView(out.buffer).setUint16(i + 7, width);
      return out;
    }
  }
  throw new Error("no SOF marker");
}

/** A GIF whose logical screen and first image descriptor claim `width` × `height`. */
export function gifClaiming(gif: Uint8Array, width: number, height: number): Uint8Array {
  const out = gif.slice();
  const view = new DataView(out.buffer);
  view.setUint16(6, width, true);
  view.setUint16(8, height, true);
  // Walk the blocks to the first image descriptor: past the global colour table and any extensions.
  const packed = out[10] as number;
  let i = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  while (out[i] === 0x21) {
    i += 2;
    while ((out[i] as number) !== 0) i += (out[i] as number) + 1;
    i++;
  }
  if (out[i] !== 0x2c) throw new Error("no image descriptor");
  view.setUint16(i + 5, width, true);
  view.setUint16(i + 7, height, true);
  return out;
}

export interface HostileCase {
  name: string;
  bytes: Uint8Array;
  /** The client's Content-Type label. */
  type: string;
  /** The documented answer. */
  status: 200 | 400 | 413 | 415 | 422;
}

/**
 * Every case of issue #6 with its documented status. `canaryUrl` is a loopback server that an SVG's
 * `<image href>` points to: it must see no connection at all.
 */
export async function hostileCases(canaryUrl: string): Promise<HostileCase[]> {
  const jpeg = new Uint8Array(
    await sharp({ create: { width: 64, height: 48, channels: 3, background: "#7a5c3e" } })
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
  const png = await greyPng(64, 48, (x, y) => (x * 4 + y) % 256);
  const gif = new Uint8Array(await sharp(png).gif().toBuffer());
  const frames = await Promise.all(
    ["#ff0000", "#00ff00", "#0000ff"].map((c) =>
      sharp({ create: { width: 8, height: 8, channels: 3, background: c } })
        .png()
        .toBuffer(),
    ),
  );
  const badCrc = png.slice();
  badCrc[29] = (badCrc[29] as number) ^ 0xff; // the IHDR chunk's CRC
  const garbled = jpeg.slice();
  const dqt = garbled.findIndex((b, i) => b === 0xff && garbled[i + 1] === 0xdb);
  garbled[dqt + 1] = 0x01; // a marker that does not exist where the quantisation table belongs

  const rgba = await sharp({
    create: { width: 8, height: 8, channels: 4, background: { r: 10, g: 200, b: 30, alpha: 0.5 } },
  })
    .png()
    .toBuffer();
  const cases: HostileCase[] = [
    { name: "empty body", bytes: new Uint8Array(0), type: "image/png", status: 400 },
    { name: "text under image/png", bytes: text("just some text"), type: "image/png", status: 400 },
    { name: "HTML under image/jpeg", bytes: text("<!doctype html><html></html>"), type: "image/jpeg", status: 400 },
    { name: "JSON under image/webp", bytes: text('{"a":1}'), type: "image/webp", status: 400 },
    {
      name: "ZIP header under image/png",
      bytes: Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0),
      type: "image/png",
      status: 400,
    },
    { name: "PDF header under image/png", bytes: text("%PDF-1.7\n%\u00e2\u00e3"), type: "image/png", status: 415 },
    { name: "JPEG labelled PNG", bytes: jpeg, type: "image/png", status: 200 },
    { name: "PNG labelled application/octet-stream", bytes: png, type: "application/octet-stream", status: 200 },
    { name: "a PNG with a bad chunk CRC", bytes: badCrc, type: "image/png", status: 400 },
    { name: "a JPEG with a garbled marker", bytes: garbled, type: "image/jpeg", status: 400 },
    {
      name: "a PNG followed by HTML and a ZIP header (polyglot)",
      bytes: concat(png, text("<html><script>x</script>"), Uint8Array.of(0x50, 0x4b, 3, 4)),
      type: "image/png",
      status: 200,
    },
    {
      name: "minimal SVG",
      bytes: text('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      type: "image/svg+xml",
      status: 415,
    },
    {
      name: "SVG with a huge viewport",
      bytes: text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000" viewBox="0 0 100000 100000"/>',
      ),
      type: "image/png",
      status: 415,
    },
    {
      name: "SVG with entity expansion",
      bytes: text(
        `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&c;</text></svg>`,
      ),
      type: "image/svg+xml",
      status: 415,
    },
    {
      name: "SVG with an <image href> to a loopback canary",
      bytes: text(
        `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><image href="${canaryUrl}/x.png" xlink:href="${canaryUrl}/y.png" width="10" height="10"/></svg>`,
      ),
      type: "image/png",
      status: 415,
    },
    { name: "TIFF", bytes: new Uint8Array(await sharp(png).tiff().toBuffer()), type: "image/tiff", status: 415 },
    { name: "a PNG claiming 60000×60000", bytes: pngClaiming(60_000, 60_000), type: "image/png", status: 422 },
    { name: "a JPEG claiming 60000×60000", bytes: jpegClaiming(jpeg, 60_000, 60_000), type: "image/jpeg", status: 422 },
    { name: "a GIF claiming 65535×65535", bytes: gifClaiming(gif, 65_535, 65_535), type: "image/gif", status: 422 },
    {
      name: "a PNG deflate bomb (20000×20000 zeros)",
      bytes: await pngBomb(20_000, 20_000),
      type: "image/png",
      status: 422,
    },
    {
      name: "a CMYK JPEG",
      bytes: new Uint8Array(await sharp(jpeg).toColourspace("cmyk").jpeg().toBuffer()),
      type: "image/jpeg",
      status: 200,
    },
    {
      name: "a 16-bit PNG",
      bytes: new Uint8Array(await sharp(png).toColourspace("rgb16").png().toBuffer()),
      type: "image/png",
      status: 200,
    },
    {
      name: "a palette PNG",
      bytes: new Uint8Array(await sharp(jpeg).png({ palette: true, colours: 16 }).toBuffer()),
      type: "image/png",
      status: 200,
    },
    {
      name: "a 1-bit PNG",
      bytes: new Uint8Array(await sharp(png).png({ palette: true, colours: 2 }).toBuffer()),
      type: "image/png",
      status: 200,
    },
    {
      name: "a grey + alpha PNG",
      bytes: new Uint8Array(await sharp(rgba).toColourspace("b-w").png().toBuffer()),
      type: "image/png",
      status: 200,
    },
    { name: "an RGBA PNG", bytes: new Uint8Array(rgba), type: "image/png", status: 200 },
    {
      name: "an animated GIF",
      bytes: new Uint8Array(
        await sharp(frames, { join: { animated: true } })
          .gif()
          .toBuffer(),
      ),
      type: "image/gif",
      status: 200,
    },
    {
      name: "an animated WebP",
      bytes: new Uint8Array(
        await sharp(frames, { join: { animated: true } })
          .webp()
          .toBuffer(),
      ),
      type: "image/webp",
      status: 200,
    },
  ];
  for (const [kind, bytes, type] of [
    ["JPEG", jpeg, "image/jpeg"],
    ["PNG", png, "image/png"],
  ] as const) {
    for (const [at, label] of [
      [2, "2 bytes"],
      [100, "100 bytes"],
      [Math.floor(bytes.length / 2), "half"],
    ] as const) {
      cases.push({ name: `a ${kind} truncated at ${label}`, bytes: bytes.subarray(0, at), type, status: 400 });
    }
  }
  // Length − 2: a PNG loses half of its IEND chunk's CRC, after every pixel, and is read (200); a JPEG loses
  // its end-of-image marker, which libjpeg reports as an error, so it is refused as corrupted (400).
  const tail = (bytes: Uint8Array) => bytes.subarray(0, bytes.length - 2);
  cases.push({ name: "a PNG truncated at length − 2", bytes: tail(png), type: "image/png", status: 200 });
  cases.push({ name: "a JPEG truncated at length − 2", bytes: tail(jpeg), type: "image/jpeg", status: 400 });
  for (let orientation = 1; orientation <= 8; orientation++) {
    cases.push({
      name: `EXIF orientation ${orientation}`,
      bytes: await orientedPng(png, orientation),
      type: "image/png",
      status: 200,
    });
  }
  return cases;
}

/** What must never appear in an error body: a stack, a path, a library name or a library's message. */
export const LEAK =
  /\bat \S+ \(|node_modules|\/work\/|\/app\/|sharp|vips|spng|libjpeg|libpng|gifload|heif|Error:|exception/i;
