/**
 * Golden values of the `hash` metric: numpy and scipy (golden-v3/hash/make_golden.py) on the very same analysed
 * pixels (their sha256 is checked first), and sha256sum on the reference files. docs/METRICS.md lists the
 * tolerances.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { hammingDistance, NEAR_DUPLICATE_MAX_DISTANCE } from "../../contract/hamming.ts";
import {
  DIFFERENCE_HEIGHT_CELLS,
  DIFFERENCE_WIDTH_CELLS,
  dctLowFrequencies,
  imageHashes,
  lumaCells,
  PERCEPTUAL_SIDE_CELLS,
  sha256Hex,
} from "../src/metrics/hash.ts";
import type { PixelImage } from "../src/metrics/planes.ts";
import { pixelsHash } from "./golden-v2/pixels.ts";
import { hashImages, REFERENCE_FILES, referenceBytes } from "./golden-v3/hash/pixels.ts";

const TOLERANCE = {
  /** The 9 × 8 cell means (0–255): both exact sums divided once, so equal to the last bit or so. */
  cellMean: 1e-9,
  /** A DCT coefficient (8-bit luma × cells, up to 261 120): float sums in another order. */
  dctCoefficient: 1e-6,
};

// biome-ignore lint/suspicious/noExplicitAny: the JSON written by make_golden.py
type Json = any;
const golden = JSON.parse(readFileSync(new URL("./golden-v3/hash/values.json", import.meta.url), "utf8")) as Json;
let images: Record<string, PixelImage> = {};
beforeAll(async () => {
  images = await hashImages();
}, 60_000);

/** The 64 bits of 16 hex digits, the first the most significant. */
function bits(hex: string): number[] {
  return [...hex].flatMap((digit) => [3, 2, 1, 0].map((shift) => (Number.parseInt(digit, 16) >> shift) & 1));
}

describe.each(Object.keys(golden.images))("golden image %s", (name) => {
  const want = golden.images[name];

  it("is hashed from the same pixels as the goldens", () => {
    const pixels = images[name] as PixelImage;
    expect([pixels.width, pixels.height, pixels.channels]).toEqual([want.width, want.height, want.channels]);
    expect(pixelsHash(pixels)).toBe(want.sha256);
  });

  it("has numpy's difference hash, bit for bit, and its 9 × 8 area means", () => {
    const pixels = images[name] as PixelImage;
    expect(imageHashes(pixels, new Uint8Array()).difference).toBe(want.difference);
    const [cells] = lumaCells(pixels, [[DIFFERENCE_WIDTH_CELLS, DIFFERENCE_HEIGHT_CELLS]]);
    const means = Array.from(cells?.sums ?? [], (sum) => sum / (cells?.unit ?? 1));
    means.forEach((mean, i) => {
      expect(Math.abs(mean - want.cells_9x8[i]), `cell ${i}`).toBeLessThanOrEqual(TOLERANCE.cellMean);
    });
  });

  it("has scipy's 8 × 8 lowest DCT-II frequencies and its perceptual hash, but for bits at a tie", () => {
    const pixels = images[name] as PixelImage;
    const [cells] = lumaCells(pixels, [[PERCEPTUAL_SIDE_CELLS, PERCEPTUAL_SIDE_CELLS]]);
    const dct = dctLowFrequencies(cells as NonNullable<typeof cells>);
    dct.forEach((c, i) => {
      expect(Math.abs(c - want.dct[i]), `coefficient ${i}`).toBeLessThanOrEqual(TOLERANCE.dctCoefficient);
    });
    const got = bits(imageHashes(pixels, new Uint8Array()).perceptual);
    const expected = bits(want.perceptual);
    const unsure = new Set<number>(want.perceptual_unsure_bits);
    expect(got.filter((_, i) => !unsure.has(i))).toEqual(expected.filter((_, i) => !unsure.has(i)));
    // No golden image has a coefficient within reach of its median: every bit is compared.
    expect(unsure.size).toBe(0);
  });
});

describe("the SHA-256 of the file", () => {
  it.each(REFERENCE_FILES)("of %s is sha256sum's", (file) => {
    expect(sha256Hex(referenceBytes(file))).toBe(golden.sha256sum[file]);
  });
});

describe("the near-duplicate distance", () => {
  // The corpus' hashes, made by hash-corpus.ts through the service's decode; calibrate.py made the tables from them.
  const [head, ...lines] = readFileSync(new URL("./golden-v3/hash/hashes.csv", import.meta.url), "utf8")
    .trim()
    .split("\n");
  const columns = (head as string).split(",");
  const rows = lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [columns[i], v])));
  const calibration = JSON.parse(
    readFileSync(new URL("./golden-v3/hash/calibration.json", import.meta.url), "utf8"),
  ) as Json;

  it("is calibrated on at least 20 different photographs, each with all its copies", () => {
    const pictures = new Set(rows.map((row) => row.picture));
    expect(pictures.size).toBeGreaterThanOrEqual(20);
    for (const picture of pictures) {
      expect(
        rows
          .filter((row) => row.picture === picture)
          .map((row) => row.variant)
          .sort(),
      ).toEqual(["original", ...calibration.variants].sort());
    }
  });

  it("is the largest distance within which no two different pictures fall, as calibration.json says", () => {
    let closest = 64;
    for (let i = 0; i < rows.length; i++) {
      for (let j = i + 1; j < rows.length; j++) {
        if (rows[i]?.picture === rows[j]?.picture) continue;
        const d = hammingDistance(rows[i]?.perceptual as string, rows[j]?.perceptual as string);
        if (d < closest) closest = d;
      }
    }
    expect(closest).toBeGreaterThan(NEAR_DUPLICATE_MAX_DISTANCE);
    expect(NEAR_DUPLICATE_MAX_DISTANCE).toBe(closest - 1);
    expect(calibration.perceptual.near_duplicate_max_distance).toBe(NEAR_DUPLICATE_MAX_DISTANCE);
    expect(calibration.perceptual.different_all.min).toBe(closest);
  });

  it("finds the share of each kind of copy that the tables in METRICS.md give", () => {
    const original = new Map(rows.filter((r) => r.variant === "original").map((r) => [r.picture, r.perceptual]));
    for (const variant of calibration.variants as string[]) {
      const distances = rows
        .filter((r) => r.variant === variant)
        .sort((a, b) => ((a.picture as string) < (b.picture as string) ? -1 : 1)) // as Python's sorted()
        .map((r) => hammingDistance(original.get(r.picture) as string, r.perceptual as string));
      const want = calibration.perceptual.same[variant];
      expect(distances, variant).toEqual(want.distances);
      const within = distances.filter((d) => d <= NEAR_DUPLICATE_MAX_DISTANCE).length / distances.length;
      expect(within, variant).toBeCloseTo(want.within, 4);
    }
  });
});
