/**
 * What the result cache promises (issue #10): a tenant never learns from `cached: true` what another
 * analysed, unless RESULT_CACHE_SCOPE=shared says so; an image whose server forbids caching stays out of
 * every cache; and the ETag is a function of the bytes, the parameters and the engine only.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import worker from "../src/index.ts";
import { conforms, png, resultKeyOf, storedResult, upload, urlResultKeyOf } from "./helpers.ts";

type Answer = { cached: boolean; brightness_score: number };

/**
 * Analyses the fixture server's `path` by URL, and answers once the request's own work after the answer (the
 * store of the URL's result, in its `waitUntil`) is done too: what it cached is in KV by then.
 */
async function byUrl(path: string, query: Record<string, string>, key: string): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("https://api.test/v1/image/analysis/url", {
      method: "POST",
      headers: { "X-API-Key": key, "Content-Type": "application/json" },
      body: JSON.stringify({ url: `${inject("sourceUrl")}${path}`, ...query }),
    }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

/** The fixture server's bytes for `path`, fetched directly (the same bytes the URL route downloads). */
async function sourceBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await (await fetch(`${inject("sourceUrl")}${path}`)).arrayBuffer());
}

describe("RESULT_CACHE_SCOPE=key (the default)", () => {
  it("caches per API key: a second key's identical upload is not answered from the first's cache", async () => {
    const first = await upload(png(60), { key: "test-key-main", query: "?metrics=median" });
    expect(((await first.json()) as Answer).cached).toBe(false);
    // Stored in the first key's partition: the Durable Object stores it after answering.
    await storedResult(env.RESULTS, await resultKeyOf(png(60), "metrics=median", "test-key-main"));
    const again = await upload(png(60), { key: "test-key-main", query: "?metrics=median" });
    expect(((await again.json()) as Answer).cached).toBe(true);
    const other = await upload(png(60), { key: "test-key-tenant-b", query: "?metrics=median" });
    expect(((await other.json()) as Answer).cached).toBe(false);
    // The same numbers, so the same ETag, whoever asks.
    expect(other.headers.get("ETag")).toBe(first.headers.get("ETag"));
  });
});

describe("RESULT_CACHE_SCOPE=shared", () => {
  it("answers a second key from the first key's result", async () => {
    const shared = { ...env, RESULT_CACHE_SCOPE: "shared" };
    const call = async (key: string) => {
      const form = new FormData();
      form.append("image", new Blob([png(61)], { type: "image/png" }), "a.png");
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request("https://api.test/v1/image/analysis?metrics=median", {
          method: "POST",
          body: form,
          headers: { "X-API-Key": key },
        }),
        shared,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return (await (await conforms(res)).json()) as Answer;
    };
    expect((await call("test-key-main")).cached).toBe(false);
    // Stored in the one shared partition, whoever asked.
    await storedResult(env.RESULTS, await resultKeyOf(png(61), "metrics=median", "shared"));
    expect((await call("test-key-tenant-b")).cached).toBe(true);
  });
});

describe("an image whose server says no-store", () => {
  it("stays out of every cache, the content-keyed one included", async () => {
    const query = { metrics: "median", edge_mode: "top_bottom" };
    const viaUrl = await byUrl("/octet", query, "test-key-cache");
    expect(viaUrl.status, await viaUrl.clone().text()).toBe(200);
    expect(((await viaUrl.json()) as Answer).cached).toBe(false);
    const bytes = await sourceBytes("/octet");
    // Not by its URL: byUrl returned after the request's own stores. Nor by its content: the same bytes
    // uploaded for another metric go to the same Durable Object, which stores that result after this one's
    // answer; once that later store is in KV, an earlier one of this result would be too.
    const later = await upload(bytes, { key: "test-key-cache", query: "?metrics=brightness", type: "image/jpeg" });
    expect(later.status).toBe(200);
    await storedResult(env.RESULTS, await resultKeyOf(bytes, "metrics=brightness", "test-key-cache"));
    const stored = "metrics=median&edge_mode=top_bottom";
    expect(await env.RESULTS.get(await resultKeyOf(bytes, stored, "test-key-cache"))).toBeNull();
    expect(
      await env.RESULTS.get(await urlResultKeyOf(`${inject("sourceUrl")}/octet`, stored, "test-key-cache")),
    ).toBeNull();
    // Past the Durable Object's 60 s window for late duplicates, the same bytes must be analysed again:
    // nothing in KV. Within it, the upload is coalesced but still not a cache hit.
    const uploaded = await upload(bytes, {
      key: "test-key-cache",
      query: "?metrics=median&edge_mode=top_bottom",
      type: "image/jpeg",
    });
    expect(uploaded.status).toBe(200);
    expect(((await uploaded.json()) as Answer).cached).toBe(false);
  });
});

describe("the ETag", () => {
  it("is the same for the same bytes and parameters on both routes, on a miss and on a hit", async () => {
    const query = { metrics: "histogram", edge_mode: "left_right" };
    const bytes = await sourceBytes("/image.png");
    const uploaded = await upload(bytes, { key: "test-key-edge", query: "?metrics=histogram&edge_mode=left_right" });
    const etag = uploaded.headers.get("ETag");
    expect(etag).toMatch(/^W\/"[0-9a-f]{32}"$/);

    const miss = await byUrl("/image.png", query, "test-key-edge");
    expect(miss.status).toBe(200);
    expect(miss.headers.get("ETag")).toBe(etag);
    const hit = await byUrl("/image.png", query, "test-key-edge");
    expect(((await hit.json()) as Answer).cached).toBe(true);
    expect(hit.headers.get("ETag")).toBe(etag);

    const otherParams = await upload(bytes, { key: "test-key-edge", query: "?metrics=median" });
    expect(otherParams.headers.get("ETag")).not.toBe(etag);
  });
});

describe("processing_time_ms", () => {
  it("is the Worker's own measure on a hit and a miss: at least the container's share of Server-Timing", async () => {
    const miss = await upload(png(62), { key: "test-key-main" });
    const body = (await miss.json()) as { processing_time_ms: number };
    const container = Number(/container;dur=([\d.]+)/.exec(miss.headers.get("Server-Timing") ?? "")?.[1]);
    expect(container).toBeGreaterThan(0);
    expect(body.processing_time_ms).toBeGreaterThanOrEqual(container);
    await storedResult(env.RESULTS, await resultKeyOf(png(62), "", "test-key-main"));
    const hit = await upload(png(62), { key: "test-key-main" });
    const hitBody = (await hit.json()) as { processing_time_ms: number; cached: boolean };
    expect(hitBody.cached).toBe(true);
    expect(hitBody.processing_time_ms).toBeGreaterThanOrEqual(0);
    expect(hit.headers.get("Server-Timing")).toMatch(/^edge;dur=[\d.]+, cache;desc="hit"$/);
  });
});
