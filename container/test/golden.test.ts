/**
 * Golden numbers: the reference service's results on its three samples (../shared/fixtures/reference),
 * with the tolerances of issue #3. Ours resample with sharp's Lanczos-3 and the reference with Pillow, so
 * averages differ in the second decimal; scores must be equal.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { imageForm, REFERENCE_DIR, referenceSample } from "./images.ts";

const AVERAGE_TOLERANCE = 0.15;
const MEDIAN_TOLERANCE = 0.6;
const BUCKET_TOLERANCE = 0.5;

interface Expected {
  width: number;
  height: number;
  brightness_score: number;
  average_luminance: number;
  median_luminance: number;
  histogram_partition_percent: number[];
  edge_left_right: { edge_brightness_score: number; edge_average_luminance: number };
  edge_top_bottom: { edge_brightness_score: number; edge_average_luminance: number };
  edge_all: { edge_brightness_score: number; edge_average_luminance: number };
}
const expected = JSON.parse(readFileSync(`${REFERENCE_DIR}expected.json`, "utf8")) as Record<string, Expected>;
const app = createApp(loadConfig({}));

async function analyse(name: string, query: string): Promise<Record<string, unknown>> {
  const form = imageForm(referenceSample(name), "image/jpeg", name);
  const res = await app.request(`/v1/image/analysis?${query}`, { method: "POST", body: form });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe.each(Object.keys(expected))("reference sample %s", (name) => {
  const want = expected[name] as Expected;

  it("has the reference's brightness, median and histogram within tolerance", async () => {
    const got = await analyse(name, "metrics=brightness,median,histogram");
    expect(got.width).toBe(want.width);
    expect(got.height).toBe(want.height);
    expect(got.brightness_score).toBe(want.brightness_score);
    expect(Math.abs((got.average_luminance as number) - want.average_luminance)).toBeLessThanOrEqual(AVERAGE_TOLERANCE);
    expect(Math.abs((got.median_luminance as number) - want.median_luminance)).toBeLessThanOrEqual(MEDIAN_TOLERANCE);
    const histogram = got.histogram as Array<{ range: string; percent: number }>;
    expect(histogram).toHaveLength(10);
    histogram.forEach((bucket, i) => {
      const reference = want.histogram_partition_percent[i] as number;
      expect(Math.abs(bucket.percent - reference), `bucket ${bucket.range}`).toBeLessThanOrEqual(BUCKET_TOLERANCE);
    });
    const total = histogram.reduce((sum, b) => sum + b.percent, 0);
    expect(Math.abs(total - 100)).toBeLessThanOrEqual(0.5);
  });

  it.each(["left_right", "top_bottom", "all"] as const)("has the reference's %s edge score", async (mode) => {
    const got = await analyse(name, `edge_mode=${mode}`);
    const reference = want[`edge_${mode}`];
    expect(got.edge_mode).toBe(mode);
    expect(got.edge_brightness_score).toBe(reference.edge_brightness_score);
    expect(Math.abs((got.edge_average_luminance as number) - reference.edge_average_luminance)).toBeLessThanOrEqual(
      AVERAGE_TOLERANCE,
    );
  });
});
