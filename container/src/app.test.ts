import { describe, expect, it } from "vitest";
import { imageForm, referenceSample, solidJpeg, solidPng } from "../test/images.ts";
import { createApp } from "./app.ts";
import { loadConfig } from "./config.ts";

const app = createApp(loadConfig({}));

async function analyse(form: FormData | undefined) {
  const res = await app.request("/v1/image/analysis", { method: "POST", body: form });
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
    expect(status).toBe(400);
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
