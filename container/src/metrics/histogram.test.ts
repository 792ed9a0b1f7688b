import { describe, expect, it } from "vitest";
import { bucketOf } from "../../test/reference/histogram.ts";
import { BUCKET_LABELS } from "./histogram.ts";

describe("histogram buckets", () => {
  it("label each bucket with the integer luma values it holds", () => {
    expect(BUCKET_LABELS).toEqual([
      "0-25",
      "26-51",
      "52-76",
      "77-102",
      "103-127",
      "128-153",
      "154-179",
      "180-204",
      "205-230",
      "231-255",
    ]);
  });

  it("agree with their labels for every integer luma 0–255", () => {
    for (let luma = 0; luma <= 255; luma++) {
      const [lo, hi] = (BUCKET_LABELS[bucketOf(luma * 10_000)] as string).split("-").map(Number);
      expect(luma >= (lo as number) && luma <= (hi as number), `luma ${luma}`).toBe(true);
    }
  });
});
