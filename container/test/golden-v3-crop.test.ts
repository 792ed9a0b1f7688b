/**
 * Golden values of `crop`: the boxes and shares computed independently by scipy's Sobel filter and a brute-force
 * search over every offset (golden-v3/crop/make_golden.py) on the very same analysed pixels (their sha256 is
 * checked first). Both sides work in exact integers and exact rationals, so the boxes must be equal to the pixel
 * and `detail_percent` to its last decimal; docs/METRICS.md says so.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { cropHints, detailProfile } from "../src/metrics/crop.ts";
import { pixelsHash } from "./golden-v2/pixels.ts";
import { type CropGoldenImage, cropGoldenImages, DETAILED_SQUARE } from "./golden-v3/crop/images.ts";

/** Boxes: exact (0 px). detail_percent: exact after rounding, and within half its last place of the exact share. */
const TOLERANCE = { boxPx: 0, detailPercent: 0, shareExact: 0.05 };

// biome-ignore lint/suspicious/noExplicitAny: the JSON written by make_golden.py
type Json = any;
const golden = JSON.parse(readFileSync(new URL("./golden-v3/crop/values.json", import.meta.url), "utf8")) as Json;
const ratios = golden.ratios as string[];
let images: Record<string, CropGoldenImage> = {};
beforeAll(async () => {
  images = await cropGoldenImages();
}, 60_000);

describe.each(Object.keys(golden.images))("crop golden image %s", (name) => {
  const want = golden.images[name];

  it("is computed on the same pixels as the goldens", () => {
    const { pixels, oriented } = images[name] as CropGoldenImage;
    expect([pixels.width, pixels.height, pixels.channels]).toEqual([want.width, want.height, want.channels]);
    expect([oriented.width, oriented.height]).toEqual(want.oriented);
    expect(pixelsHash(pixels)).toBe(want.sha256);
  });

  it("has scipy's Sobel detail of the binned luma", () => {
    const { pixels } = images[name] as CropGoldenImage;
    const profile = detailProfile(pixels);
    expect(profile.total).toBe(want.total_detail);
    expect(Array.from(profile.columns.subarray(0, 8))).toEqual(want.column_sums);
  });

  it("has the brute-force search's boxes and shares for every ratio", () => {
    const { pixels, oriented } = images[name] as CropGoldenImage;
    const got = cropHints(pixels, ratios, oriented);
    expect(Object.keys(got)).toEqual(ratios);
    for (const ratio of ratios) {
      const box = got[ratio];
      const expected = want.boxes[ratio];
      const at = `${name} ${ratio}`;
      for (const key of ["left", "top", "width", "height"] as const) {
        expect(Math.abs((box?.[key] ?? Number.NaN) - expected[key]), `${at} ${key}`).toBeLessThanOrEqual(
          TOLERANCE.boxPx,
        );
      }
      expect(Math.abs((box?.detail_percent ?? Number.NaN) - expected.detail_percent), at).toBeLessThanOrEqual(
        TOLERANCE.detailPercent,
      );
      expect(Math.abs((box?.detail_percent ?? Number.NaN) - expected.share_exact), at).toBeLessThanOrEqual(
        TOLERANCE.shareExact + 1e-9,
      );
    }
  });
});

describe("crop golden cases whose answer is known without the reference", () => {
  it("every box of the off-centre square's image holds the whole square (the ratios that can)", () => {
    const scale = 4; // 400×300 analysed, 1600×1200 oriented
    const [x0, y0, x1, y1] = DETAILED_SQUARE.map((v) => v * scale) as [number, number, number, number];
    for (const ratio of ["1:1", "4:5", "16:9", "1.91:1", "9:16", "3:2"]) {
      const box = golden.images.square_off_centre.boxes[ratio];
      expect(box.left, ratio).toBeLessThanOrEqual(x0);
      expect(box.top, ratio).toBeLessThanOrEqual(y0);
      expect(box.left + box.width, ratio).toBeGreaterThanOrEqual(x1);
      expect(box.top + box.height, ratio).toBeGreaterThanOrEqual(y1);
      expect(box.detail_percent, ratio).toBe(100);
    }
  });

  it("the flat image's boxes are centred, each with its share of the area", () => {
    expect(golden.images.flat.boxes["1:1"]).toMatchObject({ left: 50, top: 0, width: 200, height: 200 });
    expect(golden.images.flat.boxes["1:1"].detail_percent).toBe(66.7);
    expect(golden.images.flat.boxes["3:2"]).toMatchObject({ left: 0, top: 0, width: 300, height: 300 * (2 / 3) });
  });

  it("the transparent noise of hidden_detail draws no box by itself: the 1:20 strip reaches opaque pixels", () => {
    // Without the alpha weighting the strip lies in the noise (x < 150). With it, only opaque pixels count: the
    // faint patch (x 220–280) or, as here, the opaque edge at x 150–151, whose 2×2 bin's gradient reads the
    // transparent noise beside it (docs/METRICS.md: the gradient itself reads transparent pixels).
    const box = golden.images.hidden_detail.boxes["1:20"];
    expect(box.left + box.width).toBeGreaterThan(150 + 1);
    const { pixels } = images.hidden_detail as CropGoldenImage;
    const grey = new Uint8Array(pixels.width * pixels.height);
    for (let i = 0; i < grey.length; i++) grey[i] = pixels.data[2 * i] as number;
    const unweighted = cropHints({ data: grey, width: pixels.width, height: pixels.height, channels: 1 }, ["1:20"], {
      width: 300,
      height: 300,
    })["1:20"];
    expect((unweighted?.left ?? 300) + (unweighted?.width ?? 0)).toBeLessThanOrEqual(150);
  });
});
