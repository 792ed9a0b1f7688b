import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyPlane } from "../../test/arbitrary-images.ts";
import { contrast, contrastOfSums, contrastSums, countContrast } from "./contrast.ts";
import { edgeDensity } from "./edge-density.ts";
import { neighbourhood } from "./neighbourhood.ts";
import { sharpness } from "./sharpness.ts";

/** A luma plane (×10 000) from a grey level per pixel. */
function plane(width: number, height: number, level: (x: number, y: number) => number): Uint32Array {
  const luma = new Uint32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) luma[y * width + x] = level(x, y) * 10_000;
  return luma;
}

/** The obvious way: clamped indexing per pixel, the two kernels written out, two passes for the variance. */
function oracle(luma: Uint32Array, width: number, height: number, weights: Uint8Array | null) {
  const at = (x: number, y: number) =>
    (luma[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))] as number) / 10_000;
  const laps: number[] = [];
  const ws: number[] = [];
  let edges = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const w = weights ? (weights[y * width + x] as number) : 1;
      laps.push(at(x, y - 1) + at(x - 1, y) + at(x + 1, y) + at(x, y + 1) - 4 * at(x, y));
      ws.push(w);
      const gx =
        at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x - 1, y) - at(x - 1, y + 1);
      const gy =
        at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x, y - 1) - at(x + 1, y - 1);
      if (Math.hypot(gx, gy) >= 64) edges += w;
    }
  }
  const total = ws.reduce((a, b) => a + b, 0);
  const mean = laps.reduce((a, l, i) => a + l * (ws[i] as number), 0) / total;
  const variance = laps.reduce((a, l, i) => a + (ws[i] as number) * (l - mean) ** 2, 0) / total;
  return { variance, edges, total };
}

describe("neighbourhood (Laplacian variance and Sobel edges in one pass)", () => {
  it("is 0 on a flat image: no Laplacian, no edge", () => {
    const stats = neighbourhood(
      plane(7, 5, () => 123),
      7,
      5,
      null,
    );
    expect(stats).toEqual({ laplacianVariance: 0, edgeWeight: 0, totalWeight: 35 });
    expect(sharpness(stats)).toEqual({ laplacian_variance: 0, score: 0, blurry: true });
    expect(edgeDensity(stats)).toEqual({ percent: 0 });
  });

  it("finds a single vertical step edge on the two columns beside it", () => {
    // 0 | 255 on 8×6: the Laplacian is +255 left of the step and −255 right of it; Gx = 4·255 on both.
    const stats = neighbourhood(
      plane(8, 6, (x) => (x < 4 ? 0 : 255)),
      8,
      6,
      null,
    );
    expect(stats.laplacianVariance).toBeCloseTo((2 * 255 ** 2) / 8, 9);
    expect(edgeDensity(stats)).toEqual({ percent: 25 });
  });

  it("gives a black/white checkerboard the Laplacian ±1020 inside, every pixel an edge but the flat corners", () => {
    const stats = neighbourhood(
      plane(16, 16, (x, y) => ((x + y) % 2) * 255),
      16,
      16,
      null,
    );
    const want = oracle(
      plane(16, 16, (x, y) => ((x + y) % 2) * 255),
      16,
      16,
      null,
    );
    expect(stats.laplacianVariance).toBeCloseTo(want.variance, 6);
    expect(stats.laplacianVariance).toBeGreaterThan(0.8 * 1020 ** 2);
    expect(stats.edgeWeight).toBe(want.edges);
  });

  it("counts a step of 16 levels as an edge and one of 15 not (magnitude 4·step vs 64)", () => {
    expect(
      neighbourhood(
        plane(4, 3, (x) => (x < 2 ? 100 : 116)),
        4,
        3,
        null,
      ).edgeWeight,
    ).toBe(6);
    expect(
      neighbourhood(
        plane(4, 3, (x) => (x < 2 ? 100 : 115)),
        4,
        3,
        null,
      ).edgeWeight,
    ).toBe(0);
  });

  it("agrees with the obvious computation on any image, weighted or not, 1-pixel sides included", () => {
    const image = anyPlane(12, 255);
    fc.assert(
      fc.property(image, ({ width, height, values, alpha }) => {
        const luma = Uint32Array.from(values, (v) => v * 10_000);
        const got = neighbourhood(luma, width, height, alpha);
        const want = oracle(luma, width, height, alpha);
        expect(got.totalWeight).toBe(want.total);
        expect(got.edgeWeight).toBe(want.edges);
        if (want.total > 0) expect(got.laplacianVariance).toBeCloseTo(want.variance, 6);
      }),
      { numRuns: 300 },
    );
  });

  it("makes contrast's sums and percentiles in the same pass: the very contrast that contrast() makes alone", () => {
    const image = anyPlane(12, 2_550_000);
    fc.assert(
      fc.property(image, ({ width, height, values, alpha }) => {
        const plane = Uint32Array.from(values);
        const count = width * height;
        const alone = contrast(plane, alpha, count);
        const sums = contrastSums(plane[0] ?? 0);
        countContrast(plane, alpha, count, sums);
        const stats = neighbourhood(plane, width, height, alpha, sums);
        expect(contrastOfSums(sums)).toEqual(alone);
        expect(stats).toEqual(neighbourhood(plane, width, height, alpha));
      }),
      { numRuns: 300 },
    );
  });

  it("reports nothing when no pixel is visible", () => {
    const stats = neighbourhood(
      plane(2, 2, (x) => x * 255),
      2,
      2,
      new Uint8Array(4),
    );
    expect(sharpness(stats)).toBeNull();
    expect(edgeDensity(stats)).toBeNull();
  });
});
