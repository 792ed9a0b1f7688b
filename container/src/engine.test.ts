/**
 * The v3 insights through the container's HTTP surface, on real files of every format: each answer fits the
 * contract, and the facts a file states come back (GPS and serial number as privacy, an animation's frames and
 * delays, real transparency, a JPEG's quality), crop boxes in the oriented image's pixels, the same picture
 * re-encoded keeps its perceptual hash while its SHA-256 changes.
 */
import { createHash } from "node:crypto";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { hammingDistance, NEAR_DUPLICATE_MAX_DISTANCE } from "../../contract/hamming.ts";
import { type AnalysisResponseBody, AnalysisResponseSchema } from "../../contract/schemas.ts";
import { imageForm, referenceSample } from "../test/images.ts";
import { createApp } from "./app.ts";
import { loadConfig } from "./config.ts";

const app = createApp(loadConfig({}));
const V3 = "compression,noise,hash,metadata,crop,accessibility,thumbhash";

async function analyse(bytes: Uint8Array, type: string, query: string) {
  const res = await app.request(`/v1/image/analysis?${query}`, { method: "POST", body: imageForm(bytes, type) });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status === 200) {
    const parsed = AnalysisResponseSchema.safeParse(body);
    expect(parsed.success, parsed.error?.message).toBe(true);
  }
  // A refusal's envelope is read through `detail`; an answer through its fields (absent ones fail the assertions).
  return { status: res.status, body: body as Required<AnalysisResponseBody> & { detail?: unknown } };
}

const photo = referenceSample("sample2-536x354.jpg");

describe("metrics=all on every format", () => {
  it.each([
    ["jpeg", () => sharp(photo).jpeg({ quality: 60, mozjpeg: false }).toBuffer(), "image/jpeg"],
    ["png with alpha", () => sharp(photo).ensureAlpha(0.5).png().toBuffer(), "image/png"],
    ["webp", () => sharp(photo).webp({ quality: 70 }).toBuffer(), "image/webp"],
    ["avif", () => sharp(photo).resize(128).avif({ quality: 50 }).toBuffer(), "image/avif"],
    ["gif", () => sharp(photo).resize(64).gif().toBuffer(), "image/gif"],
    [
      "1×1 png",
      () =>
        sharp({ create: { width: 1, height: 1, channels: 3, background: "#336699" } })
          .png()
          .toBuffer(),
      "image/png",
    ],
  ] as const)("answers %s with every v3 object the contract allows", async (_, make, type) => {
    const bytes = new Uint8Array(await make());
    const { status, body } = await analyse(bytes, type, "metrics=all");
    expect(status).toBe(200);
    for (const field of ["compression", "hash", "metadata", "crop", "accessibility", "thumbhash"]) {
      expect(body[field as keyof AnalysisResponseBody], field).toBeDefined();
    }
    expect(body.hash.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(body.compression.quality === null).toBe(type !== "image/jpeg");
    expect(body.compression.bits_per_pixel).toBeCloseTo((bytes.length * 8) / (body.width * body.height), 3);
    // Noise needs 3 × 3 pixels: a 1 × 1 image has none to give.
    expect(body.noise === undefined).toBe(body.width < 3);
  });
});

describe("v3 facts of a file", () => {
  it("names what a photo reveals (GPS position, serial number, owner) without echoing it", async () => {
    const bytes = new Uint8Array(
      await sharp(photo)
        .withExif({
          IFD0: { Make: "Canon", Model: "EOS R5", Artist: "Jane Doe" },
          IFD2: { DateTimeOriginal: "2024:05:01 10:11:12", BodySerialNumber: "0123456789" },
          IFD3: {
            GPSLatitudeRef: "N",
            GPSLatitude: "48/1 51/1 2400/100",
            GPSLongitudeRef: "E",
            GPSLongitude: "2/1 17/1 4000/100",
          },
        })
        .jpeg({ quality: 80, mozjpeg: false })
        .toBuffer(),
    );
    const { body } = await analyse(bytes, "image/jpeg", "metrics=metadata,compression");
    expect(body.metadata.exif).toMatchObject({ make: "Canon", model: "EOS R5", taken_at: "2024-05-01T10:11:12" });
    expect(body.metadata.gps).toBe(true);
    expect([...body.metadata.privacy].sort()).toEqual(["location", "owner", "serial_number"]);
    const text = JSON.stringify(body);
    for (const secret of ["0123456789", "Jane Doe", "48"]) expect(text.includes(`"${secret}`)).toBe(false);
    expect(body.compression).toMatchObject({
      quality: 80,
      quality_exact: true,
      subsampling: "4:2:0",
      progressive: false,
    });
  });

  it("gives an animation's frames, loop and delays, and whether alpha is really used", async () => {
    const frame = (background: string) =>
      sharp({ create: { width: 16, height: 16, channels: 4, background } })
        .png()
        .toBuffer();
    const frames = await Promise.all(["#ff000080", "#00ff00ff", "#0000ffff"].map(frame));
    const animation = () => sharp(frames, { join: { animated: true } });
    const webp = new Uint8Array(
      await animation()
        .webp({ loop: 2, delay: [40, 50, 60], lossless: true })
        .toBuffer(),
    );
    const { status, body } = await analyse(webp, "image/webp", "metrics=metadata");
    expect(status).toBe(200);
    expect(body.metadata).toMatchObject({
      pages: 3,
      animation: { loop: 2, duration_ms: 150, delays_ms: [40, 50, 60] },
      alpha: true,
      alpha_used: true,
    });
    const gif = new Uint8Array(
      await animation()
        .gif({ loop: 0, delay: [100, 200, 300] })
        .toBuffer(),
    );
    expect((await analyse(gif, "image/gif", "metrics=metadata")).body.metadata).toMatchObject({
      pages: 3,
      animation: { loop: 0, duration_ms: 600, delays_ms: [100, 200, 300] },
    });
    // Flattened onto background=, the analysed pixels are opaque: alpha_used still says what the file does.
    const flattened = await analyse(webp, "image/webp", "metrics=metadata&background=ffffff");
    expect(flattened.body.metadata).toMatchObject({ alpha: true, alpha_used: true });
    const opaque = new Uint8Array(await sharp(photo).ensureAlpha(1).png().toBuffer());
    const still = await analyse(opaque, "image/png", "metrics=metadata");
    const stillFlattened = await analyse(opaque, "image/png", "metrics=metadata&background=000000");
    expect(stillFlattened.body.metadata).toMatchObject({ alpha: true, alpha_used: false });
    expect(still.body.metadata).toMatchObject({
      alpha: true,
      alpha_used: false,
      pages: 1,
      animation: null,
      exif: null,
      gps: false,
      privacy: [],
    });
  });

  it("places crop boxes in the oriented image's pixels, of the ratio asked for", async () => {
    // Stored 536 × 354, EXIF orientation 6: people see it 354 wide and 536 tall.
    const turned = new Uint8Array(await sharp(photo).withMetadata({ orientation: 6 }).jpeg().toBuffer());
    const { body } = await analyse(turned, "image/jpeg", "metrics=crop&crop=1:1,9:16");
    expect(body).toMatchObject({ oriented_width: 354, oriented_height: 536 });
    expect(body.crop["1:1"]).toMatchObject({ left: 0, width: 354, height: 354 });
    const [square, tall] = [body.crop["1:1"], body.crop["9:16"]];
    expect(tall?.height).toBe(536);
    expect(Math.abs((tall?.width ?? 0) - Math.round((536 * 9) / 16))).toBeLessThanOrEqual(1);
    expect((square?.top ?? Number.NaN) + 354).toBeLessThanOrEqual(536);
  });

  it("keeps a re-encoded, resized copy's perceptual hash within the near-duplicate distance", async () => {
    const copy = new Uint8Array(await sharp(photo).resize(268).jpeg({ quality: 40 }).toBuffer());
    const [a, b] = await Promise.all([
      analyse(photo, "image/jpeg", "metrics=hash"),
      analyse(copy, "image/jpeg", "metrics=hash"),
    ]);
    expect(a.body.hash.sha256).not.toBe(b.body.hash.sha256);
    expect(hammingDistance(a.body.hash.perceptual, b.body.hash.perceptual)).toBeLessThanOrEqual(
      NEAR_DUPLICATE_MAX_DISTANCE,
    );
    const other = new Uint8Array(await sharp(referenceSample("sample1-536x354-grayscale.jpg")).toBuffer());
    const c = await analyse(other, "image/jpeg", "metrics=hash");
    expect(hammingDistance(a.body.hash.perceptual, c.body.hash.perceptual)).toBeGreaterThan(
      NEAR_DUPLICATE_MAX_DISTANCE,
    );
  });

  it("refuses a bad crop= in words before decoding", async () => {
    const { status, body } = await analyse(photo, "image/jpeg", "metrics=crop&crop=0:1");
    expect(status).toBe(400);
    expect(body.detail).toMatchObject({ code: "invalid_crop", error: "Invalid crop requested", received: "0:1" });
  });

  it("measures noise at full resolution, where the 512-px copy would hide it", async () => {
    const size = 1024;
    const raw = Buffer.alloc(size * size);
    let seed = 1;
    for (let i = 0; i < raw.length; i++) {
      // A flat grey with ±10 uniform noise (σ = 20 / √12 ≈ 5.8), from a seeded generator.
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      raw[i] = 128 + Math.round(((seed / 2 ** 31) * 2 - 1) * 10);
    }
    const png = new Uint8Array(
      await sharp(raw, { raw: { width: size, height: size, channels: 1 } })
        .png()
        .toBuffer(),
    );
    const { body } = await analyse(png, "image/png", `metrics=${V3}`);
    expect(body.noise).toMatchObject({ measured_width: size, measured_height: size });
    expect(Math.abs(body.noise.sigma - 20 / Math.sqrt(12))).toBeLessThan(0.6);
  });
});
