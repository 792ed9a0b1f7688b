import fc from "fast-check";
import sharp, { type JpegOptions, type Sharp } from "sharp";
import { describe, expect, it } from "vitest";
import { referenceSample } from "../test/images.ts";
import { readJpegHeader } from "./jpeg-header.ts";

/** A photo-like 64×48 JPEG from a gradient, encoded with `options`. */
async function jpeg(options: JpegOptions, edit: (s: Sharp) => Sharp = (s) => s): Promise<Uint8Array> {
  const raw = Buffer.alloc(64 * 48 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 13) % 251;
  const base = sharp(raw, { raw: { width: 64, height: 48, channels: 3 } });
  return new Uint8Array(await edit(base).jpeg(options).toBuffer());
}

/** What libvips says about the same bytes. */
async function libvips(bytes: Uint8Array) {
  const meta = await sharp(bytes).metadata();
  return {
    width: meta.width,
    height: meta.height,
    orientation: meta.orientation ?? 1,
    progressive: meta.isProgressive === true,
    components: meta.channels,
    icc: meta.icc ? new Uint8Array(meta.icc) : undefined,
  };
}

describe("readJpegHeader", () => {
  it("reads what libvips reads: size, progressive, components, orientation, ICC in one or many pieces", async () => {
    const cases = [
      referenceSample("sample1-536x354-grayscale.jpg"),
      referenceSample("sample2-536x354.jpg"),
      await jpeg({ quality: 80 }),
      await jpeg({ progressive: true }),
      await jpeg({ chromaSubsampling: "4:4:4" }),
      await jpeg({}, (s) => s.toColourspace("b-w")),
      await jpeg({}, (s) => s.withIccProfile("srgb")),
      await jpeg({}, (s) => s.withIccProfile("p3")),
      await jpeg({}, (s) => s.toColourspace("cmyk").withIccProfile("cmyk")), // a 960 KB profile: 15 APP2 pieces
      ...(await Promise.all([2, 3, 4, 5, 6, 7, 8].map((o) => jpeg({}, (s) => s.withMetadata({ orientation: o }))))),
    ];
    for (const bytes of cases) {
      const header = readJpegHeader(bytes);
      const want = await libvips(bytes);
      expect(header, `case ${cases.indexOf(bytes)}`).not.toBeNull();
      expect({ ...header, samplesPerPixel: undefined, icc: header?.icc && new Uint8Array(header.icc) }).toEqual({
        ...want,
        samplesPerPixel: undefined,
      });
    }
  });

  it("counts samples per pixel from the sampling factors", async () => {
    expect(readJpegHeader(await jpeg({ chromaSubsampling: "4:2:0" }))?.samplesPerPixel).toBe(1.5);
    expect(readJpegHeader(await jpeg({ chromaSubsampling: "4:4:4" }))?.samplesPerPixel).toBe(3);
    expect(readJpegHeader(await jpeg({}, (s) => s.toColourspace("b-w")))?.samplesPerPixel).toBe(1);
  });

  it("gives up (null) on what it does not know, for libvips to decide", async () => {
    const good = await jpeg({});
    expect(readJpegHeader(good.subarray(0, 100))).toBeNull(); // no frame header yet
    const garbled = good.slice();
    garbled[garbled.findIndex((b, i) => b === 0xff && garbled[i + 1] === 0xdb) + 1] = 0x01;
    expect(readJpegHeader(garbled)).toBeNull();
    expect(readJpegHeader(Uint8Array.of(0x89, 0x50, 0x4e, 0x47))).toBeNull();
  });

  it("never throws on damaged bytes, and never disagrees with libvips about the size it finds", async () => {
    const good = await jpeg({ progressive: true }, (s) => s.withIccProfile("srgb").withMetadata({ orientation: 6 }));
    const head = good.findIndex((b, i) => b === 0xff && good[i + 1] === 0xda) + 4;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(head), fc.nat(255)), { minLength: 1, maxLength: 4 }), async (edits) => {
        const bytes = good.slice();
        for (const [at, value] of edits) bytes[at] = value;
        const header = readJpegHeader(bytes);
        if (!header) return;
        const meta = await sharp(bytes)
          .metadata()
          .catch(() => null);
        if (meta) expect([header.width, header.height]).toEqual([meta.width, meta.height]);
      }),
      { numRuns: 300 },
    );
  });
});
