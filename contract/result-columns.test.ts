import { stringify } from "csv-stringify/sync";
import { describe, expect, it } from "vitest";
import { MAX_COLORS, parseAnalysisParams } from "./analysis.ts";
import examples from "./examples.json" with { type: "json" };
import type { JobResultLine } from "./jobs.ts";
import { flattenResult, jobCsv, RESULT_FIELDS, resultColumns, safeCell } from "./result-columns.ts";
import { AnalysisResponseSchema } from "./schemas.ts";

const columns = (query: string) => resultColumns(parseAnalysisParams(new URLSearchParams(query)));
/** The facts every result has, in the response's order; the Worker puts `cached` and the time last. */
const FACTS = ["width", "height", "algorithm", "format", "oriented_width", "oriented_height"];
const ANALYSED = ["analysed_width", "analysed_height"];
const LAST = ["cached", "processing_time_ms"];
const advice = (prefix: string) =>
  ["text_color", "contrast_ratio", "wcag_aa", "wcag_aa_large"].map((f) => `${prefix}.${f}`);

describe("resultColumns", () => {
  it("gives v1's columns in the response's order (the header the jobs' CSV has always had for them)", () => {
    expect(columns("metrics=brightness,median")).toEqual([
      "brightness_score",
      "average_luminance",
      "median_luminance",
      ...FACTS,
      ...ANALYSED,
      ...LAST,
    ]);
    expect(columns("metrics=histogram&edge_mode=left_right")).toEqual([
      ...Array.from({ length: 10 }, (_, i) => [`histogram.${i}.range`, `histogram.${i}.percent`]).flat(),
      "edge_brightness_score",
      "edge_average_luminance",
      "edge_mode",
      ...FACTS,
      ...ANALYSED,
      ...LAST,
    ]);
  });

  it.each(Array.from({ length: MAX_COLORS }, (_, i) => i + 1))(
    "has %i dominant colours' columns for colors=%i",
    (n) => {
      const dominant = columns(`metrics=colors&colors=${n}`).filter((c) => c.startsWith("colors.dominant."));
      const one = ["hex", "rgb.0", "rgb.1", "rgb.2", "percent", "name", "family"];
      expect(dominant).toEqual(Array.from({ length: n }, (_, i) => one.map((f) => `colors.dominant.${i}.${f}`)).flat());
    },
  );

  it("has the default five dominant colours when colors is not given", () => {
    expect(columns("metrics=colors")).toEqual(columns("metrics=colors&colors=5"));
    expect(columns("metrics=colors")).toContain("colors.dominant.4.family");
    expect(columns("metrics=colors")).not.toContain("colors.dominant.5.hex");
  });

  it.each([
    ["", []],
    ["&edge_mode=left_right", ["left", "right"]],
    ["&edge_mode=top_bottom", ["top", "bottom"]],
    ["&edge_mode=all", ["left", "right", "top", "bottom"]],
  ])("has the overlay bands of the edge mode (%s)", (edge, bands) => {
    const overlay = columns(`metrics=overlay${edge}`).filter((c) => c.startsWith("overlay."));
    expect(overlay).toEqual([...advice("overlay"), ...bands.flatMap((band) => advice(`overlay.bands.${band}`))]);
  });

  it("lists every field of metrics=all&edge_mode=all once: 255 columns, counted by hand", () => {
    const all = columns("metrics=all&edge_mode=all");
    // 10 facts, brightness 2, median 1, histogram 20, edges 3, contrast 7, sharpness 3, edge_density 1,
    // colorfulness 2, colors 4 + 5 × 7, overlay 4 + 4 × 4, placeholder 3 (111 in v2); compression 6, noise 3,
    // hash 3, metadata 23 (privacy and the delays one cell each), crop 3 default ratios × 5, accessibility
    // 3 × (5 × 5 + 3 + 3), thumbhash 1.
    expect(all).toHaveLength(255);
    expect(new Set(all).size).toBe(all.length);
    expect(all.slice(-3)).toEqual(["thumbhash", ...LAST]);
    // The insights in the container's order: edge_density before colorfulness, then v3's in the schema's.
    const firsts = [
      "contrast.rms",
      "sharpness.laplacian_variance",
      "edge_density.percent",
      "colorfulness.value",
      "compression.quality",
      "noise.sigma",
      "hash.perceptual",
      "metadata.space",
      "crop.1:1.left",
      "accessibility.protanopia.dominant.0.hex",
    ];
    expect(all.filter((c) => firsts.includes(c))).toEqual(firsts);
  });

  it("gives crop a box per ratio asked for, the colour-blind palettes as many colours as colors=, lists in one cell", () => {
    const crop = columns("metrics=crop&crop=16:9,1.91:1").filter((c) => c.startsWith("crop."));
    expect(crop).toEqual(
      ["16:9", "1.91:1"].flatMap((r) =>
        ["left", "top", "width", "height", "detail_percent"].map((f) => `crop.${r}.${f}`),
      ),
    );
    const palette = columns("metrics=accessibility&colors=2").filter((c) =>
      /^accessibility\.tritanopia\.dominant\.\d+\.hex$/.test(c),
    );
    expect(palette).toEqual(["accessibility.tritanopia.dominant.0.hex", "accessibility.tritanopia.dominant.1.hex"]);
    const metadata = columns("metrics=metadata");
    expect(metadata).toContain("metadata.privacy");
    expect(metadata).toContain("metadata.animation.delays_ms");
    expect(metadata.filter((c) => c.startsWith("metadata.privacy"))).toHaveLength(1);
    expect(
      flattenResult({ metadata: { privacy: ["location", "owner"], animation: { delays_ms: [100, 40] } } }),
    ).toEqual({ "metadata.privacy": "location owner", "metadata.animation.delays_ms": "100 40" });
  });

  it("depends on no parameter that does not decide which fields a result has", () => {
    const base = columns("metrics=all&edge_mode=top_bottom&colors=3");
    expect(columns("metrics=all&edge_mode=top_bottom&colors=3&algorithm=lstar&background=ff8800")).toEqual(base);
    expect(columns("metrics=overlay,colors,all&edge_mode=TOP_BOTTOM&colors=3")).toEqual(base);
  });

  it("places every field of the response schema (a new one fails here until it is given a place)", () => {
    expect(Object.keys(RESULT_FIELDS).sort()).toEqual(Object.keys(AnalysisResponseSchema.shape).sort());
  });

  // The published examples are real answers (scripts/examples.ts); their key order is the container's, so this
  // compares names; the order of a real Worker answer is compared in worker/test/jobs/jobs.test.ts.
  it.each([
    ["brightness", ""],
    ["large", "metrics=median&edge_mode=left_right"],
    ["insights", "metrics=all&edge_mode=all"],
  ] as const)("has exactly the fields of the published example %s", (name, query) => {
    const flat = flattenResult(examples[name].value);
    // A null object (a still image's metadata.animation) stands for its fields, which are its empty cells.
    const nulls = Object.keys(flat).filter((key) => flat[key] === null && !columns(query).includes(key));
    const covered = columns(query).filter((column) => !nulls.some((key) => column.startsWith(`${key}.`)));
    expect(
      Object.keys(flat)
        .filter((key) => !nulls.includes(key))
        .sort(),
    ).toEqual(covered.sort());
    expect(nulls.every((key) => columns(query).some((column) => column.startsWith(`${key}.`)))).toBe(true);
  });
});

describe("flattenResult", () => {
  it("names nested fields with dots and keeps nulls", () => {
    expect(
      flattenResult({
        edge_brightness_score: null,
        histogram: [{ range: "0-25", percent: 10 }],
        colors: { average: { hex: "#FF0000", rgb: [255, 0, 0] } },
        overlay: { wcag_aa: false, bands: { left: null } },
      }),
    ).toEqual({
      edge_brightness_score: null,
      "histogram.0.range": "0-25",
      "histogram.0.percent": 10,
      "colors.average.hex": "#FF0000",
      "colors.average.rgb.0": 255,
      "colors.average.rgb.1": 0,
      "colors.average.rgb.2": 0,
      "overlay.wcag_aa": false,
      "overlay.bands.left": null,
    });
  });
});

describe("safeCell", () => {
  it.each([
    ["=", '=HYPERLINK("http://x","y")'],
    ["+", "+1+cmd|' /C calc'!A0"],
    ["-", "-2+3"],
    ["@", "@SUM(A1:A2)"],
    ["tab", "\t=1+1"],
    ["carriage return", "\r=1+1"],
  ])("prefixes a string that starts with %s with a single quote", (_, value) => {
    expect(safeCell(value)).toBe(`'${value}`);
  });

  it("leaves other strings, numbers (negative ones too), empty cells and booleans as they are", () => {
    for (const value of ["sku-1", "a=b", "", " =1", "'quoted", "https://example.com/=x.png", "true", "false"]) {
      expect(safeCell(value), value).toBe(value);
    }
    for (const value of [-3, -0.5, 0, 42]) expect(safeCell(value)).toBe(value);
    expect(safeCell(null)).toBeNull();
  });
});

describe("jobCsv", () => {
  const params = parseAnalysisParams(new URLSearchParams("metrics=brightness"));
  const result = { ...examples.brightness.value, cached: false, processing_time_ms: 12 } as never;

  it("neutralises a caller's formula in any string cell, and writes numbers and booleans as they are", () => {
    const csv = jobCsv(params);
    const failed = csv.row({
      index: 0,
      id: '=HYPERLINK("http://x","y")',
      source: "upload:@evil.png",
      status: "failed",
      error: { error: "-not an image", code: "invalid_image" },
    } as JobResultLine);
    expect(failed.slice(0, 6)).toEqual([
      0,
      `'=HYPERLINK("http://x","y")`,
      "upload:@evil.png", // starts with `u`: not a formula
      "failed",
      "invalid_image",
      "'-not an image",
    ]);
    const succeeded = csv.row({ index: 1, id: "+1", source: "https://example.com/a.png", status: "succeeded", result });
    expect(succeeded.slice(0, 4)).toEqual([1, "'+1", "https://example.com/a.png", "succeeded"]);
    const cell = (column: string) => succeeded[csv.header.indexOf(column)];
    expect(cell("result.brightness_score")).toBe(examples.brightness.value.brightness_score);
    expect(cell("result.cached")).toBe("false");
    // As the API and the CLI write it: the quote inside the field, which RFC 4180 quoting wraps whole.
    expect(stringify([failed.slice(0, 2)])).toBe(`0,"'=HYPERLINK(""http://x"",""y"")"\n`);
  });
});
