import { describe, expect, it } from "vitest";
import { colourFamily } from "./colour-family.ts";
import { CSS_NAMED_COLOURS, nearestCssColour } from "./css-colours.ts";
import { ciede2000, srgbToLab } from "./lab.ts";

const lab = (hex: number) => srgbToLab(hex >> 16, (hex >> 8) & 0xff, hex & 0xff);

describe("CSS named colours", () => {
  it("are the 148 keywords of CSS Color 4, alphabetical, rebeccapurple included", () => {
    expect(CSS_NAMED_COLOURS).toHaveLength(148);
    const names = CSS_NAMED_COLOURS.map(([n]) => n);
    expect([...names].sort()).toEqual(names);
    expect(new Set(names).size).toBe(148);
    expect(CSS_NAMED_COLOURS.find(([n]) => n === "rebeccapurple")?.[1]).toBe(0x663399);
    expect(CSS_NAMED_COLOURS.find(([n]) => n === "orange")?.[1]).toBe(0xffa500);
  });

  it("name every named colour itself, or its first alias", () => {
    const aliases: Record<string, string> = { cyan: "aqua", magenta: "fuchsia", grey: "gray" };
    for (const [name, hex] of CSS_NAMED_COLOURS) {
      const want = aliases[name] ?? name.replace(/grey$/, "gray");
      expect(nearestCssColour(lab(hex)), name).toBe(want);
    }
  });

  it("name colours near one by CIEDE2000", () => {
    expect(nearestCssColour(srgbToLab(250, 5, 5))).toBe("red");
    expect(nearestCssColour(srgbToLab(127, 127, 127))).toBe("gray");
    expect(nearestCssColour(srgbToLab(0, 0, 120))).toBe("navy");
  });

  it("are the very ones a full scan of all 148 ΔE00s finds (the lightness bound skips none that could win)", () => {
    const table = CSS_NAMED_COLOURS.map(([name, hex]) => [name, lab(hex)] as const);
    let state = 12345;
    for (let n = 0; n < 3000; n++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      const colour = srgbToLab(state >>> 24, (state >>> 16) & 0xff, (state >>> 8) & 0xff);
      let want = "";
      let best = Number.POSITIVE_INFINITY;
      for (const [name, ref] of table) {
        const d = ciede2000(colour, ref);
        if (d < best) [best, want] = [d, name];
      }
      expect(nearestCssColour(colour)).toBe(want);
    }
  });
});

describe("colour families", () => {
  it.each([
    ["ff0000", "red"],
    ["ffa500", "orange"],
    ["ffff00", "yellow"],
    ["00ff00", "green"],
    ["00ffff", "cyan"],
    ["0000ff", "blue"],
    ["800080", "purple"],
    ["ff00ff", "purple"],
    ["ffc0cb", "pink"],
    ["ff69b4", "pink"],
    ["8b4513", "brown"],
    ["a52a2a", "brown"],
    ["000000", "black"],
    ["000080", "blue"],
    ["ffffff", "white"],
    ["808080", "grey"],
    ["c0c0c0", "grey"],
    ["008000", "green"],
    ["008080", "cyan"],
    ["800000", "red"],
  ] as const)("puts #%s in %s", (hex, family) => {
    expect(colourFamily(lab(Number.parseInt(hex, 16)))).toBe(family);
  });
});
