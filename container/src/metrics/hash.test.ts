import { describe, expect, it } from "vitest";
import {
  dctLowFrequencies,
  differenceBits,
  differenceHash,
  imageHashes,
  lumaCells,
  PERCEPTUAL_SIDE_CELLS,
  perceptualBits,
  perceptualHash,
  pictureHash,
  sha256Hex,
} from "./hash.ts";
import { lumaPlane, type PixelImage } from "./planes.ts";

const grey = (width: number, height: number, value: (x: number, y: number) => number): PixelImage => {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = value(x, y);
  return { data, width, height, channels: 1 };
};

/** Bytes of a linear congruential generator: the same on every run. */
function noise(count: number, seed: number): Uint8Array {
  let state = seed;
  return Uint8Array.from({ length: count }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 24;
  });
}

/** The area average the slow way: each pixel's overlap with each cell as a rectangle, in pixels (floats). */
function naiveMeans(pixels: PixelImage, tw: number, th: number): number[] {
  const { width, height, channels, data } = pixels;
  const out: number[] = [];
  for (let cy = 0; cy < th; cy++) {
    for (let cx = 0; cx < tw; cx++) {
      const [x0, x1, y0, y1] = [
        (cx * width) / tw,
        ((cx + 1) * width) / tw,
        (cy * height) / th,
        ((cy + 1) * height) / th,
      ];
      let sum = 0;
      for (let y = Math.floor(y0); y < Math.ceil(y1); y++) {
        for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
          const area = (Math.min(x1, x + 1) - Math.max(x0, x)) * (Math.min(y1, y + 1) - Math.max(y0, y));
          const o = (y * width + x) * channels;
          const luma =
            channels >= 3
              ? (2126 * (data[o] as number) + 7152 * (data[o + 1] as number) + 722 * (data[o + 2] as number)) / 10_000
              : (data[o] as number);
          const alpha = channels === 2 || channels === 4 ? (data[o + channels - 1] as number) / 255 : 1;
          sum += area * (alpha * luma + (1 - alpha) * 255);
        }
      }
      out.push(sum / (x1 - x0) / (y1 - y0));
    }
  }
  return out;
}

const means = (pixels: PixelImage, tw: number, th: number) => {
  const [cells] = lumaCells(pixels, [[tw, th]]);
  return Array.from(cells?.sums ?? [], (sum) => sum / (cells?.unit ?? 1));
};

describe("the area average", () => {
  it("weighs each pixel by the share of it inside the cell", () => {
    // 3 pixels into 2 cells of 1.5 px: (0 + 30/2) / 1.5 = 10 and (30/2 + 60) / 1.5 = 50.
    expect(
      means(
        grey(3, 1, (x) => x * 30),
        2,
        1,
      ),
    ).toEqual([10, 50]);
  });

  it("gives every cell the pixel's value when the image is smaller than the grid", () => {
    expect(
      new Set(
        means(
          grey(1, 1, () => 77),
          32,
          32,
        ),
      ),
    ).toEqual(new Set([77]));
    expect(
      means(
        grey(2, 1, (x) => [10, 250][x] as number),
        4,
        1,
      ),
    ).toEqual([10, 10, 250, 250]);
  });

  it.each([
    [512, 338, 3, 32, 32],
    [37, 512, 4, 32, 32],
    [5, 3, 2, 9, 8],
    [100, 7, 1, 9, 8],
    [33, 31, 3, 32, 32],
  ])("of a %i×%i image of %i channels over %i×%i cells is the slow overlap-by-overlap one", (w, h, c, tw, th) => {
    const pixels = { data: noise(w * h * c, w * 7 + h), width: w, height: h, channels: c };
    const slow = naiveMeans(pixels, tw, th);
    means(pixels, tw, th).forEach((mean, i) => {
      expect(Math.abs(mean - (slow[i] as number)), `cell ${i}`).toBeLessThan(1e-9);
    });
  });

  it("composites transparency onto white: what a clear pixel hides never counts", () => {
    const clear = { data: Uint8Array.of(0, 0, 0, 0), width: 1, height: 1, channels: 4 };
    const half = { data: Uint8Array.of(0, 0, 0, 128), width: 1, height: 1, channels: 4 };
    const greyHalf = { data: Uint8Array.of(0, 51), width: 1, height: 1, channels: 2 };
    expect(means(clear, 1, 1)).toEqual([255]);
    expect(means(half, 1, 1)).toEqual([127]); // (128 · 0 + 127 · 255) / 255
    expect(means(greyHalf, 1, 1)).toEqual([204]); // 80 % of white
  });

  it("reads the caller's luma plane to the same sums", () => {
    const pixels = { data: noise(61 * 40 * 3, 9), width: 61, height: 40, channels: 3 };
    const grids = [
      [32, 32],
      [9, 8],
    ] as const;
    expect(lumaCells(pixels, grids, lumaPlane(pixels))).toEqual(lumaCells(pixels, grids));
  });

  it("refuses what is not an image, in words", () => {
    expect(() => lumaCells({ data: new Uint8Array(10), width: 1, height: 2, channels: 5 }, [[9, 8]])).toThrow(
      "Expected 1 to 4 channels for the pixels to hash but received 5",
    );
    expect(() => lumaCells({ data: new Uint8Array(3), width: 2, height: 2, channels: 1 }, [[9, 8]])).toThrow(
      "Expected 4 bytes for the pixels to hash but received 3",
    );
    expect(() => lumaCells({ data: new Uint8Array(0), width: 0, height: 2, channels: 1 }, [[9, 8]])).toThrow(
      "Expected a positive integer width and height",
    );
  });
});

describe("the difference hash", () => {
  it("is 1 where a cell is darker than the one to its right, row by row, the first bit the most significant", () => {
    // A 9 × 8 image is its own grid: only the top left pair rises, then only the bottom right one.
    expect(
      imageHashes(
        grey(9, 8, (x, y) => (x === 0 && y === 0 ? 0 : 100)),
        new Uint8Array(),
      ).difference,
    ).toBe("8000000000000000");
    expect(
      imageHashes(
        grey(9, 8, (x, y) => (x === 8 && y === 7 ? 200 : 100)),
        new Uint8Array(),
      ).difference,
    ).toBe("0000000000000001");
  });

  it("is all ones for a ramp brightening to the right, all zeros for one darkening, and zeros where flat", () => {
    expect(
      imageHashes(
        grey(512, 300, (x) => x >> 1),
        new Uint8Array(),
      ).difference,
    ).toBe("ffffffffffffffff");
    expect(
      imageHashes(
        grey(512, 300, (x) => 255 - (x >> 1)),
        new Uint8Array(),
      ).difference,
    ).toBe("0000000000000000");
    expect(
      imageHashes(
        grey(512, 300, () => 9),
        new Uint8Array(),
      ).difference,
    ).toBe("0000000000000000");
  });

  it("names the grid it needs", () => {
    const [cells] = lumaCells(
      grey(8, 8, () => 0),
      [[8, 8]],
    );
    expect(() => differenceBits(cells as NonNullable<typeof cells>)).toThrow(
      "Expected 9×8 cells for the difference hash but received 8×8",
    );
  });
});

describe("the perceptual hash", () => {
  it("of a flat image is the DC bit alone (its other coefficients are exactly 0), of black none", () => {
    expect(
      imageHashes(
        grey(300, 200, () => 117),
        new Uint8Array(),
      ).perceptual,
    ).toBe("8000000000000000");
    expect(
      imageHashes(
        grey(300, 200, () => 0),
        new Uint8Array(),
      ).perceptual,
    ).toBe("0000000000000000");
  });

  it("has a DC of 1024 × the mean luma and exact zeros for the frequencies a picture lacks", () => {
    // A ramp across: nothing varies down, so every coefficient of vertical frequency v > 0 is 0.
    const [cells] = lumaCells(
      grey(64, 64, (x) => x * 4),
      [[PERCEPTUAL_SIDE_CELLS, PERCEPTUAL_SIDE_CELLS]],
    );
    const dct = dctLowFrequencies(cells as NonNullable<typeof cells>);
    expect(dct[0]).toBeCloseTo(1024 * 126, 6);
    expect(Array.from(dct.subarray(8))).toEqual(new Array(56).fill(0));
    // Even horizontal frequencies of a ramp are 0 too; the odd ones of a rising ramp are negative.
    expect([dct[2], dct[4], dct[6]]).toEqual([0, 0, 0]);
    expect([dct[1], dct[3], dct[5], dct[7]].every((c) => (c as number) < 0)).toBe(true);
  });

  it("sets a bit where a coefficient is above the median of the 64, row-major, the first the most significant", () => {
    const coefficients = Float64Array.from({ length: 64 }, (_, i) => i); // median 31.5: bits 32–63 set
    expect(perceptualBits(coefficients)).toBe("00000000ffffffff");
    coefficients.reverse();
    expect(perceptualBits(coefficients)).toBe("ffffffff00000000");
    // At a tie the median is the tied value, and a coefficient equal to it is 0.
    expect(perceptualBits(Float64Array.from({ length: 64 }, (_, i) => (i === 5 ? 2 : 1)))).toBe("0400000000000000");
  });

  it("barely moves when the picture is brightened a little, and moves a lot for another picture", () => {
    const picture = (x: number, y: number) => Math.round(128 + 60 * Math.sin(x / 23) * Math.cos(y / 31));
    const a = imageHashes(grey(400, 300, picture), new Uint8Array()).perceptual;
    const b = imageHashes(
      grey(400, 300, (x, y) => picture(x, y) + 8),
      new Uint8Array(),
    ).perceptual;
    const other = imageHashes(
      grey(400, 300, (x, y) => picture(y, x)),
      new Uint8Array(),
    ).perceptual;
    expect(b).toBe(a);
    expect(other).not.toBe(a);
  });
});

describe("the SHA-256 of the file", () => {
  it("is FIPS 180-2's for its test vectors", () => {
    expect(sha256Hex(new TextEncoder().encode("abc"))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(sha256Hex(new Uint8Array())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});

describe("the hash object", () => {
  it("is both pixel hashes and the SHA-256 of the bytes", () => {
    const pixels = { data: noise(40 * 30 * 3, 3), width: 40, height: 30, channels: 3 };
    const bytes = Uint8Array.of(1, 2, 3);
    expect(imageHashes(pixels, bytes)).toEqual({ ...pictureHash(pixels), sha256: sha256Hex(bytes) });
    expect(pictureHash(pixels, lumaPlane(pixels))).toEqual(pictureHash(pixels));
    expect({ perceptual: perceptualHash(pixels), difference: differenceHash(pixels) }).toEqual(pictureHash(pixels));
  });
});
