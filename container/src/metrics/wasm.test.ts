import { readFileSync } from "node:fs";
import asc from "assemblyscript/asc";
import { describe, expect, it } from "vitest";
import { colorfulness } from "../../test/reference/colorfulness.ts";
import { colors } from "../../test/reference/colors.ts";
import { overlayFromPixels } from "../../test/reference/overlay.ts";
import { colourMetrics } from "./colour-pass.ts";
import { neighbourhood } from "./neighbourhood.ts";
import { alphaPlane, type PixelImage } from "./planes.ts";
import { passMemory } from "./wasm.ts";

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
});
