/**
 * Golden values of `metadata`: small files written by ImageMagick, img2webp and exiftool, and how exiftool,
 * ImageMagick's identify and libwebp's webpmux read them (golden-v3/metadata/make_golden.py), against what
 * readFileFacts (sharp) and metadata() (exifr) report. Strings equal, numbers within 1e-6, dates equal, GPS presence
 * and the privacy list equal; docs/METRICS.md lists the tolerances.
 */
import { readdirSync, readFileSync } from "node:fs";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { readFileFacts } from "../src/decode.ts";
import { anyTransparent, type Metadata, metadata } from "../src/metrics/metadata.ts";

/** exiftool's rationals and ours are the same quotient: only the print differs. */
const NUMBER_TOLERANCE = 1e-6;
/** DPI is reported to 2 decimals (pHYs' 11811 px/m is 299.9994 dpi: 300). */
const DPI_TOLERANCE = 0.005;

// biome-ignore lint/suspicious/noExplicitAny: the JSON written by make_golden.py
type Json = any;
const DIR = new URL("./golden-v3/metadata/", import.meta.url);
const golden = JSON.parse(readFileSync(new URL("values.json", DIR), "utf8")) as Json;
const names = Object.keys(golden.files);

async function analyse(name: string): Promise<{ bytes: Uint8Array; result: Metadata }> {
  const bytes = new Uint8Array(readFileSync(new URL(`files/${name}`, DIR)));
  const facts = await readFileFacts(bytes);
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  const pixels = { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels };
  return { bytes, result: await metadata(bytes, facts, anyTransparent(pixels)) };
}

/** exiftool's "2024:05:06 07:08:09" and "+02:00" as the API writes them. */
function isoDate(date: string | undefined, offset: string | undefined): string | null {
  if (date === undefined) return null;
  const [day, time] = date.split(" ") as [string, string];
  return `${day.replaceAll(":", "-")}T${time}${offset ?? ""}`;
}

/** The reference's DPI and the tolerance it allows: EXIF's resolution, else identify's (a unit stated), else null. */
function referenceDpi(entry: Json): [number | null, number] {
  const { XResolution, ResolutionUnit } = entry.exiftool;
  if (XResolution !== undefined && (ResolutionUnit ?? 2) !== 1) {
    return [ResolutionUnit === 3 ? XResolution * 2.54 : XResolution, DPI_TOLERANCE];
  }
  const { x, units } = entry.identify;
  if (units === "PixelsPerInch") return [x, DPI_TOLERANCE];
  if (units === "PixelsPerCentimeter") return [x * 2.54, DPI_TOLERANCE];
  return [null, 0];
}

/** libvips' names for ImageMagick's colour spaces, by bits per sample. */
function referenceSpace(entry: Json): string | undefined {
  const { colorspace, depth } = entry.identify;
  if (colorspace === "sRGB") return depth === 16 ? "rgb16" : "srgb";
  if (colorspace === "Gray") return depth === 16 ? "grey16" : "b-w";
  if (colorspace === "CMYK") return "cmyk";
  return undefined; // AVIF: identify says YCbCr, the coding, not the colour space libvips reports
}

/** Bits per sample as stored: PNG's and GIF's own field (a palette's index bits), JPEG's, else identify's. */
function referenceDepth(entry: Json): number {
  const t = entry.exiftool;
  return (
    t.BitDepth ??
    t.BitsPerPixel ??
    t.BitsPerSample ??
    Number(String(t.ImagePixelDepth ?? "").split(" ")[0] || entry.identify.depth)
  );
}

/** Channels as stored: ImageMagick's channel names ("srgba": 4), or AVIF's pixel depths listed per channel. */
function referenceChannels(entry: Json): number {
  if (entry.exiftool.ImagePixelDepth !== undefined) return String(entry.exiftool.ImagePixelDepth).split(" ").length;
  return { gray: 1, graya: 2, srgb: 3, srgba: 4, cmyk: 4, cmyka: 5 }[entry.identify.channels as string] ?? Number.NaN;
}

function referencePrivacy(t: Json): string[] {
  const list: string[] = [];
  if (t.GPSLatitude !== undefined && t.GPSLongitude !== undefined) list.push("location");
  if (t.SerialNumber !== undefined || t.LensSerialNumber !== undefined) list.push("serial_number");
  if (t.Artist !== undefined || t.OwnerName !== undefined || t.Creator !== undefined || t["By-line"] !== undefined) {
    list.push("owner");
  }
  if (t.ImageUniqueID !== undefined) list.push("unique_id");
  return list;
}

describe("metadata against exiftool, identify and webpmux", () => {
  it("covers every file make_golden.py wrote, and no other", () => {
    const files = readdirSync(new URL("files/", DIR)).sort();
    expect(files).toEqual([...names].sort());
    expect(names.length).toBeGreaterThanOrEqual(14);
  });

  it.each(names)("%s: the camera facts, their date, GPS presence and privacy are exiftool's", async (name) => {
    const entry = golden.files[name];
    const t = entry.exiftool;
    const { result } = await analyse(name);
    expect(result.gps).toBe(t.GPSLatitude !== undefined && t.GPSLongitude !== undefined);
    expect(result.privacy).toEqual(referencePrivacy(t));
    if (!entry.has_exif) {
      expect(result.exif).toBeNull();
      return;
    }
    const exif = result.exif as NonNullable<Metadata["exif"]>;
    expect(exif).not.toBeNull();
    expect(exif.make).toBe(t.Make ?? null);
    expect(exif.model).toBe(t.Model ?? null);
    expect(exif.lens).toBe(t.LensModel ?? null);
    expect(exif.software).toBe(t.Software ?? null);
    expect(exif.taken_at).toBe(isoDate(t.DateTimeOriginal, t.OffsetTimeOriginal));
    const numbers: [number | null, number | undefined][] = [
      [exif.exposure_time_s, t.ExposureTime],
      [exif.f_number, t.FNumber],
      [exif.iso, t.ISO],
      [exif.focal_length_mm, t.FocalLength],
    ];
    for (const [ours, theirs] of numbers) {
      if (theirs === undefined) expect(ours).toBeNull();
      else expect(Math.abs((ours as number) - theirs)).toBeLessThanOrEqual(NUMBER_TOLERANCE);
    }
  });

  it.each(names)("%s: space, depth, channels, profile, DPI, orientation and alpha are the file's", async (name) => {
    const entry = golden.files[name];
    const t = entry.exiftool;
    const { result } = await analyse(name);
    const space = referenceSpace(entry);
    if (space !== undefined) expect(result.space).toBe(space);
    expect(result.depth).toBe(referenceDepth(entry));
    expect(result.channels).toBe(referenceChannels(entry));
    // exiftool keeps a description's trailing spaces ("… A98 ICC Profile "); the API trims them.
    expect(result.icc).toBe(t.ProfileDescription?.trim() ?? null);
    const [dpi, tolerance] = referenceDpi(entry);
    if (dpi === null) expect(result.dpi).toBeNull();
    else expect(Math.abs((result.dpi as number) - dpi)).toBeLessThanOrEqual(tolerance);
    expect(result.orientation).toBe(t.Orientation ?? 1);
    expect(result.alpha).toBe(entry.identify.channels.endsWith("a"));
    expect(result.alpha_used).toBe(!entry.identify.opaque);
  });

  it.each(names)("%s: frames, loop and delays are identify's, webpmux's and exiftool's", async (name) => {
    const entry = golden.files[name];
    const { result } = await analyse(name);
    const delays = (entry.identify.delays_cs as number[]).map((cs) => cs * 10);
    expect(result.pages).toBe(delays.length);
    if (delays.length === 1) {
      expect(result.animation).toBeNull();
      return;
    }
    // GIF's Netscape count is of repeats after the first play (exiftool's AnimationIterations); 0 is forever.
    const iterations = entry.exiftool.AnimationIterations;
    const loop = entry.webpmux?.loop ?? (iterations === 0 ? 0 : iterations + 1);
    expect(result.animation).toEqual({
      loop,
      delays_ms: entry.webpmux?.durations_ms ?? delays,
      duration_ms: delays.reduce((sum, d) => sum + d, 0),
    });
  });

  it("the files reveal what they were written with: a spot check of the reference itself", () => {
    const camera = golden.files["camera.jpg"].exiftool;
    expect(camera.ExposureTime).toBe(0.004);
    expect(camera.OffsetTimeOriginal).toBe("+02:00");
    expect(golden.files["anim.webp"].webpmux).toEqual({ loop: 4, durations_ms: [100, 250, 40] });
    expect(golden.files["anim.gif"].exiftool.AnimationIterations).toBe(1); // ImageMagick's -loop 2
  });
});
