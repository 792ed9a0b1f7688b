import fc from "fast-check";
import sharp, { type JpegOptions } from "sharp";
import { describe, expect, it } from "vitest";
import { readJpegCoding } from "../jpeg-header.ts";
import {
  bitsPerPixel,
  blockiness,
  blockinessSums,
  compression,
  imageMagickQuality,
  jpegCompression,
  qualityScaling,
  STD_CHROMINANCE_QUANT_TABLE,
  STD_LUMINANCE_QUANT_TABLE,
  standardTable,
  subsamplingOf,
} from "./compression.ts";
import type { PixelImage } from "./planes.ts";

const NULLS = { quality: null, quality_exact: null, subsampling: null, progressive: null };

/** A photo-like 64×48 JPEG from a gradient, written by sharp (libjpeg-turbo unless `mozjpeg`). */
async function jpeg(options: JpegOptions, grey = false): Promise<Uint8Array> {
  const raw = Buffer.alloc(64 * 48 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 13) % 251;
  const image = sharp(raw, { raw: { width: 64, height: 48, channels: 3 } });
  if (grey) image.toColourspace("b-w");
  return new Uint8Array(await image.jpeg(options).toBuffer());
}

/** Where marker `marker` (0xFF then this byte) first starts. */
function markerAt(bytes: Uint8Array, marker: number): number {
  return bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === marker);
}

/** The bytes without their DQT segments. */
function withoutDqt(bytes: Uint8Array): Uint8Array {
  let out = bytes;
  for (let at = markerAt(out, 0xdb); at >= 0; at = markerAt(out, 0xdb)) {
    const length = ((out[at + 2] as number) << 8) | (out[at + 3] as number);
    out = Uint8Array.of(...out.subarray(0, at), ...out.subarray(at + 2 + length));
  }
  return out;
}

function grey(width: number, height: number, value: (x: number, y: number) => number): PixelImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = value(x, y);
  return { data, width, height, channels: 1 };
}

describe("jpegCompression", () => {
  it("reports the quality sharp (libjpeg-turbo) was asked for, exactly, at every quality", async () => {
    for (const quality of [1, 2, 10, 24, 25, 49, 50, 51, 80, 99, 100]) {
      expect(jpegCompression(await jpeg({ quality })), `quality ${quality}`).toEqual({
        quality,
        quality_exact: true,
        subsampling: "4:2:0",
        progressive: false,
      });
    }
    expect(jpegCompression(await jpeg({ quality: 80 }, true))).toEqual({
      quality: 80,
      quality_exact: true,
      subsampling: "4:0:0",
      progressive: false,
    });
  });

  it("reads subsampling and progressive from the frame header", async () => {
    expect(jpegCompression(await jpeg({ chromaSubsampling: "4:4:4" })).subsampling).toBe("4:4:4");
    expect(jpegCompression(await jpeg({ progressive: true }))).toMatchObject({ progressive: true, quality: 80 });
  });

  it("gives mozjpeg's tables ImageMagick's estimate, not exact: sharp's mozjpeg 80 is 50, its 50 is 28", async () => {
    expect(jpegCompression(await jpeg({ quality: 80, mozjpeg: true }))).toEqual({
      quality: 50,
      quality_exact: false,
      subsampling: "4:2:0",
      progressive: true,
    });
    expect(jpegCompression(await jpeg({ quality: 50, mozjpeg: true }))).toMatchObject({
      quality: 28,
      quality_exact: false,
    });
  });

  it("gives nulls for what is not a readable 8-bit DCT JPEG, and never throws", async () => {
    const good = await jpeg({ quality: 75 });
    expect(jpegCompression(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))).toEqual(NULLS);
    expect(jpegCompression(new Uint8Array(0))).toEqual(NULLS);
    expect(jpegCompression(good.subarray(0, markerAt(good, 0xc0) + 6))).toEqual(NULLS); // truncated in SOF0
    const twelveBit = good.slice();
    twelveBit[markerAt(twelveBit, 0xc0) + 4] = 12;
    expect(jpegCompression(twelveBit)).toEqual(NULLS);
    const lossless = good.slice();
    lossless[markerAt(lossless, 0xc0) + 1] = 0xc3;
    expect(jpegCompression(lossless)).toEqual(NULLS);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(good.length - 1), fc.nat(255), (noise, at, value) => {
        const edited = good.slice();
        edited[at] = value;
        jpegCompression(noise);
        jpegCompression(Uint8Array.of(0xff, 0xd8, ...noise));
        const got = jpegCompression(edited);
        expect(got.quality === null || (got.quality >= 1 && got.quality <= 100)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("has no quality without a quantisation table, but still its subsampling", async () => {
    expect(jpegCompression(withoutDqt(await jpeg({ quality: 75 })))).toEqual({
      quality: null,
      quality_exact: null,
      subsampling: "4:2:0",
      progressive: false,
    });
  });

  it("reads 16-bit tables, and recognises libjpeg's unclamped ones", () => {
    // SOI, DQT with table 0 in 16-bit precision (libjpeg's luminance table at quality 5, unclamped), SOF1, SOS.
    const table = standardTable(STD_LUMINANCE_QUANT_TABLE, 5, false);
    expect(Math.max(...table)).toBe(1210);
    const zigzag = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20];
    const rest = [13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52];
    const order = [...zigzag, ...rest, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63];
    const dqt = [
      0xff,
      0xdb,
      0,
      2 + 1 + 128,
      0x10,
      ...order.flatMap((i) => [(table[i] as number) >> 8, (table[i] as number) & 255]),
    ];
    const sof = [0xff, 0xc1, 0, 11, 8, 0, 16, 0, 16, 1, 1, 0x11, 0];
    const bytes = Uint8Array.of(0xff, 0xd8, ...dqt, ...sof, 0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0);
    expect(readJpegCoding(bytes)?.tables[0]).toEqual(table);
    expect(jpegCompression(bytes)).toEqual({
      quality: 5,
      quality_exact: true,
      subsampling: "4:0:0",
      progressive: false,
    });
  });
});

describe("the quality estimate's parts", () => {
  it("scales as libjpeg's jpeg_quality_scaling and jpeg_add_quant_table do", () => {
    expect([1, 10, 25, 49, 50, 75, 100].map(qualityScaling)).toEqual([5000, 500, 200, 102, 100, 50, 0]);
    expect(standardTable(STD_LUMINANCE_QUANT_TABLE, 50, true)).toEqual(STD_LUMINANCE_QUANT_TABLE);
    expect([...standardTable(STD_CHROMINANCE_QUANT_TABLE, 100, true)]).toEqual(new Array(64).fill(1));
    expect([...standardTable(STD_LUMINANCE_QUANT_TABLE, 1, true)]).toEqual(new Array(64).fill(255));
    // 75: (16 × 50 + 50) / 100 = 8.5, truncated to 8; 11 → (550 + 50) / 100 = 6.
    expect([...standardTable(STD_LUMINANCE_QUANT_TABLE, 75, true).subarray(0, 3)]).toEqual([8, 6, 5]);
  });

  it("matches ImageMagick's reference hash and sum at quality 50 and trusts an approximate one from 51", () => {
    const luma = STD_LUMINANCE_QUANT_TABLE;
    const chroma = STD_CHROMINANCE_QUANT_TABLE;
    // 10 + 121 + 17 + 99 = 247 and the sum 9 193: ImageMagick's entries for 50.
    expect(imageMagickQuality([luma, chroma])).toEqual({ quality: 50, reported: true });
    expect(imageMagickQuality([luma])).toEqual({ quality: 50, reported: true });
    expect(imageMagickQuality([undefined, chroma])).toBeNull();
    expect(imageMagickQuality([new Uint16Array(64), new Uint16Array(64)])).toBeNull(); // zeros: finer than 100
    const coarse = Uint16Array.from(luma, (v, i) => (i === 2 ? 200 : v));
    // Its hash 437 first reaches the reference at 29 (424), where its sum 9 383 is far below 15 800: not reported.
    expect(imageMagickQuality([coarse, chroma])).toEqual({ quality: 29, reported: false });
  });

  it("names subsampling from Y's factors over Cb's and Cr's", () => {
    const c = (h: number, v: number) => ({ id: 0, h, v, table: 0 });
    expect(subsamplingOf([c(1, 1)])).toBe("4:0:0");
    expect(subsamplingOf([c(2, 2), c(1, 1), c(1, 1)])).toBe("4:2:0");
    expect(subsamplingOf([c(2, 1), c(1, 1), c(1, 1)])).toBe("4:2:2");
    expect(subsamplingOf([c(1, 2), c(1, 1), c(1, 1)])).toBe("4:4:0");
    expect(subsamplingOf([c(4, 1), c(1, 1), c(1, 1)])).toBe("4:1:1");
    expect(subsamplingOf([c(2, 2), c(2, 2), c(2, 2)])).toBe("4:4:4");
    expect(subsamplingOf([c(1, 1), c(1, 1), c(1, 1), c(1, 1)])).toBe("4:4:4"); // CMYK
    expect(subsamplingOf([c(2, 2), c(1, 1), c(1, 1), c(2, 2)])).toBe("4:2:0"); // YCCK
    expect(subsamplingOf([c(2, 2), c(1, 1), c(2, 1)])).toBe("other"); // Cb and Cr differ
    expect(subsamplingOf([c(4, 2), c(1, 1), c(1, 1)])).toBe("other"); // 4:1:0
    expect(subsamplingOf([c(3, 1), c(2, 1), c(2, 1)])).toBe("other");
    expect(subsamplingOf([c(1, 1), c(1, 1)])).toBe("other");
  });
});

describe("blockiness", () => {
  it("is the boundary step over the interior step: 7 for blocks of a ramp 100…107", () => {
    // Horizontal steps: 1 inside each block (224 pairs), 7 across each boundary (16 pairs); vertical: none,
    // 16 boundary pairs and 224 interior. Means 112 / 32 = 3.5 and 224 / 448 = 0.5.
    const image = grey(16, 16, (x) => 100 + (x % 8));
    expect(blockinessSums(image)).toEqual({
      boundarySum: 16 * 7 * 10_000,
      boundaryPairs: 32,
      interiorSum: 224 * 10_000,
      interiorPairs: 448,
    });
    expect(blockiness(image)).toBe(7);
  });

  it("is about 1 on noise without blocks, and the same transposed, in colour, or with alpha", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const noise = grey(203, 157, () => Math.floor(random() * 256));
    const value = blockiness(noise) ?? Number.NaN;
    expect(Math.abs(value - 1)).toBeLessThan(0.03);
    const transposed = grey(157, 203, (x, y) => noise.data[x * 203 + y] as number);
    expect(blockiness(transposed)).toBe(value);
    const rgb = { ...noise, data: Uint8Array.from([...noise.data].flatMap((v) => [v, v, v])), channels: 3 };
    expect(blockiness(rgb)).toBe(value);
    const rgba = { ...noise, data: Uint8Array.from([...noise.data].flatMap((v) => [v, v, v, 0])), channels: 4 };
    expect(blockiness(rgba)).toBe(value);
  });

  it("weighs red, green and blue as Rec. 709 luma does", () => {
    // Blocks alternating pure red and pure green by column: each boundary step is |2126 − 7152| × 255.
    const data = new Uint8Array(16 * 16 * 3);
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        const o = (y * 16 + x) * 3;
        data[o + (x < 8 ? 0 : 1)] = 255;
        data[o + 2] = x % 8; // a blue ramp inside blocks: 722 per step
      }
    }
    const sums = blockinessSums({ data, width: 16, height: 16, channels: 3 });
    expect(sums?.boundarySum).toBe(16 * Math.abs(2126 * 255 + 722 * 7 - 7152 * 255));
    expect(sums?.interiorSum).toBe(224 * 722);
  });

  it("is null below 16 × 16 px or when the inside of the blocks is flat", () => {
    expect(blockiness(grey(15, 64, (x) => x))).toBeNull();
    expect(blockiness(grey(64, 15, (x) => x))).toBeNull();
    expect(blockiness(grey(16, 16, () => 9))).toBeNull();
    expect(blockiness(grey(16, 16, (x) => (x < 8 ? 0 : 255)))).toBeNull(); // steps only on the boundary
    expect(blockiness(grey(16, 16, (x) => x % 8))).toBe(7);
  });

  it("is 0 when nothing changes across the boundaries", () => {
    const tent = [0, 10, 20, 30, 30, 20, 10, 0];
    expect(blockiness(grey(24, 24, (x, y) => (tent[x % 8] as number) + (tent[y % 8] as number)))).toBe(0);
  });
});

describe("bitsPerPixel and compression", () => {
  it("divides the file's bits by the pixels of all its frames, 3 decimals half away from zero", () => {
    expect(bitsPerPixel(1000, 100, 80, 1)).toBe(1);
    expect(bitsPerPixel(1000, 100, 80, 2)).toBe(0.5);
    expect(bitsPerPixel(1, 16, 1, 1)).toBe(0.5);
    expect(bitsPerPixel(1, 1600, 1, 1)).toBe(0.005); // 0.005 exactly: rounds up
    expect(bitsPerPixel(1, 16_001, 1, 1)).toBe(0);
    expect(() => bitsPerPixel(1, 0, 1, 1)).toThrow(/Expected a positive whole number of pixels/);
  });

  it("assembles the insight: JPEG fields only for JPEGs, blockiness only with the full-resolution pixels", async () => {
    const bytes = await jpeg({ quality: 90, chromaSubsampling: "4:4:4" });
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    const pixels = { data, width: info.width, height: info.height, channels: info.channels };
    const got = compression(bytes, "jpeg", pixels, { width: 64, height: 48, pages: 1 });
    expect(got).toEqual({
      quality: 90,
      quality_exact: true,
      subsampling: "4:4:4",
      progressive: false,
      blockiness: blockiness(pixels),
      bits_per_pixel: bitsPerPixel(bytes.length, 64, 48, 1),
    });
    expect(got.blockiness).toBeGreaterThan(0);
    expect(compression(bytes, "png", null, { width: 64, height: 48, pages: 1 })).toEqual({
      ...NULLS,
      blockiness: null,
      bits_per_pixel: bitsPerPixel(bytes.length, 64, 48, 1),
    });
  });
});
