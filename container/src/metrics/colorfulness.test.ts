import { describe, expect, it } from "vitest";
import { colorfulness } from "../../test/reference/colorfulness.ts";
import { colorfulnessLabel } from "./colorfulness.ts";

const rgb = (...pixels: Array<[number, number, number]>) => ({
  data: Uint8Array.from(pixels.flat()),
  width: pixels.length,
  height: 1,
  channels: 3,
});

describe("colorfulness (Hasler & Süsstrunk 2003)", () => {
  it("is 0 for any grey, in RGB and in one channel", () => {
    expect(colorfulness(rgb([0, 0, 0], [128, 128, 128], [255, 255, 255]), null)).toEqual({
      value: 0,
      label: "not colorful",
    });
    expect(colorfulness({ data: Uint8Array.of(0, 255), width: 2, height: 1, channels: 1 }, null)?.value).toBe(0);
  });

  it("gives a flat pure colour 0.3 · √(μ²rg + μ²yb)", () => {
    // red: rg = 255, yb = 127.5; green: rg = −255, yb = 127.5; blue: rg = 0, yb = −255.
    expect(colorfulness(rgb([255, 0, 0]), null)?.value).toBe(85.53);
    expect(colorfulness(rgb([0, 255, 0]), null)?.value).toBe(85.53);
    expect(colorfulness(rgb([0, 0, 255]), null)).toEqual({ value: 76.5, label: "quite colorful" });
  });

  it("adds the spread: half red, half green has μrg = 0 and σrg = 255", () => {
    // rg: ±255 → σ = 255, μ = 0; yb: 127.5 both → σ = 0, μ = 127.5: M = 255 + 0.3 · 127.5.
    expect(colorfulness(rgb([255, 0, 0], [0, 255, 0]), null)).toEqual({ value: 293.25, label: "extremely colorful" });
  });

  it("weights each pixel by its alpha", () => {
    const px = rgb([255, 0, 0], [128, 128, 128]);
    expect(colorfulness(px, Uint8Array.of(255, 0))?.value).toBe(85.53);
    expect(colorfulness(px, Uint8Array.of(0, 0))).toBeNull();
    // RGBA layout: the alpha channel is skipped, the weights plane counts.
    const rgba = { data: Uint8Array.of(0, 0, 255, 9, 0, 0, 0, 9), width: 2, height: 1, channels: 4 };
    expect(colorfulness(rgba, Uint8Array.of(9, 0))?.value).toBe(76.5);
  });

  it("labels by the highest category not above M", () => {
    expect(colorfulnessLabel(0)).toBe("not colorful");
    expect(colorfulnessLabel(14.99)).toBe("not colorful");
    expect(colorfulnessLabel(15)).toBe("slightly colorful");
    expect(colorfulnessLabel(44.99)).toBe("moderately colorful");
    expect(colorfulnessLabel(45)).toBe("averagely colorful");
    expect(colorfulnessLabel(59)).toBe("quite colorful");
    expect(colorfulnessLabel(82)).toBe("highly colorful");
    expect(colorfulnessLabel(109)).toBe("extremely colorful");
  });
});
