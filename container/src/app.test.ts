import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { greyPng, imageForm, referenceSample, solidJpeg, solidPng } from "../test/images.ts";
import { createApp } from "./app.ts";
import { loadConfig } from "./config.ts";

const app = createApp(loadConfig({}));

async function analyse(form: FormData | undefined, query = "") {
  const res = await app.request(`/v1/image/analysis${query}`, { method: "POST", body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe("GET /health and GET /", () => {
  it("answers healthy with the service name and package version", async () => {
    for (const path of ["/health", "/"]) {
      const res = await app.request(path);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "healthy", service: "image-insights-api", version: "2.0.0" });
    }
  });
});

describe("POST /v1/image/analysis", () => {
  it("scores pure white 100 with average 255", async () => {
    const { status, body } = await analyse(imageForm(await solidPng(16, 16, [255, 255, 255])));
    expect(status).toBe(200);
    expect(body).toMatchObject({ brightness_score: 100, average_luminance: 255, algorithm: "rec709" });
  });

  it("scores pure black 0", async () => {
    const { body } = await analyse(imageForm(await solidPng(16, 16, [0, 0, 0])));
    expect(body).toMatchObject({ brightness_score: 0, average_luminance: 0 });
  });

  it("gives RGB (100,100,100) an average of 100.00 and mid-grey 128 a score of 50", async () => {
    expect((await analyse(imageForm(await solidPng(10, 10, [100, 100, 100])))).body.average_luminance).toBe(100);
    expect((await analyse(imageForm(await solidPng(10, 10, [128, 128, 128])))).body.brightness_score).toBe(50);
  });

  it("ranks pure green above pure red above pure blue", async () => {
    const score = async (rgb: [number, number, number]) =>
      (await analyse(imageForm(await solidPng(8, 8, rgb)))).body.average_luminance as number;
    const [red, green, blue] = [await score([255, 0, 0]), await score([0, 255, 0]), await score([0, 0, 255])];
    expect(green).toBeGreaterThan(red);
    expect(red).toBeGreaterThan(blue);
    expect(red).toBeCloseTo(54.21, 1);
  });

  it("reports the size of the image as stored, not the analysed thumbnail", async () => {
    const { body } = await analyse(imageForm(await solidJpeg(2000, 1500, [50, 60, 70]), "image/jpeg"));
    expect(body).toMatchObject({ width: 2000, height: 1500 });
  });

  it("matches the reference service on sample2 (score 57, average 146.28 ± 0.15)", async () => {
    const { body } = await analyse(imageForm(referenceSample("sample2-536x354.jpg"), "image/jpeg"));
    expect(body.brightness_score).toBe(57);
    expect(Math.abs((body.average_luminance as number) - 146.28)).toBeLessThanOrEqual(0.15);
    expect(body).toMatchObject({ width: 536, height: 354 });
    expect(body.processing_time_ms).toBeGreaterThan(0);
  });

  it("answers only the groups asked for, and always the image's facts", async () => {
    const png = await solidPng(20, 10, [128, 128, 128]);
    const { body } = await analyse(imageForm(png), "?metrics=median");
    expect(body).toEqual({
      median_luminance: 128,
      width: 20,
      height: 10,
      algorithm: "rec709",
      cached: false,
      processing_time_ms: expect.any(Number),
      format: "png",
      oriented_width: 20,
      oriented_height: 10,
      analysed_width: 20,
      analysed_height: 10,
    });
    const all = await analyse(imageForm(png), "?metrics=brightness,median,histogram&edge_mode=all");
    expect(Object.keys(all.body).slice(0, 7)).toEqual([
      "brightness_score",
      "average_luminance",
      "median_luminance",
      "histogram",
      "edge_brightness_score",
      "edge_average_luminance",
      "edge_mode",
    ]);
  });

  it("gives edge numbers whatever metrics says", async () => {
    const { body } = await analyse(
      imageForm(await solidPng(20, 10, [255, 255, 255])),
      "?metrics=median&edge_mode=TOP_BOTTOM",
    );
    expect(body).toMatchObject({ edge_brightness_score: 100, edge_average_luminance: 255, edge_mode: "top_bottom" });
    expect(body).not.toHaveProperty("brightness_score");
  });

  it("is deterministic: the same bytes give the same numbers", async () => {
    const png = await greyPng(64, 48, (x, y) => (x * 3 + y * 5) % 256);
    const query = "?metrics=brightness,median,histogram&edge_mode=all";
    const strip = (b: Record<string, unknown>) => ({ ...b, processing_time_ms: 0 });
    const first = strip((await analyse(imageForm(png), query)).body);
    for (let i = 0; i < 3; i++) expect(strip((await analyse(imageForm(png), query)).body)).toEqual(first);
  });

  it("weights by opacity: transparent regions do not count, background= flattens instead", async () => {
    // Left half opaque white, right half fully transparent black.
    const raw = Buffer.alloc(10 * 10 * 4);
    for (let i = 0; i < 100; i++) raw.set(i % 10 < 5 ? [255, 255, 255, 255] : [0, 0, 0, 0], i * 4);
    const png = new Uint8Array(
      await sharp(raw, { raw: { width: 10, height: 10, channels: 4 } })
        .png()
        .toBuffer(),
    );
    expect((await analyse(imageForm(png))).body).toMatchObject({ brightness_score: 100, average_luminance: 255 });
    const onBlack = await analyse(imageForm(png), "?background=000000");
    expect(onBlack.body).toMatchObject({ brightness_score: 50, average_luminance: 127.5 });
  });

  it("answers an image with no visible pixel with 422 and a way out", async () => {
    const clear = await sharp({
      create: { width: 4, height: 4, channels: 4, background: { r: 9, g: 9, b: 9, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const { status, body } = await analyse(imageForm(new Uint8Array(clear)));
    expect(status).toBe(422);
    expect(body).toMatchObject({ detail: { error: "Image has no visible pixels", code: "no_opaque_pixels" } });
    expect((await analyse(imageForm(new Uint8Array(clear)), "?background=ffffff")).status).toBe(200);
  });

  it("reads the format from the bytes: a JPEG labelled image/png is analysed", async () => {
    const jpeg = await solidJpeg(8, 8, [255, 255, 255]);
    const { status, body } = await analyse(imageForm(jpeg, "image/png"));
    expect(status).toBe(200);
    expect(body.format).toBe("jpeg");
  });

  it.each([
    ["SVG", new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'), "image/png"],
    ["PDF", new TextEncoder().encode("%PDF-1.4\n1 0 obj"), "image/jpeg"],
  ])("refuses %s bytes with 415 whatever the label", async (_, bytes, label) => {
    const { status, body } = await analyse(imageForm(bytes, label));
    expect(status).toBe(415);
    expect(body).toMatchObject({ detail: { error: "Unsupported image type", code: "unsupported_media_type" } });
  });

  it("refuses TIFF bytes with 415", async () => {
    const tiff = new Uint8Array(
      await sharp({ create: { width: 4, height: 4, channels: 3, background: "#000" } })
        .tiff()
        .toBuffer(),
    );
    expect((await analyse(imageForm(tiff, "image/tiff"))).status).toBe(415);
    expect((await analyse(imageForm(tiff, "image/jpeg"))).status).toBe(415);
  });

  it("answers bytes of no known format with 400 when labelled an image type, 415 otherwise", async () => {
    const junk = new TextEncoder().encode("definitely not pixels");
    expect((await analyse(imageForm(junk, "image/gif"))).body).toMatchObject({
      detail: { error: "Invalid or corrupted image file", code: "invalid_image" },
    });
    expect((await analyse(imageForm(junk, "text/plain"))).status).toBe(415);
  });

  it("puts the brightness family on the scale asked for, and says which", async () => {
    // Mid-grey 128: luma 128 (score 50), relative luminance 21.59 % (score 22), L* 53.59 (score 54).
    const grey = imageForm(await solidPng(8, 8, [128, 128, 128]));
    const query = "metrics=brightness,median,histogram&edge_mode=all";
    const on = async (algorithm: string) => (await analyse(grey, `?${query}&algorithm=${algorithm}`)).body;
    expect(await on("rec709")).toMatchObject({ algorithm: "rec709", brightness_score: 50, average_luminance: 128 });
    const luminance = await on("LUMINANCE");
    expect(luminance).toMatchObject({
      algorithm: "luminance",
      brightness_score: 22,
      average_luminance: 21.59,
      median_luminance: 21.59,
      edge_brightness_score: 22,
      edge_average_luminance: 21.59,
    });
    expect(luminance.histogram).toEqual(
      Array.from({ length: 10 }, (_, i) => ({ range: `${i * 10}-${i * 10 + 10}`, percent: i === 2 ? 100 : 0 })),
    );
    expect(await on("lstar")).toMatchObject({ algorithm: "lstar", brightness_score: 54, average_luminance: 53.59 });
    expect((await analyse(grey, "?algorithm=hsp")).body).toMatchObject({
      detail: { error: "Invalid algorithm requested", code: "invalid_algorithm", received: "hsp" },
    });
  });

  it("answers invalid metrics and edge_mode with the reference's 400s", async () => {
    const png = await solidPng(4, 4, [0, 0, 0]);
    expect((await analyse(imageForm(png), "?metrics=brightness,colour")).body).toMatchObject({
      detail: { error: "Invalid metrics requested", invalid_metrics: ["colour"] },
    });
    expect((await analyse(imageForm(png), "?edge_mode=middle")).body).toMatchObject({
      detail: { error: "Invalid edge_mode requested", received: "middle" },
    });
  });

  it("answers a file over the size limit with the reference's 413", async () => {
    const small = createApp(loadConfig({ MAX_UPLOAD_BYTES: "50000" }));
    const png = await greyPng(200, 200, (x, y) => (x * y) % 256);
    const res = await small.request("/v1/image/analysis", { method: "POST", body: imageForm(png) });
    expect(png.length).toBeGreaterThan(50_000);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      detail: {
        error: "Image exceeds maximum allowed size (48.8KB)",
        code: "payload_too_large",
        max_size_bytes: 50000,
        received_size_bytes: png.length,
      },
    });
  });

  it("answers a missing image field with the reference's 422", async () => {
    const { status, body } = await analyse(new FormData());
    expect(status).toBe(422);
    expect(body).toMatchObject({ detail: [{ type: "missing", loc: ["body", "image"], msg: "Field required" }] });
  });

  it("answers an empty file with 400 Empty image file", async () => {
    const { status, body } = await analyse(imageForm(new Uint8Array(0)));
    expect(status).toBe(400);
    expect(body).toMatchObject({ detail: { error: "Empty image file", code: "empty_image" } });
  });

  it("answers bytes that are not an image with 400 and no library text", async () => {
    const { status, body } = await analyse(imageForm(new TextEncoder().encode("hello, not an image")));
    expect(status).toBe(400); // labelled image/png: a broken image, as the reference answers
    expect(body).toMatchObject({ detail: { error: "Invalid or corrupted image file", code: "invalid_image" } });
    expect(JSON.stringify(body)).not.toMatch(/sharp|vips|unsupported image format/i);
  });

  it("echoes a sane X-Request-Id into the header and the error body", async () => {
    const res = await app.request("/v1/image/analysis", {
      method: "POST",
      body: imageForm(new Uint8Array(0)),
      headers: { "X-Request-Id": "abc-123" },
    });
    expect(res.headers.get("X-Request-Id")).toBe("abc-123");
    expect(((await res.json()) as { detail: { request_id: string } }).detail.request_id).toBe("abc-123");
  });
});

describe("GET /health?deep=1", () => {
  it("adds the decode counters, and counts every analysis", async () => {
    const fresh = createApp(loadConfig({ ANALYSIS_CONCURRENCY: "3" }));
    const deep = async () => (await (await fresh.request("/health?deep=1")).json()) as Record<string, unknown>;
    expect(await deep()).toMatchObject({
      status: "healthy",
      analyses_total: 0,
      in_flight: 0,
      queued: 0,
      analysis_concurrency: 3,
    });
    await fresh.request("/v1/image/analysis", { method: "POST", body: imageForm(await solidPng(4, 4, [1, 2, 3])) });
    expect(await deep()).toMatchObject({ analyses_total: 1, in_flight: 0 });
  });
});
