/**
 * Golden values of `compression`: JPEGs written by cjpeg (libjpeg-turbo) and Pillow, their quality, sampling
 * factors and interlace as ImageMagick's identify reports them, and their blockiness by numpy on the pixels Pillow
 * decodes (golden-v3/compression/make_golden.py; the decoded pixels' sha256 is checked first, so both sides
 * measure the same pixels). docs/METRICS.md lists the tolerances.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { blockiness, jpegCompression } from "../src/metrics/compression.ts";
import { referenceSample } from "./images.ts";

/**
 * numpy's ratio is a float; ours is rounded half away from zero to 3 decimals from the exact integer sums: half a
 * unit of the last place, and a little for numpy's float means.
 */
const BLOCKINESS_TOLERANCE = 0.0005 + 1e-9;
/** identify's %Q when ImageMagick's estimate is below 51 and not within its reference sums: "unknown". */
const IDENTIFY_UNKNOWN_QUALITY = 92;

interface GoldenImage {
  file: string;
  made_with: string;
  libjpeg_quality: number | null;
  identify_quality: number;
  /** ImageMagick's estimate from its coder log, before %Q turns an untrusted one into 92. */
  identify_estimate: { quality: number; kind: "exact" | "approximate" };
  identify_sampling_factor: string;
  subsampling: string;
  progressive: boolean;
  standard_quality: number | null;
  blockiness: number | null;
  decoded_sha256: string;
}
interface GoldenSweep {
  kind: "colour" | "grey";
  offset: number;
  length: number;
  libjpeg_quality: number;
  identify_quality: number;
  identify_sampling_factor: string;
}
const golden = JSON.parse(readFileSync(new URL("./golden-v3/compression/values.json", import.meta.url), "utf8")) as {
  images: GoldenImage[];
  sweep: GoldenSweep[];
};

function bytesOf(file: string): Uint8Array {
  if (file.startsWith("reference:")) return referenceSample(file.slice("reference:".length));
  return new Uint8Array(readFileSync(new URL(`./golden-v3/compression/${file}`, import.meta.url)));
}

describe("compression against ImageMagick, cjpeg and numpy", () => {
  it("gives identify's %Q on libjpeg's tables at every quality 1–100, colour and grey, and calls them exact", () => {
    const all = new Uint8Array(readFileSync(new URL("./golden-v3/compression/sweep.jpegs", import.meta.url)));
    expect(golden.sweep).toHaveLength(200);
    for (const entry of golden.sweep) {
      const got = jpegCompression(all.subarray(entry.offset, entry.offset + entry.length));
      const name = `${entry.kind} ${entry.libjpeg_quality}`;
      expect(entry.identify_quality, name).toBe(entry.libjpeg_quality);
      expect(got, name).toEqual({
        quality: entry.identify_quality,
        quality_exact: true,
        subsampling: entry.kind === "grey" ? "4:0:0" : "4:2:0",
        progressive: false,
      });
    }
  });

  it("gives ImageMagick's estimate on each fixture, libjpeg's quality where the tables are its, exact only then", () => {
    for (const image of golden.images) {
      const got = jpegCompression(bytesOf(image.file));
      const want = image.standard_quality ?? image.identify_estimate.quality;
      expect(got.quality, image.file).toBe(want);
      if (image.identify_quality !== want) {
        // identify prints 92 for an estimate below 51 that is not within its reference sums: mozjpeg's tables at
        // 50, libjpeg's 16-bit tables (cjpeg without -baseline, below quality 25).
        expect(image.identify_quality, image.file).toBe(IDENTIFY_UNKNOWN_QUALITY);
        expect(image.identify_estimate.kind === "approximate" && image.identify_estimate.quality < 51).toBe(true);
      }
      expect(got.quality_exact, image.file).toBe(image.standard_quality !== null);
      expect(got.subsampling, image.file).toBe(image.subsampling);
      expect(got.progressive, image.file).toBe(image.progressive);
    }
  });

  it("measures numpy's blockiness on the very pixels Pillow decoded", async () => {
    for (const image of golden.images) {
      // sharp gives a grey JPEG as three equal channels: one of them is the grey Pillow decodes.
      const decoder = sharp(bytesOf(image.file));
      if (image.subsampling === "4:0:0") decoder.extractChannel(0);
      const { data, info } = await decoder.raw().toBuffer({ resolveWithObject: true });
      expect(createHash("sha256").update(data).digest("hex"), `${image.file}: sharp decodes what Pillow does`).toBe(
        image.decoded_sha256,
      );
      const got = blockiness({ data, width: info.width, height: info.height, channels: info.channels });
      if (image.blockiness === null) expect(got, image.file).toBeNull();
      else
        expect(Math.abs((got ?? Number.NaN) - image.blockiness), image.file).toBeLessThanOrEqual(BLOCKINESS_TOLERANCE);
    }
  });

  it("finds blocking where compression is coarse: blockiness falls as the quality rises", () => {
    const at = (q: number) => golden.images.find((i) => i.file === `jpeg/q${q}-420.jpg`)?.blockiness ?? Number.NaN;
    expect(at(10)).toBeGreaterThan(at(25));
    expect(at(25)).toBeGreaterThan(at(50));
    expect(at(50)).toBeGreaterThan(at(75));
    expect(at(75)).toBeGreaterThan(at(95));
  });
});
