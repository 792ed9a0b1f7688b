import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { ApiError } from "../../contract/errors.ts";
import {
  ADOBE_PRIMARIES,
  greyProfile,
  matrixProfile,
  SRGB_PARA,
  SRGB_PRIMARIES,
  SRGB_TABLE,
} from "../test/icc-profiles.ts";

/** Adobe RGB's curve: a pure gamma of 563/256 (2.2 in 8.8 fixed point). */
const ADOBE_GAMMA = { kind: "gamma", gamma: 563 / 256 } as const;

import { greyPng, orientedPng, referenceSample } from "../test/images.ts";
import { type DecodedImage, type DecodeOptions, decodePixels, readHeader } from "./decode.ts";
import { analyse } from "./metrics/analyse.ts";

/** `readHeader` then `decodePixels`, as the app runs them (with its admission between the two). */
async function decodeForAnalysis(bytes: Uint8Array, options: DecodeOptions): Promise<DecodedImage> {
  return decodePixels(bytes, await readHeader(bytes, options), options);
}

const OPTIONS: DecodeOptions = {
  format: "png",
  maxSidePx: 512,
  maxInputPixels: 50_000_000,
  background: null,
  timeoutS: 10,
};

describe("decodeForAnalysis", () => {
  it("applies EXIF orientations 1–8: every stored variant decodes to the same picture", async () => {
    // 30×20, dark on the left, bright on the right, a white top row: nothing about it is symmetric.
    const picture = await greyPng(30, 20, (x, y) => (y === 0 ? 255 : x * 8));
    const expected = await decodeForAnalysis(picture, OPTIONS);
    for (let orientation = 1; orientation <= 8; orientation++) {
      const stored = await orientedPng(picture, orientation);
      const image = await decodeForAnalysis(stored, OPTIONS);
      expect(image.pixels.data, `orientation ${orientation}`).toEqual(expected.pixels.data);
      expect([image.orientedWidth, image.orientedHeight]).toEqual([30, 20]);
      // The stored size is what the reference reports: turned a quarter for 5–8.
      expect([image.width, image.height]).toEqual(orientation >= 5 ? [20, 30] : [30, 20]);
    }
  });

  it("converts a CMYK JPEG to sRGB through a profile", async () => {
    const cmyk = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 200, b: 200 } } })
      .toColourspace("cmyk")
      .jpeg({ quality: 100 })
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe("cmyk");
    const image = await decodeForAnalysis(new Uint8Array(cmyk), { ...OPTIONS, format: "jpeg" });
    expect(image.pixels.channels).toBe(3);
    // A generic CMYK profile round trip is close, not exact; CMYK read as RGB would be off by ~150.
    for (const v of image.pixels.data.subarray(0, 3)) expect(Math.abs(v - 200)).toBeLessThanOrEqual(20);
  });

  it("scales a 16-bit PNG to 8 bits instead of clipping it", async () => {
    // 16-bit grey 0x4040 is a quarter of full scale: 64 in 8 bits. The reference clips it to 255.
    const grey16 = await sharp({ create: { width: 4, height: 4, channels: 3, background: "#404040" } })
      .toColourspace("grey16")
      .png()
      .toBuffer();
    expect((await sharp(grey16).metadata()).depth).toBe("ushort");
    const image = await decodeForAnalysis(new Uint8Array(grey16), OPTIONS);
    expect([...image.pixels.data.subarray(0, 3)]).toEqual([64, 64, 64]);
  });

  it("keeps alpha for weighting, or flattens onto the background when one is given", async () => {
    const rgba = await sharp({
      create: { width: 2, height: 2, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const kept = await decodeForAnalysis(new Uint8Array(rgba), OPTIONS);
    expect(kept.pixels.channels).toBe(4);
    expect(kept.pixels.data[3]).toBe(0);
    const flat = await decodeForAnalysis(new Uint8Array(rgba), { ...OPTIONS, background: { r: 255, g: 255, b: 255 } });
    expect(flat.pixels.channels).toBe(3);
    expect([...flat.pixels.data.subarray(0, 3)]).toEqual([255, 255, 255]);
  });

  it("shrinks to at most maxSidePx on the longer side, and never enlarges", async () => {
    const big = await greyPng(1200, 300, () => 90);
    expect((await decodeForAnalysis(big, OPTIONS)).pixels).toMatchObject({ width: 512, height: 128 });
    const small = await greyPng(40, 10, () => 90);
    expect((await decodeForAnalysis(small, OPTIONS)).pixels).toMatchObject({ width: 40, height: 10 });
  });

  it("refuses an image whose header claims more pixels than the limit, before decoding", async () => {
    const png = await greyPng(100, 100, () => 0);
    const error = await decodeForAnalysis(png, { ...OPTIONS, maxInputPixels: 9_999 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(422);
    expect((error as ApiError).code).toBe("image_too_large");
  });

  it("refuses bytes the decoder finds to be another format than the magic numbers said", async () => {
    const png = await greyPng(4, 4, () => 0);
    const error = await decodeForAnalysis(png, { ...OPTIONS, format: "jpeg" }).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(400);
  });
});

describe("embedded sRGB profiles", () => {
  /** A 320×240 photo (reference sample 3, resized) stored as a JPEG carrying `profile` (a path or sharp's name). */
  async function photoWithProfile(profile: string): Promise<Uint8Array> {
    const jpeg = await sharp(referenceSample("sample3-color-5000x3330.jpg"))
      .resize(320, 240)
      .withIccProfile(profile)
      .jpeg({ quality: 88 })
      .toBuffer();
    return new Uint8Array(jpeg);
  }

  /** Today's colour-managed decode: LittleCMS converts from the embedded profile to sRGB. */
  async function colourManaged(bytes: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(
      await sharp(bytes, { failOn: "error", autoOrient: true })
        .resize({ width: 512, height: 512, fit: "inside", withoutEnlargement: true })
        .toColourspace("srgb")
        .raw({ depth: "uchar" })
        .toBuffer(),
    );
  }

  it.each([
    ["libvips' own sRGB", () => "srgb"],
    ["HP/Microsoft's table sRGB", () => writeProfile(matrixProfile("sRGB IEC61966-2.1", SRGB_PRIMARIES, SRGB_TABLE))],
    ["a parametric sRGB", () => writeProfile(matrixProfile("sRGB", SRGB_PRIMARIES, SRGB_PARA))],
  ])("%s: skipped, and the pixels equal LittleCMS's within 1 level", async (_name, profile) => {
    const bytes = await photoWithProfile(profile());
    const header = await readHeader(bytes, { format: "jpeg", maxInputPixels: 50_000_000 });
    expect(header.profile).toBe("srgb");
    const fast = (await decodeForAnalysis(bytes, { ...OPTIONS, format: "jpeg" })).pixels.data;
    const managed = await colourManaged(bytes);
    expect(fast.length).toBe(managed.length);
    let worst = 0;
    let total = 0;
    for (let i = 0; i < fast.length; i++) {
      const d = Math.abs((fast[i] as number) - (managed[i] as number));
      worst = Math.max(worst, d);
      total += d;
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(total / fast.length).toBeLessThan(0.05);
    // And the numbers the API reports: the average luma agrees to a hundredth.
    const pixels = { data: managed, width: 320, height: 240, channels: 3 };
    const fastAverage = analyse({ ...pixels, data: fast }, { median: false, histogram: false, edgeMode: null });
    const managedAverage = analyse(pixels, { median: false, histogram: false, edgeMode: null });
    expect(Math.abs(fastAverage.averageLuma - managedAverage.averageLuma)).toBeLessThan(0.01);
  });

  it.each([
    ["Display P3", () => "p3", 600],
    ["Display P3, not resized", () => "p3", 320],
    ["Adobe RGB (1998)", () => writeProfile(matrixProfile("Adobe RGB (1998)", ADOBE_PRIMARIES, ADOBE_GAMMA)), 600],
    [
      "Adobe RGB (1998), shrunk on load",
      () => writeProfile(matrixProfile("Adobe RGB", ADOBE_PRIMARIES, ADOBE_GAMMA)),
      2000,
    ],
  ])("%s: converted here, within tolerance of LittleCMS", async (_name, profile, width) => {
    const bytes = new Uint8Array(
      await sharp(referenceSample("sample3-color-5000x3330.jpg"))
        .resize(width, (width * 3) / 4)
        .withIccProfile(profile())
        .jpeg({ quality: 88 })
        .toBuffer(),
    );
    expect((await readHeader(bytes, { format: "jpeg", maxInputPixels: 50_000_000 })).profile).toBe("matrix");
    await expectNearLittleCms(bytes);
  });

  it("a grey gamma 2.2 profile: converted here, within tolerance of LittleCMS", async () => {
    const bytes = new Uint8Array(
      await sharp(referenceSample("sample1-536x354-grayscale.jpg"))
        .withIccProfile(writeProfile(greyProfile("Gray Gamma 2.2", { kind: "gamma", gamma: 2.2 })))
        .jpeg({ quality: 90 })
        .toBuffer(),
    );
    expect((await readHeader(bytes, { format: "jpeg", maxInputPixels: 50_000_000 })).profile).toBe("matrix");
    await expectNearLittleCms(bytes, 1);
  });

  /**
   * Ours against LittleCMS's (which converts before the resize, we after it: they differ at sharp edges, by a
   * few levels on a few pixels). Measured on these photos: mean difference 0.02–0.32 levels, averages within
   * 0.03 and medians and edge averages within 0.07 of 0–255. A grey picture's median is a whole level: one
   * pixel crossing it moves it by 1.
   */
  async function expectNearLittleCms(bytes: Uint8Array, medianTolerance = 0.1): Promise<void> {
    const ours = (await decodeForAnalysis(bytes, { ...OPTIONS, format: "jpeg" })).pixels;
    const managed = await colourManaged(bytes);
    const pixels = ours.width * ours.height;
    let total = 0;
    for (let i = 0; i < pixels; i++) {
      for (let k = 0; k < 3; k++) {
        total += Math.abs(
          (ours.data[i * ours.channels + Math.min(k, ours.channels - 1)] as number) - (managed[i * 3 + k] as number),
        );
      }
    }
    expect(total / (3 * pixels)).toBeLessThan(0.4);
    const all = { median: true, histogram: true, edgeMode: "all" } as const;
    const a = analyse(ours, all);
    const b = analyse({ data: managed, width: ours.width, height: ours.height, channels: 3 }, all);
    expect(Math.abs(a.averageLuma - b.averageLuma)).toBeLessThan(0.05);
    expect(Math.abs((a.medianLuma as number) - (b.medianLuma as number))).toBeLessThanOrEqual(medianTolerance);
    expect(Math.abs((a.edgeAverageLuma as number) - (b.edgeAverageLuma as number))).toBeLessThan(0.1);
  }
});

const written: string[] = [];
afterAll(() => {
  for (const path of written) rmSync(path, { force: true });
});
/** sharp embeds a profile from a file: write one to the temporary directory. */
function writeProfile(profile: Uint8Array): string {
  const path = join(tmpdir(), `icc-${process.pid}-${written.length}.icc`);
  writeFileSync(path, profile);
  written.push(path);
  return path;
}

describe("grey images", () => {
  it("decode to one channel, with exactly the numbers of their RGB decode", async () => {
    const bytes = referenceSample("sample1-536x354-grayscale.jpg");
    const image = await decodeForAnalysis(bytes, { ...OPTIONS, format: "jpeg" });
    expect(image.pixels.channels).toBe(1);
    const rgb = await sharp(bytes)
      .resize({ width: 512, height: 512, fit: "inside", withoutEnlargement: true })
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(rgb.info.channels).toBe(3);
    const all = { median: true, histogram: true, edgeMode: "all" } as const;
    const grey = analyse(image.pixels, all);
    const colour = analyse({ data: rgb.data, width: rgb.info.width, height: rgb.info.height, channels: 3 }, all);
    expect([grey.averageLuma, grey.medianLuma, grey.edgeAverageLuma]).toEqual([
      colour.averageLuma,
      colour.medianLuma,
      colour.edgeAverageLuma,
    ]);
    expect(grey.histogramPercent).toEqual(colour.histogramPercent);
  });

  it("flattened onto a colour, show that colour through them (not its red value as grey)", async () => {
    // Grey 100 at alpha 0 and at alpha 128, over #ff0000: red, then half grey 100 and half red.
    const raw = Uint8Array.of(100, 0, 100, 128);
    const greyAlpha = await sharp(raw, { raw: { width: 2, height: 1, channels: 2 } })
      .toColourspace("b-w")
      .png()
      .toBuffer();
    expect((await sharp(greyAlpha).metadata()).channels).toBe(2);
    const image = await decodeForAnalysis(new Uint8Array(greyAlpha), {
      ...OPTIONS,
      background: { r: 255, g: 0, b: 0 },
    });
    expect(image.pixels.channels).toBe(3);
    const [r0, g0, b0, r1, g1, b1] = Array.from(image.pixels.data);
    expect([r0, g0, b0]).toEqual([255, 0, 0]);
    // 100 · 128/255 + 255 · 127/255 = 177.2; 100 · 128/255 = 50.2 (libvips rounds either way by one).
    expect(Math.abs((r1 as number) - 177.2)).toBeLessThanOrEqual(1);
    expect(Math.abs((g1 as number) - 50.2)).toBeLessThanOrEqual(1);
    expect(b1).toBe(g1);
  });
});
