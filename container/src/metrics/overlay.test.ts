import { describe, expect, it } from "vitest";
import { overlay, overlayFromPixels } from "../../test/reference/overlay.ts";
import { adviceFor, Y14, Y14_MAX } from "./overlay.ts";
import { scalePlane } from "./scales.ts";

/** An RGB image of `width` × `height` whose pixel (x, y) is grey `level(x, y)`. */
function grey(width: number, height: number, level: (x: number, y: number) => number) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.fill(level(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  const pixels = { data, width, height, channels: 3 };
  return scalePlane(pixels, "luminance");
}

describe("overlay advice", () => {
  it("advises black on white (21:1) and white on black (21:1)", () => {
    expect(
      overlay(
        grey(4, 4, () => 255),
        null,
        4,
        4,
        null,
      ),
    ).toEqual({
      text_color: "#000000",
      contrast_ratio: 21,
      wcag_aa: true,
      wcag_aa_large: true,
    });
    expect(
      overlay(
        grey(4, 4, () => 0),
        null,
        4,
        4,
        null,
      ),
    ).toMatchObject({ text_color: "#FFFFFF", contrast_ratio: 21 });
  });

  it("takes each colour's worst case over p10–p90: half black, half white is unreadable either way", () => {
    expect(
      overlay(
        grey(10, 10, (x) => (x < 5 ? 0 : 255)),
        null,
        10,
        10,
        null,
      ),
    ).toEqual({
      text_color: "#000000",
      contrast_ratio: 1,
      wcag_aa: false,
      wcag_aa_large: false,
    });
  });

  it("ignores the darkest and brightest tenth: a few black specks on white still get black text", () => {
    const specks = grey(10, 10, (x, y) => (y === 0 && x < 9 ? 0 : 255)); // 9 % black
    expect(overlay(specks, null, 10, 10, null)).toMatchObject({ text_color: "#000000", contrast_ratio: 21 });
  });

  it("gives #808080 black text at 5.31 and a darker grey (Y 0.1) white text at 7", () => {
    // Y(#808080) = 0.2158605: black (0.2158605 + 0.05) / 0.05 = 5.317; white 1.05 / 0.2658605 = 3.95.
    expect(adviceFor(0.2158605, 0.2158605)).toEqual({
      text_color: "#000000",
      contrast_ratio: 5.31,
      wcag_aa: true,
      wcag_aa_large: true,
    });
    expect(adviceFor(0.1, 0.1)).toMatchObject({ text_color: "#FFFFFF", contrast_ratio: 7 });
  });

  it("rounds the ratio down, so that a shown 4.5 passes AA and 4.49 does not", () => {
    // White text over p90 = 1.05 / r − 0.05 has ratio r; black over p10 = 0 has 1.
    expect(adviceFor(0, 1.05 / 4.5 - 0.05)).toMatchObject({
      text_color: "#FFFFFF",
      contrast_ratio: 4.5,
      wcag_aa: true,
    });
    expect(adviceFor(0, 1.05 / 4.4999 - 0.05)).toMatchObject({ contrast_ratio: 4.49, wcag_aa: false });
    expect(adviceFor(0, 1.05 / 3 - 0.05)).toMatchObject({ contrast_ratio: 3, wcag_aa: false, wcag_aa_large: true });
  });

  it("gives each band its own advice with edge_mode: dark left, bright right", () => {
    const plane = grey(20, 10, (x) => (x < 2 ? 0 : x >= 18 ? 255 : 128));
    const got = overlay(plane, null, 20, 10, "left_right");
    expect(got?.bands?.left).toMatchObject({ text_color: "#FFFFFF", contrast_ratio: 21 });
    expect(got?.bands?.right).toMatchObject({ text_color: "#000000", contrast_ratio: 21 });
    expect(got?.bands?.top).toBeUndefined();
    const all = overlay(plane, null, 20, 10, "all");
    expect(Object.keys(all?.bands ?? {})).toEqual(["left", "right", "top", "bottom"]);
  });

  it("weights by alpha, and gives null for a wholly transparent band", () => {
    const plane = grey(10, 1, (x) => (x < 5 ? 0 : 255));
    const alpha = Uint8Array.from({ length: 10 }, (_, x) => (x < 5 ? 0 : 255));
    const got = overlay(plane, alpha, 10, 1, "left_right");
    expect(got).toMatchObject({ text_color: "#000000", contrast_ratio: 21 });
    expect(got?.bands?.left).toBeNull();
    expect(overlay(plane, new Uint8Array(10), 10, 1, null)).toBeNull();
  });
});

describe("overlayFromPixels", () => {
  it("counts luminance on tables that never sum past the histogram (the colour pass does not clamp)", () => {
    const [yr, yg, yb] = Y14;
    for (let v = 1; v < 256; v++) {
      for (const table of Y14) expect(table[v] as number).toBeGreaterThanOrEqual(table[v - 1] as number);
    }
    expect((yr[255] as number) + (yg[255] as number) + (yb[255] as number)).toBe(Y14_MAX);
  });

  it("gives the plane version's advice, bands and weights included, on any small image", () => {
    let state = 99;
    const next = () => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state >>> 24;
    };
    for (let run = 0; run < 50; run++) {
      const width = 1 + (next() % 30);
      const height = 1 + (next() % 30);
      const channels = 1 + (next() % 4);
      const data = Uint8Array.from({ length: width * height * channels }, next);
      const pixels = { data, width, height, channels };
      const weights =
        channels === 2 || channels === 4
          ? Uint8Array.from({ length: width * height }, (_, i) => data[i * channels + channels - 1] as number)
          : null;
      const want = overlay(scalePlane(pixels, "luminance"), weights, width, height, "all");
      const got = overlayFromPixels(pixels, weights, "all");
      if (!want) {
        expect(got).toBeNull();
        continue;
      }
      const regions = [
        [got, want],
        ...(["left", "right", "top", "bottom"] as const).map((b) => [got?.bands?.[b], want.bands?.[b]]),
      ];
      for (const [g, w] of regions) {
        if (!w) {
          expect(g).toBeNull();
          continue;
        }
        expect(Math.abs((g?.contrast_ratio ?? 0) - w.contrast_ratio)).toBeLessThanOrEqual(0.011);
        // The colours may differ only where black's and white's worst cases tie within that rounding.
      }
    }
  });
});
