/**
 * Audit item 8: every reported number is rounded half away from zero from its exact value. Each property
 * builds pixel sets whose exact average, median, percent or score lies exactly on a half at the rounding
 * digit, and checks the answer against the value worked out by hand from the construction.
 */
import fc from "fast-check";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { parseAnalysisParams } from "../../contract/analysis.ts";
import { createApp, toResponse } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import type { DecodedImage } from "../src/decode.ts";
import { analyse } from "../src/metrics/analyse.ts";
import type { Pixels } from "../src/metrics/luminance.ts";
import { greyPng, imageForm } from "./images.ts";

const luma = (r: number, g: number, b: number) => 2126 * r + 7152 * g + 722 * b;

/** The response for `pixels` with every v1 metric and `edge_mode`. */
function respond(pixels: Pixels, edgeMode = "all") {
  const params = parseAnalysisParams(new URLSearchParams(`metrics=brightness,median,histogram&edge_mode=${edgeMode}`));
  const analysis = analyse(pixels, { median: true, histogram: true, edgeMode: params.edgeMode });
  const image: DecodedImage = {
    pixels,
    width: pixels.width,
    height: pixels.height,
    orientedWidth: pixels.width,
    orientedHeight: pixels.height,
  };
  return toResponse(params, "png", image, analysis, 0);
}

/** `count` grey values whose sum is ≡ `residue` (mod `modulus`), by moving the last one (modulus ≤ 128). */
function greyWithSum(values: number[], modulus: number, residue: number): number[] {
  const out = values.slice();
  const rest = out.slice(0, -1).reduce((a, b) => a + b, 0);
  const want = (((residue - rest) % modulus) + modulus) % modulus; // the last value's residue
  const last = out[out.length - 1] as number;
  // The value ≡ want nearest to the old last value, within 0–255.
  let best = want;
  for (let v = want; v <= 255; v += modulus) if (Math.abs(v - last) < Math.abs(best - last)) best = v;
  out[out.length - 1] = best;
  return out;
}

const grey = (values: number[], width: number): Pixels => ({
  data: Uint8Array.from(values),
  width,
  height: values.length / width,
  channels: 1,
});

describe("exact ties round half away from zero", () => {
  it("average and edge average: 200 grey pixels with an odd sum average odd/200, a tie at 2 places", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 200, maxLength: 200 }), (raw) => {
        const values = greyWithSum(raw, 2, 1);
        const sum = values.reduce((a, b) => a + b, 0);
        const want = (sum + 1) / 2 / 100; // sum / 200 = k + 0.005 exactly: up to the next hundredth
        // Two columns: both are the left and right bands, so the edge average is the average too.
        const body = respond(grey(values, 2), "left_right");
        expect(body.average_luminance).toBe(want);
        expect(body.edge_average_luminance).toBe(want);
      }),
      { numRuns: 300 },
    );
  });

  it("average of RGB pixels whose luma sum S makes S / (100 n) a half", () => {
    const pixel = fc.tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(fc.array(pixel, { minLength: 1, maxLength: 4 }), (pixels) => {
        const n = pixels.length;
        const [r, g] = pixels[n - 1] as [number, number, number];
        const rest = pixels.slice(0, -1).reduce((s, p) => s + luma(...p), 0);
        // Blue moves the luma by 722 = 122 mod 200: b in 0–99 reaches every even residue mod 100 n for n ≤ 2,
        // and some b in 0–255 does for n ≤ 4 most of the time; skip the rare case none does.
        const b = Array.from({ length: 256 }, (_, v) => v).find((v) => (rest + luma(r, g, v)) % (100 * n) === 50 * n);
        fc.pre(b !== undefined);
        pixels[n - 1] = [r, g, b as number];
        const sum = rest + luma(r, g, b as number);
        const hundredths = (sum / (50 * n) + 1) / 2; // sum / (100 n) = k + 0.5
        const body = respond({ data: Uint8Array.from(pixels.flat()), width: n, height: 1, channels: 3 });
        expect(body.average_luminance).toBe(hundredths / 100);
      }),
      { numRuns: 300 },
    );
  });

  it("median: two middle RGB pixels whose luma sum is ≡ 100 (mod 200), amid darker and brighter ones", () => {
    const channel = fc.integer({ min: 1, max: 254 });
    fc.assert(
      fc.property(
        channel,
        channel,
        channel,
        channel,
        channel,
        fc.integer({ min: 0, max: 3 }),
        (r1, g1, b1, r2, g2, k) => {
          const l1 = luma(r1, g1, b1);
          const b2 = Array.from({ length: 100 }, (_, v) => v).find((v) => (l1 + luma(r2, g2, v)) % 200 === 100);
          const l2 = luma(r2, g2, b2 as number);
          // k black and k white pixels keep the two in the middle.
          const pixels = [
            ...Array.from({ length: k }, () => [0, 0, 0]),
            [r1, g1, b1],
            [r2, g2, b2 as number],
            ...Array.from({ length: k }, () => [255, 255, 255]),
          ];
          const body = respond({ data: Uint8Array.from(pixels.flat()), width: pixels.length, height: 1, channels: 3 });
          expect(body.median_luminance).toBe(((l1 + l2) / 100 + 1) / 2 / 100); // (l1 + l2) / 20 000 = k + 0.005
        },
      ),
      { numRuns: 300 },
    );
  });

  it("histogram: with 80 pixels a bucket of odd count c is 1.25 c %, a tie at 1 place", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 80, maxLength: 80 }), (values) => {
        const body = respond(grey(values, 8));
        const counts = Array.from({ length: 10 }, () => 0);
        for (const v of values) {
          const bucket = Math.min(9, Math.floor((v * 10) / 256));
          counts[bucket] = (counts[bucket] as number) + 1;
        }
        // 12.5 c tenths: an odd c ends in .5 and goes up.
        expect(body.histogram?.map((h) => h.percent)).toEqual(counts.map((c) => Math.ceil(12.5 * c) / 10));
      }),
      { numRuns: 300 },
    );
  });

  it("brightness score: 40 grey pixels whose sum is ≡ 51 (mod 102) score sum / 102, a half", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 40, maxLength: 40 }), (raw) => {
        const values = greyWithSum(raw, 102, 51);
        const sum = values.reduce((a, b) => a + b, 0);
        // score = sum · 10 000 / (40 · 255 · 10 000) · 100 = sum / 102 = k + 0.5 → k + 1.
        const body = respond(grey(values, 2), "left_right");
        expect(body.brightness_score).toBe((sum / 51 + 1) / 2);
        expect(body.edge_brightness_score).toBe((sum / 51 + 1) / 2);
      }),
      { numRuns: 300 },
    );
  });
});

describe("the audit's hand cases, through the service", () => {
  const app = createApp(loadConfig({}));
  const post = async (png: Uint8Array, query: string) => {
    const res = await app.request(`/v1/image/analysis?${query}`, { method: "POST", body: imageForm(png) });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };

  it("a 1×1 rgb(148,0,41): luma 34.425 → 34.43, score 13.5 → 14", async () => {
    const png = new Uint8Array(
      await sharp({ create: { width: 1, height: 1, channels: 3, background: { r: 148, g: 0, b: 41 } } })
        .png()
        .toBuffer(),
    );
    expect(await post(png, "metrics=brightness,median&edge_mode=all")).toMatchObject({
      brightness_score: 14,
      average_luminance: 34.43,
      median_luminance: 34.43,
      edge_brightness_score: 14,
      edge_average_luminance: 34.43,
    });
  });

  it("a histogram bucket of 23 pixels in 80: 28.75 → 28.8 (and 57 in 80: 71.25 → 71.3)", async () => {
    const png = await greyPng(80, 1, (x) => (x < 23 ? 0 : 255));
    const body = await post(png, "metrics=histogram");
    const percents = (body.histogram as Array<{ percent: number }>).map((h) => h.percent);
    expect(percents).toEqual([28.8, 0, 0, 0, 0, 0, 0, 0, 0, 71.3]);
  });
});
