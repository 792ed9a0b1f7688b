import { describe, expect, it } from "vitest";
import { type Image, JOB_FILE_BYTES, MAX_JOB_ITEMS, plan } from "./plan.ts";

const url = (i: number): Image => ({ kind: "url", url: `https://example.com/${i}.jpg` });
const file = (i: number, bytes = 1000): Image => ({
  kind: "file",
  path: `p/${i}.png`,
  name: `p/${i}.png`,
  bytes,
  sha256: String(i).padStart(64, "0"),
  type: "image/png",
});

describe("plan", () => {
  it("splits URLs and files into jobs within the item and byte limits, remembering each image's place", () => {
    const images = [url(0), file(1), ...Array.from({ length: MAX_JOB_ITEMS }, (_, i) => url(i + 2)), file(2)];
    const jobs = plan(images, { metrics: "brightness" });
    expect(jobs.map((j) => [j.kind, j.images.length])).toEqual([
      ["urls", MAX_JOB_ITEMS],
      ["urls", 1],
      ["files", 2],
    ]);
    expect(jobs[0]?.positions.slice(0, 2)).toEqual([0, 2]);
    expect(jobs[2]?.positions).toEqual([1, images.length - 1]);

    const big = Math.floor(JOB_FILE_BYTES / 3) + 1; // three of them are over the limit
    const byBytes = plan([file(1, big), file(2, big), file(3, big), file(4, big)], { metrics: "brightness" });
    expect(byBytes.map((j) => j.images.length)).toEqual([2, 2]);
  });

  it("keys a job by its images and parameters only", () => {
    const key = (images: Image[], metrics = "brightness") => plan(images, { metrics })[0]?.key;
    expect(key([file(1), file(2)])).toBe(key([file(1), file(2)]));
    expect(key([file(1), file(2)])).not.toBe(key([file(2), file(1)]));
    expect(key([file(1)])).not.toBe(key([file(1)], "median"));
    expect(key([url(1)])).not.toBe(key([url(2)]));
  });
});
