import { readFileSync } from "node:fs";
import asc from "assemblyscript/asc";
import { describe, expect, it } from "vitest";
import { blockinessSums } from "../../test/reference/blockiness.ts";
import { colorfulness } from "../../test/reference/colorfulness.ts";
import { colors } from "../../test/reference/colors.ts";
import { immerkaerSum } from "../../test/reference/noise.ts";
import { overlayFromPixels } from "../../test/reference/overlay.ts";
import { colourMetrics } from "./colour-pass.ts";
import { fullResolutionSums } from "./full-resolution.ts";
import { neighbourhood } from "./neighbourhood.ts";
import { alphaPlane, type PixelImage } from "./planes.ts";
import { passMemory, runFullResolutionPass } from "./wasm.ts";

/** Pixels from a fixed-seed generator (xorshift32): the same image on every run. */
function noise(width: number, height: number, channels: number, seed = 7): PixelImage {
  const data = new Uint8Array(width * height * channels);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = (s >>> 0) & 0xff;
  }
  return { data, width, height, channels };
}

/** Each colour metric by its own JavaScript function, and by the WebAssembly pass. */
function bothWays(pixels: PixelImage) {
  const weights = alphaPlane(pixels);
  return {
    got: colourMetrics(pixels, weights, { colorfulness: true, colors: 6, overlay: "all" }),
    want: {
      colorfulness: colorfulness(pixels, weights),
      colors: colors(pixels, weights, 6),
      overlay: overlayFromPixels(pixels, weights, "all"),
    },
  };
}

describe("the WebAssembly passes", () => {
  it("passes.wasm is what container/wasm/passes.ts compiles to (npm run build:wasm)", async () => {
    const outputs: Record<string, Uint8Array | string> = {};
    const { error, stderr } = await asc.main(
      ["container/wasm/passes.ts", "--config", "container/wasm/asconfig.json", "--target", "release"],
      {
        writeFile: (name: string, contents: Uint8Array | string) => {
          outputs[name] = contents;
        },
      },
    );
    expect(error, stderr.toString()).toBeNull();
    const built = Object.entries(outputs).find(([name]) => name.endsWith("passes.wasm"))?.[1];
    expect(built).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(built as Uint8Array).equals(readFileSync(new URL("./passes.wasm", import.meta.url)))).toBe(true);
  }, 60_000);

  it("grows its memory for an image larger than the analysed size, and gives the same answers after", () => {
    const small = noise(40, 30, 4);
    const before = bothWays(small);
    expect(before.got).toEqual(before.want);
    const roomBefore = passMemory(0).plane.length;

    const big = noise(700, 600, 4, 11);
    const grown = bothWays(big);
    expect(grown.got).toEqual(grown.want);
    expect(passMemory(0).plane.length).toBe(700 * 600);
    expect(roomBefore).toBeLessThan(700 * 600);

    // A vertical step 0 | 255 across the big plane: the Laplacian is ±255 on the two columns beside it (variance
    // 2 · 255² / 700 with mean 0), and the Sobel sees those two columns as edges, on every row.
    const plane = new Uint32Array(700 * 600).map((_, i) => (i % 700 < 350 ? 0 : 2_550_000));
    const stats = neighbourhood(plane, 700, 600, null);
    expect(stats.laplacianVariance).toBeCloseTo((2 * 255 ** 2) / 700, 9);
    expect(stats.edgeWeight).toBe(2 * 600);

    // And an image of the old size once more, in the grown memory.
    const after = bothWays(noise(40, 30, 3, 5));
    expect(after.got).toEqual(after.want);
  });

  it("makes the full-resolution sums the JavaScript references make, at every width's leftover columns and channel count", () => {
    let seed = 3;
    for (const [width, height] of [
      [3, 3],
      [4, 7],
      [5, 3],
      [8, 9],
      [16, 16],
      [17, 18],
      [21, 16],
      [130, 41],
      [536, 354],
    ] as const) {
      for (const channels of [1, 2, 3, 4]) {
        const pixels = noise(width, height, channels, seed++);
        const got = fullResolutionSums(pixels);
        const label = `${width}×${height}×${channels}`;
        expect(got.immerkaer, label).toEqual(immerkaerSum(pixels));
        expect(got.blockiness, label).toEqual(blockinessSums(pixels));
      }
    }
  });

  it("carries its rows from band to band, and sums past 2^32 without wrapping", () => {
    // 1 001 × 300 × 4 bytes is several 256 KB bands, the last one short.
    const banded = noise(1001, 300, 4, 17);
    expect(fullResolutionSums(banded).immerkaer).toEqual(immerkaerSum(banded));
    expect(fullResolutionSums(banded).blockiness).toEqual(blockinessSums(banded));
    // A black and white checkerboard is Immerkær's largest response, 8 · 255 levels at every interior pixel: a
    // 2 000-pixel row sums to 4 × 10^10 (×10 000), past 32 bits in each lane's share.
    const width = 2000;
    const height = 40;
    const board = new Uint8Array(width * height)
      .map((_, i) => ((i % width) + Math.floor(i / width)) % 2)
      .map((v) => v * 255);
    const pixels = { data: board, width, height, channels: 1 };
    const totals = runFullResolutionPass(pixels);
    expect(totals.immerkaer).toBe(8 * 255 * 10_000 * (width - 2) * (height - 2));
    expect(totals.boundary + totals.interior).toBe(255 * 10_000 * ((width - 1) * height + (height - 1) * width));
    expect(fullResolutionSums(pixels).blockiness).toEqual(blockinessSums(pixels));
  });

  it("leaves the other passes' memory usable after growing it for its scratch", () => {
    const before = bothWays(noise(40, 30, 4, 23));
    const buffer = passMemory(0).data.buffer;
    const wide = noise(40_000, 3, 3, 29); // a 120 KB row and 800 KB of luma rows: memory grows for them
    expect(fullResolutionSums(wide).immerkaer).toEqual(immerkaerSum(wide));
    expect(passMemory(0).data.buffer).not.toBe(buffer);
    const after = bothWays(noise(40, 30, 4, 23));
    expect(after.got).toEqual(before.want);
  });
});
