import { describe, expect, it } from "vitest";
import {
  canonicalQuery,
  parseAlgorithm,
  parseAnalysisFields,
  parseAnalysisParams,
  parseBackground,
  parseColors,
  parseCrop,
  parseEdgeMode,
  parseMetrics,
} from "./analysis.ts";
import { ApiError } from "./errors.ts";

function envelopeOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, ...err.toEnvelope("r") };
    throw err;
  }
  throw new Error("expected an ApiError");
}

describe("parseMetrics", () => {
  it("defaults to brightness when absent or empty", () => {
    expect(parseMetrics(undefined)).toEqual(["brightness"]);
    expect(parseMetrics("")).toEqual(["brightness"]);
    expect(parseMetrics(" , ")).toEqual(["brightness"]);
  });

  it("trims, ignores case, sorts and removes duplicates", () => {
    expect(parseMetrics(" Histogram ,MEDIAN,median")).toEqual(["median", "histogram"]);
    expect(parseMetrics("median")).toEqual(["median"]);
  });

  it("answers unknown metrics with the reference's 400, listing every valid one and all", () => {
    expect(envelopeOf(() => parseMetrics("brightness,colour,Sharpnes"))).toEqual({
      status: 400,
      detail: {
        error: "Invalid metrics requested",
        code: "invalid_metrics",
        invalid_metrics: ["colour", "sharpnes"],
        valid_metrics: [
          "brightness",
          "median",
          "histogram",
          "contrast",
          "sharpness",
          "colorfulness",
          "colors",
          "edge_density",
          "overlay",
          "placeholder",
          "compression",
          "noise",
          "hash",
          "metadata",
          "crop",
          "accessibility",
          "thumbhash",
          "all",
        ],
        request_id: "r",
      },
    });
  });

  it("takes all for every metric", () => {
    expect(parseMetrics("ALL")).toHaveLength(17);
    expect(parseMetrics("median,all")).toEqual(parseMetrics("all"));
  });
});

describe("parseColors", () => {
  it("takes 1 to 10, 5 by default, and joins the parameters only with metrics=colors, not at its default", () => {
    expect(parseColors("3")).toBe(3);
    expect(parseColors(10)).toBe(10);
    expect(parseColors(undefined)).toBe(5);
    for (const bad of ["0", "11", "2.5", "five", "-1"]) {
      expect(envelopeOf(() => parseColors(bad))).toMatchObject({ status: 400, detail: { code: "invalid_colors" } });
    }
    expect(canonicalQuery(parseAnalysisParams(new URLSearchParams("metrics=colors&colors=3")))).toBe(
      "metrics=colors&colors=3",
    );
    expect(canonicalQuery(parseAnalysisParams(new URLSearchParams("metrics=colors&colors=5")))).toBe("metrics=colors");
    expect(canonicalQuery(parseAnalysisParams(new URLSearchParams("metrics=median&colors=3")))).toBe("metrics=median");
  });
});

describe("parseAlgorithm", () => {
  it("takes the three scales in any case, rec709 when absent", () => {
    expect(parseAlgorithm("LStar")).toBe("lstar");
    expect(parseAlgorithm(" luminance ")).toBe("luminance");
    expect(parseAlgorithm(undefined)).toBe("rec709");
    expect(parseAlgorithm("")).toBe("rec709");
  });

  it("answers another with the reference's style of 400, naming the valid ones", () => {
    expect(envelopeOf(() => parseAlgorithm("hsp"))).toEqual({
      status: 400,
      detail: {
        error: "Invalid algorithm requested",
        code: "invalid_algorithm",
        received: "hsp",
        valid_algorithms: ["rec709", "luminance", "lstar"],
        request_id: "r",
      },
    });
  });

  it("joins the parameters (and so the cache key) only when it is not the default", () => {
    const canonical = (q: string) => canonicalQuery(parseAnalysisParams(new URLSearchParams(q)));
    expect(canonical("algorithm=rec709")).toBe("metrics=brightness");
    expect(canonical("algorithm=REC709&metrics=median")).toBe("metrics=median");
    expect(canonical("algorithm=LSTAR")).toBe("metrics=brightness&algorithm=lstar");
    expect(canonical("metrics=colors&colors=3&algorithm=luminance")).toBe(
      "metrics=colors&colors=3&algorithm=luminance",
    );
    expect(parseAnalysisFields({ algorithm: "lstar", metrics: ["median"] })).toEqual({
      metrics: ["median"],
      edgeMode: null,
      background: null,
      algorithm: "lstar",
    });
  });
});

describe("parseEdgeMode", () => {
  it("accepts the three modes in any case, and nothing for absent", () => {
    expect(parseEdgeMode("TOP_bottom")).toBe("top_bottom");
    expect(parseEdgeMode(null)).toBeNull();
    expect(parseEdgeMode("")).toBeNull();
  });

  it("answers another mode with the reference's 400", () => {
    expect(envelopeOf(() => parseEdgeMode("diagonal"))).toEqual({
      status: 400,
      detail: {
        error: "Invalid edge_mode requested",
        code: "invalid_edge_mode",
        received: "diagonal",
        valid_modes: ["left_right", "top_bottom", "all"],
        request_id: "r",
      },
    });
  });
});

describe("parseBackground", () => {
  it("reads RRGGBB, with or without #", () => {
    expect(parseBackground("ff8800")).toEqual({ r: 255, g: 136, b: 0 });
    expect(parseBackground("#00FF7f")).toEqual({ r: 0, g: 255, b: 127 });
    expect(parseBackground(undefined)).toBeNull();
  });

  it("answers anything else with 400 invalid_background", () => {
    for (const bad of ["orange", "fff", "12345g", "ff88001"]) {
      expect(envelopeOf(() => parseBackground(bad)).detail).toMatchObject({
        code: "invalid_background",
        received: bad,
      });
    }
  });
});

describe("parseAnalysisParams", () => {
  it("reads all three from a query", () => {
    const query = new URL("https://x/?metrics=median&edge_mode=ALL&background=ffffff").searchParams;
    expect(parseAnalysisParams(query)).toEqual({
      metrics: ["median"],
      edgeMode: "all",
      background: { r: 255, g: 255, b: 255 },
    });
  });
});

describe("canonicalQuery", () => {
  it("writes equal parameters the same way, whatever the request said", () => {
    const a = parseAnalysisParams(
      new URL("https://x/?metrics=Median,brightness&edge_mode=ALL&background=%23FFaa00").searchParams,
    );
    const b = parseAnalysisParams(
      new URL("https://x/?background=ffaa00&metrics=brightness,median,median&edge_mode=all").searchParams,
    );
    expect(canonicalQuery(a)).toBe("metrics=brightness,median&edge_mode=all&background=ffaa00");
    expect(canonicalQuery(b)).toBe(canonicalQuery(a));
    expect(canonicalQuery(parseAnalysisParams(new URLSearchParams()))).toBe("metrics=brightness");
  });
});

describe("parseCrop", () => {
  it("defaults to square, 4:5 and 16:9; trims, drops repeats, keeps the order asked for", () => {
    expect(parseCrop(undefined)).toEqual(["1:1", "4:5", "16:9"]);
    expect(parseCrop(" 16:9 , 1:1,16.0:9, 1.91:1")).toEqual(["16:9", "1:1", "1.91:1"]);
  });

  it.each([
    ["0:1", "Expected W:H with both sides above 0"],
    ["1:0", "Expected W:H with both sides above 0"],
    ["16x9", "Expected W:H with both sides above 0"],
    ["-1:1", "Expected W:H with both sides above 0"],
    ["21:1", "Expected a ratio from 1:20 to 20:1"],
    ["1.234:1", "Expected W:H with both sides above 0"],
  ])("refuses %s with a 400 that says what it expects", (raw, reason) => {
    const envelope = envelopeOf(() => parseCrop(raw));
    expect(envelope.status).toBe(400);
    expect(envelope.detail).toMatchObject({ code: "invalid_crop", error: "Invalid crop requested", received: raw });
    expect(JSON.stringify(envelope.detail)).toContain(reason);
  });

  it("refuses nine ratios", () => {
    const nine = ["1:1", "2:1", "3:1", "4:1", "5:1", "6:1", "7:1", "8:1", "9:1"].join(",");
    const envelope = envelopeOf(() => parseCrop(nine));
    expect(envelope.detail).toMatchObject({ code: "invalid_crop", received: nine });
    expect(JSON.stringify(envelope.detail)).toContain("Expected at most 8 ratios");
    expect(parseCrop(nine.split(",").slice(0, 8).join(","))).toHaveLength(8);
  });

  it("joins the parameters and the cache key only with metrics=crop", () => {
    expect(parseAnalysisParams(new URLSearchParams("metrics=brightness&crop=1:1")).crop).toBeUndefined();
    const params = parseAnalysisParams(new URLSearchParams("metrics=crop&crop=16:9,1:1"));
    expect(params.crop).toEqual(["16:9", "1:1"]);
    expect(canonicalQuery(params)).toBe("metrics=crop&crop=16:9,1:1");
    expect(parseAnalysisFields({ metrics: ["crop"], crop: ["4:5", "1:1"] }).crop).toEqual(["4:5", "1:1"]);
  });

  it("gives colors= to accessibility, which simulates the dominant colours", () => {
    expect(parseAnalysisParams(new URLSearchParams("metrics=accessibility&colors=3")).colors).toBe(3);
  });
});
