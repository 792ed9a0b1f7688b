import { rgbaToThumbHash, thumbHashToApproximateAspectRatio, thumbHashToAverageRGBA, thumbHashToRGBA } from "thumbhash";
import { beforeAll, describe, expect, it } from "vitest";
import { analysedPixels } from "../../test/golden-v2/pixels.ts";
import { referenceSample } from "../../test/images.ts";
import type { PixelImage } from "./planes.ts";
import { base64, boxDownRgba, THUMBHASH_SIDE_PX, thumbhash } from "./thumbhash.ts";

/** A colourful image: red rises across, green down, blue a wave; alpha (4 channels) falls across, 0 on the right. */
function ramps(width: number, height: number, channels: 3 | 4 = 3): PixelImage {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      data[o] = Math.round((255 * x) / (width - 1));
      data[o + 1] = Math.round((255 * y) / (height - 1));
      data[o + 2] = Math.round(128 + 100 * Math.sin((6 * x) / width));
      if (channels === 4) data[o + 3] = x >= (3 * width) / 4 ? 0 : Math.round(255 - (255 * x) / width);
    }
  }
  return { data, width, height, channels };
}

/** The image's alpha-weighted mean colour (0–1, gamma-encoded sRGB, as ThumbHash averages) and mean alpha. */
function meanColour(pixels: PixelImage): { r: number; g: number; b: number; a: number } {
  const { data, width, height, channels } = pixels;
  const hasAlpha = channels === 2 || channels === 4;
  const sums = [0, 0, 0, 0];
  for (let o = 0; o < width * height * channels; o += channels) {
    const w = hasAlpha ? (data[o + channels - 1] as number) / 255 : 1;
    for (let c = 0; c < 3; c++) sums[c] = (sums[c] as number) + w * (data[o + (channels >= 3 ? c : 0)] as number);
    sums[3] = (sums[3] as number) + w;
  }
  const [r, g, b, a] = sums as [number, number, number, number];
  return { r: r / a / 255, g: g / a / 255, b: b / a / 255, a: a / (width * height) };
}

const bytes = (hash: string) => new Uint8Array(Buffer.from(hash, "base64"));

/**
 * The hash's average colour against the image's mean, per channel (0–1): the DC terms have 6 bits (L over 0–1,
 * P and Q over −1–1), and R, G, B are sums of them: at most ±0.03 (7.7 levels) by construction; alpha has 4 bits.
 */
const AVERAGE_TOLERANCE = 0.03;
const ALPHA_TOLERANCE = 1 / 30;

let samples: Record<string, PixelImage> = {};
beforeAll(async () => {
  samples = {
    sample1: await analysedPixels(referenceSample("sample1-536x354-grayscale.jpg"), true),
    sample2: await analysedPixels(referenceSample("sample2-536x354.jpg")),
    sample3: await analysedPixels(referenceSample("sample3-color-5000x3330.jpg")),
  };
}, 30_000);

describe("thumbhash", () => {
  it("is standard, padded base64 of a ThumbHash", () => {
    const hash = thumbhash(ramps(300, 200));
    expect(hash).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(hash.length % 4).toBe(0);
    expect(base64(bytes(hash))).toBe(hash);
    expect(base64(Uint8Array.of(1, 2, 3, 4))).toBe("AQIDBA==");
    expect(base64(Uint8Array.of(251, 255))).toBe("+/8=");
  });

  it("carries the image's mean colour, and its alpha", () => {
    for (const image of [ramps(300, 200), ramps(120, 260), ramps(300, 200, 4), ramps(7, 5, 4)]) {
      const got = thumbHashToAverageRGBA(bytes(thumbhash(image)));
      const want = meanColour(image);
      for (const c of ["r", "g", "b"] as const) {
        expect(Math.abs(got[c] - want[c]), `${image.width}×${image.height}×${image.channels} ${c}`).toBeLessThan(
          AVERAGE_TOLERANCE,
        );
      }
      expect(Math.abs(got.a - want.a)).toBeLessThanOrEqual(ALPHA_TOLERANCE);
    }
  });

  it("carries the reference samples' mean colour, grey included", () => {
    for (const [name, image] of Object.entries(samples)) {
      const got = thumbHashToAverageRGBA(bytes(thumbhash(image)));
      const want = meanColour(image);
      for (const c of ["r", "g", "b"] as const) {
        expect(Math.abs(got[c] - want[c]), `${name} ${c}`).toBeLessThan(AVERAGE_TOLERANCE);
      }
      expect(got.a).toBe(1);
    }
  });

  it("keeps the aspect ratio as closely as the hash can: 7 terms on the longer side, the shorter's rounded", () => {
    for (const [width, height] of [
      [300, 300],
      [300, 200],
      [512, 288],
      [200, 400],
      [512, 338],
      [512, 128],
    ] as const) {
      const got = thumbHashToApproximateAspectRatio(bytes(thumbhash(ramps(width, height))));
      const long = Math.max(width, height);
      const terms = (side: number) => Math.max(1, Math.round((7 * Math.round((side * 32) / long)) / 32));
      expect(got, `${width}×${height}`).toBeCloseTo(terms(width) / terms(height), 10);
      // 16:9 → 7/4 = 1.75, 512 × 338 → 7/5 = 1.4 (1.51), 4:1 → 7/2 = 3.5: within 15 %.
      expect(Math.abs(got / (width / height) - 1), `${width}×${height}`).toBeLessThan(0.15);
    }
  });

  it("keeps a transparent image's alpha (ThumbHash encodes it)", () => {
    const image = ramps(200, 100, 4);
    const decoded = thumbHashToRGBA(bytes(thumbhash(image)));
    // The left edge is nearly opaque, the right quarter clear.
    const row = Math.floor(decoded.h / 2) * decoded.w * 4;
    expect(decoded.rgba[row + 3]).toBeGreaterThan(200);
    expect(decoded.rgba[row + (decoded.w - 1) * 4 + 3]).toBeLessThan(40);
  });

  it("is the hash of a 100 px copy (the most the encoder takes), give or take one quantum of one term", () => {
    for (const [name, image] of Object.entries(samples)) {
      const at100 = boxDownRgba(image, 100);
      // One term one quantum apart is a rounding boundary any size can fall on: sample 3's "…SHeIiP…" from 100 px
      // (and 24, 48) is "…SHeHiP…" from 32 px (and 16, 64), a decoded difference of 4 levels on average.
      const want = rgbaToThumbHash(at100.width, at100.height, at100.data);
      const got = bytes(thumbhash(image));
      expect(got.length, name).toBe(want.length);
      const differ = Array.from(want).flatMap((byte, i) =>
        byte === got[i] ? [] : [Math.abs(byte - (got[i] as number))],
      );
      expect(differ.length, name).toBeLessThanOrEqual(1);
      if (differ.length) expect([1, 16], name).toContain(differ[0]);
    }
    // sample 2's is the very same hash.
    const sample2 = samples.sample2 as PixelImage;
    const at100 = boxDownRgba(sample2, 100);
    expect(thumbhash(sample2)).toBe(base64(rgbaToThumbHash(at100.width, at100.height, at100.data)));
  });

  it("decodes to nearly the picture of a 100 px copy on synthetic images, whose zero terms sit on a rounding tie", () => {
    // A term that is 0 is written as 7.5 quanta, rounded either way by the last bit of a float sum: a smooth
    // synthetic image has several, and copies of any two sizes (64 and 100 px too) differ in a few of them.
    for (const image of [ramps(400, 300), ramps(400, 300, 4)]) {
      const at100 = boxDownRgba(image, 100);
      const want = thumbHashToRGBA(rgbaToThumbHash(at100.width, at100.height, at100.data));
      const got = thumbHashToRGBA(bytes(thumbhash(image)));
      expect([got.w, got.h]).toEqual([want.w, want.h]);
      let diff = 0;
      for (let i = 0; i < want.rgba.length; i++) diff += Math.abs((want.rgba[i] as number) - (got.rgba[i] as number));
      // Measured 5.5 (opaque) and 1.6 (alpha) levels on average.
      expect(diff / want.rgba.length, `${image.channels} channels`).toBeLessThan(8);
    }
  });

  it("is the same string as when it was written (a change to it is noticed)", () => {
    expect(thumbhash(ramps(300, 200))).toBe("4PcJlZpmc3aAeHiHh3iIh4B1B/eH");
    expect(thumbhash(ramps(300, 200, 4))).toBe("35WFI4w3R1NAeHcgQUfzi3+IiIiIiIg=");
    expect(thumbhash(samples.sample2 as PixelImage)).toBe("pQcSHYZqh4efh4dyiJh3iV2/s/VK");
  });
});

describe("boxDownRgba", () => {
  it("fits the longer side to THUMBHASH_SIDE_PX keeping the aspect, and never enlarges", () => {
    const small = boxDownRgba(ramps(512, 338));
    expect([small.width, small.height]).toEqual([THUMBHASH_SIDE_PX, 21]);
    const tiny = boxDownRgba(ramps(10, 6));
    expect([tiny.width, tiny.height]).toEqual([10, 6]);
    expect(tiny.data.length).toBe(10 * 6 * 4);
  });

  it("averages each box, colours weighted by alpha; a clear box takes the image's mean colour", () => {
    // Grey + alpha, 4 × 1 into 2 × 1: (10 at α 255, 30 at α 0) and (100 at α 0, 200 at α 0).
    const got = boxDownRgba(
      { data: Uint8Array.of(10, 255, 30, 0, 100, 0, 200, 0), width: 4, height: 1, channels: 2 },
      2,
    );
    expect(Array.from(got.data)).toEqual([10, 10, 10, 128, 10, 10, 10, 0]);
    // RGB, 2 × 2 into 1 × 1: the mean, alpha 255.
    const rgb = boxDownRgba(
      { data: Uint8Array.of(0, 0, 0, 10, 20, 30, 20, 40, 60, 30, 60, 91), width: 2, height: 2, channels: 3 },
      1,
    );
    expect(Array.from(rgb.data)).toEqual([15, 30, 45, 255]);
  });

  it("is black and clear when nothing is visible", () => {
    const clear = boxDownRgba(
      {
        data: new Uint8Array(8 * 8 * 4).fill(0).map((_, i) => (i % 4 === 3 ? 0 : 200)),
        width: 8,
        height: 8,
        channels: 4,
      },
      4,
    );
    expect(Array.from(clear.data.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(
      thumbHashToAverageRGBA(bytes(thumbhash({ ...clear, channels: 4, data: new Uint8Array(clear.data) }))).a,
    ).toBe(0);
  });

  it("refuses what is not an image, in words", () => {
    expect(() => thumbhash({ data: new Uint8Array(5), width: 1, height: 1, channels: 5 })).toThrow(
      "Expected 1 to 4 channels for thumbhash but received 5",
    );
    expect(() => thumbhash({ data: new Uint8Array(0), width: 0, height: 3, channels: 3 })).toThrow(
      "Expected a non-empty 0×3×3 image for thumbhash but received 0 bytes",
    );
  });
});
