// In your project: import { createClient } from "image-insights";
import { createClient } from "../src/index.ts";

/** Uploads an image and returns its brightness score (0–100); throws the API's own words on an error. */
export async function brightnessOf(baseUrl: string, image: Blob, apiKey: string, fetchImpl: typeof fetch = fetch) {
  const client = createClient(baseUrl, { apiKey, fetch: fetchImpl });
  const res = await client.v1.image.analysis.$post({ query: { metrics: "brightness" }, form: { image } });
  if (res.status !== 200) {
    const { detail } = await res.json();
    throw new Error(Array.isArray(detail) ? `${detail[0]?.msg}` : `${detail.code}: ${detail.error}`);
  }
  const body = await res.json();
  return body.brightness_score;
}

/**
 * The v2 insights with the typed client: every parameter and field is typed from the API's contract.
 *
 * @example
 * const { lightness, contrast, palette } = await insightsOf("http://localhost:8787", image, "dev-key");
 */
export async function insightsOf(baseUrl: string, image: Blob, apiKey: string, fetchImpl: typeof fetch = fetch) {
  const client = createClient(baseUrl, { apiKey, fetch: fetchImpl });
  const res = await client.v1.image.analysis.$post({
    query: { metrics: "brightness,contrast,colors", colors: "3", algorithm: "lstar" },
    form: { image },
  });
  if (res.status !== 200) throw new Error(`${res.status}`);
  const body = await res.json();
  return {
    /** CIE L* 0–100: what a person sees. */
    lightness: body.average_luminance,
    contrast: body.contrast?.score,
    palette: body.colors?.dominant.map((c) => `${c.hex} ${c.percent}% (${c.name})`),
  };
}
