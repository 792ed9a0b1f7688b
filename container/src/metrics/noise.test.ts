import { describe, expect, it } from "vitest";
import { immerkaerSum, noise } from "./noise.ts";
import type { PixelImage } from "./planes.ts";

/** A grey image whose level at (x, y) is `f(x, y)`. */
function grey(width: number, height: number, f: (x: number, y: number) => number): PixelImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { data, width, height, channels: 1 };
}

/** The same grey levels as `channels` channels (grey copied to R, G, B; alpha `alpha`). */
function asChannels(image: PixelImage, channels: number, alpha = 255): PixelImage {
  const count = image.width * image.height;
  const data = new Uint8Array(count * channels);
  for (let i = 0; i < count; i++) {
    const v = image.data[i] as number;
    const colours = channels >= 3 ? 3 : 1;
    for (let c = 0; c < colours; c++) data[i * channels + c] = v;
    if (channels === 2 || channels === 4) data[i * channels + channels - 1] = (i * 37 + alpha) & 255;
  }
  return { ...image, data, channels };
}

describe("noise (Immerkær 1996)", () => {
  it("is null below 3×3, where the mask has no interior pixel", () => {
    expect(noise(grey(2, 9, () => 5))).toBeNull();
    expect(noise(grey(9, 2, () => 5))).toBeNull();
    expect(noise(grey(3, 3, () => 5))).toEqual({ sigma: 0, measured_width: 3, measured_height: 3 });
  });

  it("gives one impulse its mask's centre weight: |4 · 9| levels at the one interior pixel", () => {
    const impulse = grey(3, 3, (x, y) => (x === 1 && y === 1 ? 9 : 0));
    expect(immerkaerSum(impulse)).toEqual({ sum: 360_000, count: 1 });
    // √(π/2) / 6 · 36 = 7.5199…
    expect(noise(impulse)?.sigma).toBe(7.52);
  });

  it("counts each interior pixel's response once, the edge pixels never", () => {
    // An impulse on the border is only seen by the interior pixels next to it: weight 1 or −2, never 4.
    const corner = grey(5, 5, (x, y) => (x === 0 && y === 0 ? 100 : 0));
    expect(immerkaerSum(corner)).toEqual({ sum: 100 * 10_000, count: 9 });
    const edge = grey(5, 5, (x, y) => (x === 2 && y === 0 ? 100 : 0));
    expect(immerkaerSum(edge)?.sum).toBe((1 + 2 + 1) * 100 * 10_000);
  });

  it("cancels planes, and anything that is a function of x plus a function of y (stripes too)", () => {
    expect(noise(grey(40, 30, (x, y) => 2 * x + 3 * y))?.sigma).toBe(0);
    expect(noise(grey(40, 30, (x, y) => (x * x) / 8 + ((y * 7) % 11)))?.sigma).toBe(0);
    expect(noise(grey(40, 30, (x) => (x % 2) * 255))?.sigma).toBe(0);
  });

  it("sees a checkerboard as the strongest signal: 8 · 255 levels at every interior pixel", () => {
    // 4c at the centre, c at each corner, −2o at each edge neighbour: 8 (c − o) = ±8 · 255; √(π/2) / 6 · 2040 = 426.127.
    const board = grey(10, 8, (x, y) => ((x + y) % 2) * 255);
    expect(immerkaerSum(board)).toEqual({ sum: 8 * 255 * 10_000 * 48, count: 48 });
    expect(noise(board)?.sigma).toBe(426.13);
  });

  it("is the same turned a quarter turn (the mask is symmetric)", () => {
    const f = (x: number, y: number) => (x * 7919 + y * 104_729 + x * y * 31) % 251;
    const image = grey(23, 17, f);
    const turned = grey(17, 23, (x, y) => f(y, x));
    expect(immerkaerSum(turned)).toEqual(immerkaerSum(image));
  });

  it("reads Rec. 709 luma from RGB, the grey level from grey, and ignores alpha", () => {
    const image = grey(20, 15, (x, y) => (x * 13 + y * 29 + x * y) % 256);
    const want = noise(image);
    expect(want?.sigma).toBeGreaterThan(0);
    for (const channels of [2, 3, 4]) expect(noise(asChannels(image, channels)), `${channels} channels`).toEqual(want);
    // A pure red impulse measures 0.2126 of a grey one.
    const red = { data: new Uint8Array(27), width: 3, height: 3, channels: 3 };
    red.data[12] = 100;
    expect(immerkaerSum(red)?.sum).toBe(4 * 100 * 2126);
  });

  it("rounds σ to 2 decimals and reports the region measured", () => {
    const got = noise(grey(101, 57, (x, y) => (x * x * 3 + y * y * 5 + x * y * 7) % 256));
    expect(got?.measured_width).toBe(101);
    expect(got?.measured_height).toBe(57);
    expect(Math.round((got?.sigma ?? 0) * 100) / 100).toBe(got?.sigma);
  });

  it("refuses what is not an image, in words", () => {
    expect(() => noise({ data: new Uint8Array(50), width: 5, height: 2, channels: 5 })).toThrow(
      "Expected 1 to 4 channels for noise but received 5",
    );
    expect(() => noise({ data: new Uint8Array(8), width: 3, height: 3, channels: 1 })).toThrow(
      "Expected 9 bytes for a 3×3×1 image but received 8",
    );
  });
});
