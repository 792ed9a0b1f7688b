import { describe, expect, it } from "vitest";
import { averageColour, colors, dominantClusters } from "../../test/reference/colors.ts";
import { hexOf } from "./colors.ts";

const rgb = (...pixels: Array<[number, number, number]>) => ({
  data: Uint8Array.from(pixels.flat()),
  width: pixels.length,
  height: 1,
  channels: 3,
});
const repeat = <T>(n: number, value: T): T[] => Array.from({ length: n }, () => value);

describe("average colour", () => {
  it("is the mean in linear light: black and white give #BCBCBC, not #808080", () => {
    expect(averageColour(rgb([0, 0, 0], [255, 255, 255]), null)).toEqual([188, 188, 188]);
    expect(averageColour({ data: Uint8Array.of(0, 255), width: 2, height: 1, channels: 1 }, null)).toEqual([
      188, 188, 188,
    ]);
  });

  it("is the colour itself on a flat image, and skips transparent pixels", () => {
    expect(averageColour(rgb(...repeat(7, [12, 200, 99] as [number, number, number])), null)).toEqual([12, 200, 99]);
    expect(averageColour(rgb([255, 0, 0], [0, 0, 255]), Uint8Array.of(255, 0))).toEqual([255, 0, 0]);
    expect(averageColour(rgb([255, 0, 0]), Uint8Array.of(0))).toBeNull();
  });
});

describe("dominant colours", () => {
  it("split a two-colour image into its two colours with their shares", () => {
    const px = rgb(
      ...repeat(30, [255, 0, 0] as [number, number, number]),
      ...repeat(10, [0, 0, 255] as [number, number, number]),
    );
    const got = colors(px, null, 5);
    expect(got?.dominant).toEqual([
      { hex: "#FF0000", rgb: [255, 0, 0], percent: 75, name: "red", family: "red" },
      { hex: "#0000FF", rgb: [0, 0, 255], percent: 25, name: "blue", family: "blue" },
    ]);
  });

  it("weigh each pixel by its alpha", () => {
    const px = rgb([255, 255, 255], [0, 0, 0]);
    expect(colors(px, Uint8Array.of(255, 85), 2)?.dominant.map((d) => [d.hex, d.percent])).toEqual([
      ["#FFFFFF", 75],
      ["#000000", 25],
    ]);
  });

  it("give at most n clusters, heaviest first", () => {
    const px = rgb(
      ...repeat(5, [255, 0, 0] as [number, number, number]),
      ...repeat(4, [0, 255, 0] as [number, number, number]),
      ...repeat(3, [0, 0, 255] as [number, number, number]),
      ...repeat(2, [255, 255, 0] as [number, number, number]),
    );
    const two = dominantClusters(px, null, 2);
    expect(two).toHaveLength(2);
    expect(two[0]?.weight).toBeGreaterThanOrEqual(two[1]?.weight ?? 0);
    expect(colors(px, null, 10)?.dominant.map((d) => d.name)).toEqual(["red", "lime", "blue", "yellow"]);
  });

  it("are deterministic: the same bytes give the same answer", () => {
    const data = new Uint8Array(64 * 64 * 3);
    let state = 12345;
    for (let i = 0; i < data.length; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      data[i] = state >>> 24;
    }
    const px = { data, width: 64, height: 64, channels: 3 };
    const once = colors(px, null, 8);
    expect(colors({ ...px, data: data.slice() }, null, 8)).toEqual(once);
    expect(once?.dominant).toHaveLength(8);
    expect(once?.dominant.reduce((a, d) => a + d.percent, 0)).toBeCloseTo(100, 1);
  });

  it("work on grey images, one level per bin", () => {
    const px = { data: Uint8Array.of(10, 10, 10, 240), width: 4, height: 1, channels: 1 };
    expect(colors(px, null, 2)?.dominant.map((d) => [d.hex, d.percent, d.family])).toEqual([
      ["#0A0A0A", 75, "black"],
      ["#F0F0F0", 25, "white"],
    ]);
  });
});

describe("hexOf", () => {
  it("writes #RRGGBB in upper case", () => {
    expect(hexOf([255, 8, 171])).toBe("#FF08AB");
  });
});
