import { hc } from "hono/client";
import type { AppType } from "../worker/src/app.ts";

/** Uploads an image and returns its brightness score (0–100); throws the API's own words on an error. */
export async function brightnessOf(baseUrl: string, image: Blob, apiKey: string, fetchImpl: typeof fetch = fetch) {
  const client = hc<AppType>(baseUrl, { fetch: fetchImpl });
  const res = await client.v1.image.analysis.$post(
    { query: { metrics: "brightness" }, form: { image } },
    { headers: { "X-API-Key": apiKey } },
  );
  if (res.status !== 200) {
    const { detail } = await res.json();
    throw new Error(Array.isArray(detail) ? `${detail[0]?.msg}` : `${detail.code}: ${detail.error}`);
  }
  const body = await res.json();
  return body.brightness_score;
}
