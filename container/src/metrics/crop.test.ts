import { describe, expect, it } from "vitest";
import { bestWindow, cropHints, detailProfile, largestBox, mapOffset, ratioSides } from "./crop.ts";
import type { PixelImage } from "./planes.ts";

/** A grey image whose pixel (x, y) `paint` gives, or grey + alpha with `alpha`. */
function grey(
  width: number,
  height: number,
  paint: (x: number, y: number) => number,
  alpha?: (x: number, y: number) => number,
): PixelImage {
  const channels = alpha ? 2 : 1;
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data[(y * width + x) * channels] = paint(x, y);
      if (alpha) data[(y * width + x) * channels + 1] = alpha(x, y);
    }
  }
  return { data, width, height, channels };
}

/** A fixed-seed generator of integers 0–255. */
function bytes(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 24;
  };
}

describe("detailProfile", () => {
  it("sums |Gx| + |Gy| of the 2×2-binned luma ×10 000, each pixel taking its bin's (the JSDoc's step)", () => {
    const row = [0, 0, 0, 0, 255, 255, 255, 255];
    const profile = detailProfile({ data: Uint8Array.from([...row, ...row]), width: 8, height: 2, channels: 1 });
    // Bins 0, 0, 4 × 2 550 000, 4 × 2 550 000 (one bin row, replicated above and below): the middle two see
    // Gx = 4 × 10 200 000; each of their four columns holds two pixels.
    expect(Array.from(profile.columns)).toEqual([0, 0, 81_600_000, 81_600_000, 81_600_000, 81_600_000, 0, 0]);
    expect(Array.from(profile.rows)).toEqual([163_200_000, 163_200_000]);
    expect(profile.total).toBe(326_400_000);
  });

  it("takes the L1 magnitude, no square root: one bright bin in the middle of 3×3 bins", () => {
    // 6×6, the middle 2×2 at 255: bin (1, 1) = 10 200 000. A corner bin sees |Gx| = |Gy| = 10 200 000 (L1
    // 20 400 000, where √(Gx² + Gy²) would be 14 424 978); an edge bin 2 × 10 200 000 on one axis; the centre nothing.
    const profile = detailProfile(grey(6, 6, (x, y) => (x >= 2 && x < 4 && y >= 2 && y < 4 ? 255 : 0)));
    const bin = 20_400_000;
    expect(Array.from(profile.columns)).toEqual([6, 6, 4, 4, 6, 6].map((k) => k * bin));
    expect(Array.from(profile.rows)).toEqual([6, 6, 4, 4, 6, 6].map((k) => k * bin));
    expect(profile.total).toBe(32 * bin);
  });

  it("replicates an odd last column and row into their bins", () => {
    // 3×1: bins (0 0 | 0 0) and (255 255 | 255 255) once column 2 and row 0 are repeated: Gx = 4 × 10 200 000
    // on both, and each of the three pixels takes its bin's.
    const profile = detailProfile(grey(3, 1, (x) => (x === 2 ? 255 : 0)));
    expect(Array.from(profile.columns)).toEqual([40_800_000, 40_800_000, 40_800_000]);
    expect(Array.from(profile.rows)).toEqual([122_400_000]);
  });

  it("weights each pixel's detail by its own alpha; the gradient itself reads transparent pixels too", () => {
    const paint = (x: number) => (x < 4 ? 0 : 255);
    const opaque = detailProfile(grey(8, 1, paint));
    const half = detailProfile(grey(8, 1, paint, (x) => (x === 3 ? 0 : 128)));
    // Bins 0, 0, 10 200 000, 10 200 000: bins 1 and 2 (columns 2–5) see Gx = 40 800 000. Column 3 is transparent:
    // it counts nothing though its bin sees the step; columns 2, 4 and 5 count 128 times.
    const step = 40_800_000;
    expect(Array.from(opaque.columns)).toEqual([0, 0, step, step, step, step, 0, 0]);
    expect(Array.from(half.columns)).toEqual([0, 0, 128 * step, 0, 128 * step, 128 * step, 0, 0]);
    expect(half.total).toBe(3 * 128 * step);
  });

  it("is 0 on a flat image and on 1×1 and 1-wide images without a step", () => {
    expect(detailProfile(grey(5, 4, () => 99)).total).toBe(0);
    expect(detailProfile(grey(1, 1, () => 200)).total).toBe(0);
    expect(detailProfile(grey(1, 6, () => 10)).total).toBe(0);
  });

  it("reads RGB as Rec. 709 luma: pure green next to black is 0.7152 of white's step", () => {
    const data = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 255, 0);
    const green = detailProfile({ data, width: 4, height: 1, channels: 3 });
    const white = detailProfile(grey(4, 1, (x) => (x >= 2 ? 255 : 0)));
    // Two bins, 0 and 4 × the right pixels' luma: Gx = 4 × that on both, taken by all four pixels.
    expect(green.total).toBe(4 * 16 * 7152 * 255);
    expect(white.total).toBe(4 * 16 * 10_000 * 255);
  });
});

describe("ratioSides and largestBox", () => {
  it("reads W:H in hundredths", () => {
    expect(ratioSides("16:9")).toEqual([1600, 900]);
    expect(ratioSides("1.91:1")).toEqual([191, 100]);
    expect(ratioSides("0.5:1.25")).toEqual([50, 125]);
  });

  it.each(["0:1", "1:0", "16x9", "1.234:1", "-1:2", ""])("rejects %j in words", (ratio) => {
    expect(() => ratioSides(ratio)).toThrow(/^Expected a ratio W:H .* for crop but received/);
  });

  it("takes the full height of a wider image and the full width of a taller one, rounding halves up", () => {
    expect(largestBox(536, 354, 100, 100)).toEqual([354, 354]);
    expect(largestBox(536, 354, 1600, 900)).toEqual([536, 302]); // 301.5
    expect(largestBox(354, 536, 900, 1600)).toEqual([302, 536]);
    expect(largestBox(5000, 3330, 300, 200)).toEqual([4995, 3330]);
    expect(largestBox(300, 200, 300, 200)).toEqual([300, 200]);
  });

  it("keeps at least 1 px", () => {
    expect(largestBox(4, 4, 2000, 100)).toEqual([4, 1]); // 0.2 px high
    expect(largestBox(4, 4, 100, 2000)).toEqual([1, 4]);
  });
});

describe("bestWindow", () => {
  it("takes the largest sum", () => {
    expect(bestWindow(Float64Array.of(9, 0, 0, 0, 1, 1), 2)).toEqual({ offset: 0, sum: 9 });
    expect(bestWindow(Float64Array.of(0, 0, 0, 0, 1, 1), 2)).toEqual({ offset: 4, sum: 2 });
  });

  it("breaks ties towards the centre, then towards the lower offset (the JSDoc's case)", () => {
    expect(bestWindow(Float64Array.of(0, 5, 0, 0, 5, 0), 2)).toEqual({ offset: 1, sum: 5 });
    expect(bestWindow(new Float64Array(9), 3)).toEqual({ offset: 3, sum: 0 });
    expect(bestWindow(new Float64Array(10), 3)).toEqual({ offset: 3, sum: 0 }); // 3 and 4 are as centred
  });

  it("a window of the whole line is offset 0", () => {
    expect(bestWindow(Float64Array.of(1, 2, 3), 3)).toEqual({ offset: 0, sum: 6 });
  });
});

describe("mapOffset", () => {
  it("scales the window's centre and rounds the box's offset, halves up (the JSDoc's case)", () => {
    expect(mapOffset(100, 200, 512, 5000, 3330)).toBe(288);
    // Same grid: the offset itself.
    expect(mapOffset(7, 10, 30, 30, 10)).toBe(7);
    // Twice the size: centre 2·(3 + 2) = 10, less 4: 6.
    expect(mapOffset(3, 4, 20, 40, 8)).toBe(6);
    // A half: centre (1 + 0.5)·3 = 4.5, less 1.5: 3.0; centre (0 + 0.5)·3 − 1 = 0.5 → 1.
    expect(mapOffset(0, 1, 10, 30, 2)).toBe(1);
  });

  it("clamps the box into the image", () => {
    expect(mapOffset(0, 3, 10, 100, 31)).toBe(0); // centre 15, less 15.5
    expect(mapOffset(7, 3, 10, 100, 31)).toBe(69); // centre 85, less 15.5 = 69.5 → 70 > 100 − 31
  });
});

describe("cropHints", () => {
  it("answers the ratios in the order asked, each the whole image's share when it is the image", () => {
    const pixels = grey(30, 20, (x, y) => (x * 7 + y * 3) % 256);
    const got = cropHints(pixels, ["3:2", "1:1", "16:9"], { width: 30, height: 20 });
    expect(Object.keys(got)).toEqual(["3:2", "1:1", "16:9"]);
    expect(got["3:2"]).toEqual({ left: 0, top: 0, width: 30, height: 20, detail_percent: 100 });
  });

  it("a flat image: every box centred, its share of the area", () => {
    const got = cropHints(
      grey(300, 200, () => 77),
      ["1:1", "16:9", "9:16", "20:1"],
      { width: 300, height: 200 },
    );
    expect(got["1:1"]).toEqual({ left: 50, top: 0, width: 200, height: 200, detail_percent: 66.7 });
    expect(got["16:9"]).toEqual({ left: 0, top: 16, width: 300, height: 169, detail_percent: 84.5 }); // 15.5 → 16
    expect(got["9:16"]).toEqual({ left: 94, top: 0, width: 113, height: 200, detail_percent: 37.7 }); // 93.5 → 94
    expect(got["20:1"]).toEqual({ left: 0, top: 93, width: 300, height: 15, detail_percent: 7.5 }); // 92.5 → 93
  });

  it("a fully transparent image counts as flat, whatever its pixels", () => {
    const next = bytes(1);
    const pixels = grey(
      40,
      20,
      () => next(),
      () => 0,
    );
    expect(cropHints(pixels, ["1:1"], { width: 40, height: 20 })["1:1"]).toEqual({
      left: 10,
      top: 0,
      width: 20,
      height: 20,
      detail_percent: 50,
    });
  });

  it("the box holds an off-centre detailed square, as close to the centre as it can", () => {
    // 100×50, a 6×6 checkerboard at x 5–10: bins 2–5 hold it, and their Sobel neighbours, bins 1–6, see it: its
    // detail spans columns 2–13. A 50-px square holds it from offsets 0 to 2; 2 is the nearest to the centre (25).
    const pixels = grey(100, 50, (x, y) => (x >= 5 && x < 11 && y >= 20 && y < 26 ? ((x + y) & 1) * 255 : 128));
    expect(cropHints(pixels, ["1:1"], { width: 100, height: 50 })["1:1"]).toEqual({
      left: 2,
      top: 0,
      width: 50,
      height: 50,
      detail_percent: 100,
    });
    // The same at 10× in the oriented image: the analysed offset 2 is 20.
    expect(cropHints(pixels, ["1:1"], { width: 1000, height: 500 })["1:1"]).toMatchObject({ left: 20, width: 500 });
  });

  it("a landscape with a smooth sky: a wide box leaves the sky for the busy ground", () => {
    const next = bytes(9);
    // Top two thirds a gentle gradient (1 level every 4 rows), the bottom third textured.
    const pixels = grey(120, 90, (_, y) => (y < 60 ? 150 + (y >> 2) : 60 + (next() >> 2)));
    const box = cropHints(pixels, ["3:1"], { width: 120, height: 90 })["3:1"];
    expect(box).toMatchObject({ left: 0, top: 50, width: 120, height: 40 });
    // The sky's steps of one level hold the rest (binning averages the ground's pixel noise, so they weigh more
    // than at full resolution: 93.4 %, not 96.9).
    expect(box?.detail_percent).toBeGreaterThan(90);
  });

  it("a portrait with a detailed face high up: a square box goes up to it", () => {
    const next = bytes(4);
    const pixels = grey(60, 100, (x, y) => ((x - 30) ** 2 + (y - 25) ** 2 < 15 ** 2 ? next() : 100 + (y >> 3)));
    const box = cropHints(pixels, ["1:1"], { width: 600, height: 1000 })["1:1"];
    expect(box?.left).toBe(0);
    expect(box?.width).toBe(600);
    expect(box?.top).toBeLessThanOrEqual(90); // the face spans y 100–400 in the oriented image
    expect(box?.detail_percent).toBeGreaterThan(95);
  });

  it("detail under transparent pixels does not draw the box", () => {
    const next = bytes(2);
    // Noise on the left (transparent), a faint opaque texture at x 70–80.
    const pixels = grey(
      100,
      20,
      (x) => (x < 40 ? next() : x >= 70 && x < 80 ? 100 + (next() >> 3) : 100),
      (x) => (x < 40 ? 0 : 255),
    );
    const box = cropHints(pixels, ["1:2"], { width: 100, height: 20 })["1:2"];
    expect(box?.width).toBe(10);
    expect(box?.left).toBeGreaterThanOrEqual(69);
    expect(box?.left).toBeLessThanOrEqual(71);
  });

  it("boxes stay inside the image, one side full, the other within half a pixel of the ratio (random sizes)", () => {
    const next = bytes(42);
    const random = (n: number) => Math.floor((((next() << 8) | next()) / 65_536) * n);
    for (let k = 0; k < 300; k++) {
      const w = 1 + random(64);
      const h = 1 + random(64);
      const scale = 1 + random(40) / 4;
      const oriented = { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
      const a = (1 + random(2000)) / 100;
      const b = (1 + random(2000)) / 100;
      if (a / b > 20 || b / a > 20) continue;
      const ratio = `${a}:${b}`;
      const pixels = grey(w, h, () => (random(4) === 0 ? next() : 128));
      const box = cropHints(pixels, [ratio], oriented)[ratio];
      if (!box) throw new Error(`Expected a box for ${ratio} but received none`);
      const at = `${w}×${h} → ${oriented.width}×${oriented.height}, ${ratio}: ${JSON.stringify(box)}`;
      for (const v of [box.left, box.top, box.width, box.height]) expect(Number.isInteger(v), at).toBe(true);
      expect(box.left, at).toBeGreaterThanOrEqual(0);
      expect(box.top, at).toBeGreaterThanOrEqual(0);
      expect(box.left + box.width, at).toBeLessThanOrEqual(oriented.width);
      expect(box.top + box.height, at).toBeLessThanOrEqual(oriented.height);
      const full = box.width === oriented.width || box.height === oriented.height;
      expect(full, at).toBe(true);
      const r = a / b;
      const off =
        box.height === oriented.height && box.width < oriented.width
          ? Math.abs(box.width - box.height * r)
          : Math.abs(box.height - box.width / r);
      if (box.width > 1 && box.height > 1) expect(off, at).toBeLessThanOrEqual(0.5 + 1e-9);
      expect(box.detail_percent, at).toBeGreaterThanOrEqual(0);
      expect(box.detail_percent, at).toBeLessThanOrEqual(100);
    }
  });

  it("rejects an oriented size that is not a positive integer, in words", () => {
    const pixels = grey(2, 2, () => 0);
    expect(() => cropHints(pixels, ["1:1"], { width: 0, height: 2 })).toThrow(
      "Expected a positive integer for the oriented width but received 0",
    );
    expect(() => cropHints(pixels, ["1:1"], { width: 2, height: 1.5 })).toThrow(
      "Expected a positive integer for the oriented height but received 1.5",
    );
  });

  it("gives the same boxes with the luma and alpha planes passed on", async () => {
    const { alphaPlane, lumaPlane } = await import("./planes.ts");
    const next = bytes(8);
    const pixels = grey(
      50,
      30,
      () => next(),
      (x) => (x < 10 ? 0 : 200),
    );
    const planes = { luma: lumaPlane(pixels), weights: alphaPlane(pixels) };
    const oriented = { width: 500, height: 300 };
    expect(cropHints(pixels, ["1:1", "9:16"], oriented, planes)).toEqual(cropHints(pixels, ["1:1", "9:16"], oriented));
  });
});
