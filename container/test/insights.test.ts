/**
 * The v2 insights through the container's HTTP surface (real sharp, the real app): asked for by name or with
 * `all`, absent unless asked for, and right on images whose answers are obvious; and insights() itself, whose
 * shared passes (and the planes it lends crop and the perceptual hashes) must give exactly what each metric's own
 * function gives, v3's included.
 */
import fc from "fast-check";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { EdgeMode, Metric } from "../../contract/analysis.ts";
import { AnalysisResponseSchema } from "../../contract/schemas.ts";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { accessibility } from "../src/metrics/accessibility.ts";
import { contrast } from "../src/metrics/contrast.ts";
import { cropHints } from "../src/metrics/crop.ts";
import { edgeDensity } from "../src/metrics/edge-density.ts";
import { pictureHash } from "../src/metrics/hash.ts";
import { insights } from "../src/metrics/insights.ts";
import { neighbourhood } from "../src/metrics/neighbourhood.ts";
import { placeholder } from "../src/metrics/placeholder.ts";
import { alphaPlane, lumaPlane, type PixelImage } from "../src/metrics/planes.ts";
import { sharpness } from "../src/metrics/sharpness.ts";
import { thumbhash } from "../src/metrics/thumbhash.ts";
import { anyImage } from "./arbitrary-images.ts";
import { goldenImages } from "./golden-v2/pixels.ts";
import { colorfulness } from "./reference/colorfulness.ts";
import { colors } from "./reference/colors.ts";
import { overlayFromPixels } from "./reference/overlay.ts";

const app = createApp(loadConfig({}));

async function analyse(png: Buffer, metrics: string) {
  const form = new FormData();
  form.append("image", new Blob([new Uint8Array(png)], { type: "image/png" }), "t.png");
  const res = await app.request(`/v1/image/analysis?metrics=${metrics}`, { method: "POST", body: form });
  expect(res.status).toBe(200);
  return AnalysisResponseSchema.parse(await res.json());
}

/** A 64×64 PNG: the left half black, the right half white. */
async function halfBlackHalfWhite(): Promise<Buffer> {
  const raw = Buffer.alloc(64 * 64);
  for (let i = 0; i < raw.length; i++) raw[i] = i % 64 < 32 ? 0 : 255;
  return sharp(raw, { raw: { width: 64, height: 64, channels: 1 } })
    .png()
    .toBuffer();
}

describe("the v2 insights", () => {
  it("on a half-black, half-white image: full contrast, clipped both ways, one sharp edge, no colour", async () => {
    const body = await analyse(await halfBlackHalfWhite(), "contrast,sharpness,colorfulness,edge_density");
    expect(body.contrast).toEqual({
      rms: 127.5,
      score: 100,
      p5: 0,
      p95: 255,
      range: 255,
      clipped_shadows_percent: 50,
      clipped_highlights_percent: 50,
    });
    expect(body.colorfulness).toEqual({ value: 0, label: "not colorful" });
    // Only the two columns beside the step see a gradient: 2 of 64 columns.
    expect(body.edge_density).toEqual({ percent: 3.13 });
    // The Laplacian is ±255 on those two columns and 0 elsewhere: variance = 2/64 · 255² (mean 0).
    expect(body.sharpness?.laplacian_variance).toBeCloseTo((2 / 64) * 255 ** 2, 2);
    expect(body.sharpness?.blurry).toBe(false);
  });

  it("on a flat image: no contrast, no edges, a Laplacian of 0, blurry", async () => {
    const flat = await sharp({ create: { width: 20, height: 10, channels: 3, background: { r: 90, g: 120, b: 30 } } })
      .png()
      .toBuffer();
    const body = await analyse(flat, "all");
    expect(body.contrast).toMatchObject({ rms: 0, score: 0, range: 0 });
    expect(body.edge_density).toEqual({ percent: 0 });
    expect(body.sharpness).toEqual({ laplacian_variance: 0, score: 0, blurry: true });
    expect(body.colorfulness?.value).toBeGreaterThan(0);
    expect(body.brightness_score).toBeDefined(); // all includes v1's groups too
  });

  it("are absent unless asked for", async () => {
    const body = await analyse(await halfBlackHalfWhite(), "brightness");
    expect(Object.keys(body)).not.toContain("contrast");
    expect(Object.keys(body)).not.toContain("sharpness");
  });
});

describe("colours, overlay and placeholder", () => {
  /** 40×10: the left three quarters pure red, the rest pure blue. */
  async function redAndBlue(): Promise<Buffer> {
    const raw = Buffer.alloc(40 * 10 * 3);
    for (let i = 0; i < 400; i++) raw.set(i % 40 < 30 ? [255, 0, 0] : [0, 0, 255], i * 3);
    return sharp(raw, { raw: { width: 40, height: 10, channels: 3 } })
      .png()
      .toBuffer();
  }

  it("finds two dominant colours with their shares, names and families", async () => {
    const body = await analyse(await redAndBlue(), "colors");
    expect(body.colors?.dominant).toEqual([
      { hex: "#FF0000", rgb: [255, 0, 0], percent: 75, name: "red", family: "red" },
      { hex: "#0000FF", rgb: [0, 0, 255], percent: 25, name: "blue", family: "blue" },
    ]);
  });

  it("takes colors=1 for one cluster, and refuses colors=11 in the reference's style", async () => {
    const form = new FormData();
    form.append("image", new Blob([new Uint8Array(await redAndBlue())], { type: "image/png" }), "t.png");
    const one = await app.request("/v1/image/analysis?metrics=colors&colors=1", { method: "POST", body: form });
    expect(((await one.json()) as { colors: { dominant: unknown[] } }).colors.dominant).toHaveLength(1);
    const bad = await app.request("/v1/image/analysis?metrics=colors&colors=11", { method: "POST", body: form });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ detail: { code: "invalid_colors", error: "Invalid colors requested" } });
  });

  it("advises black text on white and white text on black, with the WCAG ratios, per band with edge_mode", async () => {
    const white = await sharp({ create: { width: 20, height: 20, channels: 3, background: "#ffffff" } })
      .png()
      .toBuffer();
    const onWhite = await analyse(white, "overlay");
    expect(onWhite.overlay).toEqual({ text_color: "#000000", contrast_ratio: 21, wcag_aa: true, wcag_aa_large: true });
    const form = new FormData();
    form.append("image", new Blob([new Uint8Array(await halfBlackHalfWhite())], { type: "image/png" }), "t.png");
    const res = await app.request("/v1/image/analysis?metrics=overlay&edge_mode=left_right", {
      method: "POST",
      body: form,
    });
    const body = AnalysisResponseSchema.parse(await res.json());
    expect(body.overlay?.bands?.left).toMatchObject({ text_color: "#FFFFFF", contrast_ratio: 21 });
    expect(body.overlay?.bands?.right).toMatchObject({ text_color: "#000000", contrast_ratio: 21 });
  });

  it("gives a BlurHash of 4×3 components", async () => {
    const body = await analyse(await redAndBlue(), "placeholder");
    expect(body.placeholder).toMatchObject({ x_components: 4, y_components: 3 });
    expect(body.placeholder?.blurhash).toMatch(/^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{28}$/);
  });
});

describe("insights() in as few passes as it can", () => {
  /** Each metric by its own function, on its own pass: what the shared passes must give, to the bit. */
  function separately(pixels: PixelImage, metrics: readonly Metric[], n: number, edgeMode: EdgeMode | null) {
    const weights = alphaPlane(pixels);
    const count = pixels.width * pixels.height;
    const luma = lumaPlane(pixels);
    const stats = neighbourhood(luma, pixels.width, pixels.height, weights);
    const all: Record<Metric, unknown> = {
      contrast: contrast(luma, weights, count),
      sharpness: sharpness(stats),
      edge_density: edgeDensity(stats),
      colorfulness: colorfulness(pixels, weights),
      colors: colors(pixels, weights, n),
      overlay: overlayFromPixels(pixels, weights, edgeMode),
      placeholder: placeholder(pixels, weights),
      crop: cropHints(pixels, RATIOS, ORIENTED(pixels)),
      hash: pictureHash(pixels),
      thumbhash: thumbhash(pixels),
    } as Record<Metric, unknown>;
    const palette = colors(pixels, weights, n);
    const advice = overlayFromPixels(pixels, weights, null);
    all.accessibility = palette && advice ? accessibility(pixels, palette.dominant, advice.text_color) : null;
    // A metric with nothing visible is absent, as insights() leaves it; the perceptual hashes are `pictureHashes`
    // (engine.ts adds the file's SHA-256 to make `hash`).
    return Object.fromEntries(metrics.map((m) => [m === "hash" ? "pictureHashes" : m, all[m] ?? undefined]));
  }
  const V2: Metric[] = ["contrast", "sharpness", "edge_density", "colorfulness", "colors", "overlay", "placeholder"];
  const V3: Metric[] = ["crop", "hash", "thumbhash", "accessibility"];
  const RATIOS = ["1:1", "16:9", "3:4"];
  /** The oriented image three times the analysed one: crop boxes are scaled to it. */
  const ORIENTED = (pixels: PixelImage) => ({ width: pixels.width * 3, height: pixels.height * 3 });

  it("gives exactly each metric's own result on the golden images, grey and with alpha, for any set asked", async () => {
    const images = await goldenImages();
    const subsets: Metric[][] = [
      [...V2, ...V3],
      V2,
      V3,
      ["contrast"],
      ["contrast", "colors"],
      ["sharpness", "overlay"],
      ["placeholder"],
      ["accessibility"],
      ["crop", "sharpness"],
    ];
    for (const [name, pixels] of Object.entries(images)) {
      for (const metrics of subsets) {
        const options = { colors: 5, edgeMode: "all" as const, crop: { ratios: RATIOS, oriented: ORIENTED(pixels) } };
        const got = JSON.parse(JSON.stringify(insights(pixels, metrics, options)));
        expect(got, `${name}: ${metrics}`).toEqual(JSON.parse(JSON.stringify(separately(pixels, metrics, 5, "all"))));
      }
    }
  }, 60_000);

  it("gives exactly each metric's own result on any small image, in any layout", () => {
    const image = anyImage(20, 6);
    fc.assert(
      fc.property(
        image,
        fc.subarray([...V2, ...V3], { minLength: 1 }),
        fc.integer({ min: 1, max: 10 }),
        (pixels, metrics, n) => {
          const crop = { ratios: RATIOS, oriented: ORIENTED(pixels) };
          const got = JSON.parse(
            JSON.stringify(insights(pixels, metrics, { colors: n, edgeMode: "top_bottom", crop })),
          );
          expect(got).toEqual(JSON.parse(JSON.stringify(separately(pixels, metrics, n, "top_bottom"))));
        },
      ),
      { numRuns: 300 },
    );
  });
});
