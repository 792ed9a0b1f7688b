/**
 * The results file's CSV on published real answers (contract/examples.json): the API's columns for the
 * parameters, the values in them, false written false, and a field that has no column named instead of lost.
 * (cli.test.ts compares the whole file with the API's own CSV of the same job.)
 */
import { describe, expect, it } from "vitest";
import { parseAnalysisParams } from "../../../contract/analysis.ts";
import examples from "../../../contract/examples.json" with { type: "json" };
import type { JobResultLine } from "../../../contract/jobs.ts";
import { summary, toCsv } from "./output.ts";

const params = (query: string) => parseAnalysisParams(new URLSearchParams(query));
const answer = examples.brightness.value;
const succeeded = (index: number, result: object): JobResultLine =>
  ({ index, id: `${index}.jpg`, source: `upload:${index}.jpg`, status: "succeeded", result }) as JobResultLine;
const failed: JobResultLine = {
  index: 1,
  id: null,
  source: "https://example.com/missing.jpg",
  status: "failed",
  error: { code: "download_failed", error: "Image could not be downloaded, 404", request_id: "req_1" },
};

describe("toCsv", () => {
  it("writes the API's columns for the parameters, the answer's values in them, false as false", () => {
    const { csv, unlisted } = toCsv([succeeded(0, answer), failed], params("metrics=brightness"));
    // Written out here, in the order a Worker's answer lists its fields (not the example's key order).
    expect(csv.split("\n")).toEqual([
      "index,id,source,status,error_code,error,result.brightness_score,result.average_luminance,result.width," +
        "result.height,result.algorithm,result.format,result.oriented_width,result.oriented_height," +
        "result.analysed_width,result.analysed_height,result.cached,result.processing_time_ms",
      `0,0.jpg,upload:0.jpg,succeeded,,,${answer.brightness_score},${answer.average_luminance},536,354,rec709,jpeg,536,354,512,338,false,${answer.processing_time_ms}`,
      '1,,https://example.com/missing.jpg,failed,download_failed,"Image could not be downloaded, 404",,,,,,,,,,,,',
      "",
    ]);
    expect(answer.cached).toBe(false);
    expect(unlisted).toEqual([]);
  });

  it("names the fields an answer has and the columns do not (an API newer than the checkout), and keeps the rest", () => {
    const newer = { ...answer, focus: { score: 7, in_focus: true } };
    const { csv, unlisted } = toCsv([succeeded(0, newer)], params("metrics=brightness"));
    expect(unlisted).toEqual(["focus.in_focus", "focus.score"]);
    expect(csv).toBe(toCsv([succeeded(0, answer)], params("metrics=brightness")).csv);
  });
});

describe("summary", () => {
  it("counts the images, the failures by code and the skipped files", () => {
    expect(summary([succeeded(0, answer), failed], 2, 3.14, "out.csv")).toBe(
      "2 images, 1 analysed, 1 failed (download_failed 1), 2 skipped, in 3.1 s: out.csv",
    );
  });
});
