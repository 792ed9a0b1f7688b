/**
 * End to end inside workerd: the real Worker, the real Durable Object (`@cloudflare/containers`' start,
 * readiness and proxy code) and the real container process behind the local stand-in.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { containerSaw, control, GREY_PNG, inFlightIn, png, pollUntil, upload } from "./helpers.ts";

describe("Worker → Durable Object → container process", () => {
  it("analyses an upload: mid-grey 128 scores 50", async () => {
    const res = await upload(GREY_PNG);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      brightness_score: 50,
      average_luminance: 128,
      width: 8,
      height: 8,
      algorithm: "rec709",
    });
    expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("passes the caller's request ID through to the container and back", async () => {
    const id = `e2e-trace-${crypto.randomUUID()}`;
    expect(await containerSaw(id, 0)).toBe(false);
    const res = await upload(png(0), { headers: { "X-Request-Id": id } });
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Request-Id")).toBe(id);
    expect(await containerSaw(id)).toBe(true); // the container's own log line carries it
  });

  it("passes metrics and edge_mode through to the container", async () => {
    const res = await upload(GREY_PNG, { query: "?metrics=median,histogram&edge_mode=all" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ median_luminance: 128, edge_brightness_score: 50, edge_mode: "all", cached: false });
    expect(body.histogram).toHaveLength(10);
    expect(body).not.toHaveProperty("brightness_score");
  });

  it("passes algorithm through, and keeps each scale's answer under its own cache key", async () => {
    // GREY_PNG is grey 128 all over: luma 128, relative luminance 21.59 %, L* 53.59.
    const on = async (query: string) => (await (await upload(GREY_PNG, { query })).json()) as Record<string, unknown>;
    const lstar = await on("?algorithm=lstar&metrics=brightness,histogram");
    expect(lstar).toMatchObject({ algorithm: "lstar", brightness_score: 54, average_luminance: 53.59 });
    expect(lstar.histogram).toContainEqual({ range: "50-60", percent: 100 });
    expect(await on("?algorithm=LSTAR&metrics=histogram,brightness")).toMatchObject({
      algorithm: "lstar",
      cached: true,
    });
    expect(await on("?algorithm=luminance&metrics=brightness,histogram")).toMatchObject({
      algorithm: "luminance",
      average_luminance: 21.59,
      cached: false,
    });
    // rec709 is the default: said or not, the same answer and the same cache entry.
    const said = await on("?algorithm=rec709&metrics=brightness,histogram");
    expect(said).toMatchObject({ algorithm: "rec709", average_luminance: 128 });
    expect(await on("?metrics=brightness,histogram")).toMatchObject({ algorithm: "rec709", cached: true });
  });

  it("passes the v3 metrics and crop= through, and caches each crop set under its own key", async () => {
    const query = "?metrics=compression,noise,hash,metadata,crop,accessibility,thumbhash&crop=16:9,1:1";
    const res = await upload(GREY_PNG, { query });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, Record<string, unknown>>;
    // GREY_PNG: an 8 × 8 PNG of grey 128, no metadata of its own.
    expect(body.compression).toMatchObject({ quality: null, subsampling: null, progressive: null });
    expect(body.noise).toEqual({ sigma: 0, measured_width: 8, measured_height: 8 });
    const digest = await crypto.subtle.digest("SHA-256", GREY_PNG);
    const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(body.hash).toMatchObject({ sha256 });
    expect(body.metadata).toMatchObject({ gps: false, privacy: [], exif: null, pages: 1 });
    expect(Object.keys(body.crop ?? {})).toEqual(["16:9", "1:1"]);
    expect(body.crop?.["1:1"]).toMatchObject({ left: 0, top: 0, width: 8, height: 8 });
    expect(body.accessibility?.deuteranopia).toMatchObject({ text_color: "#000000" });
    expect(typeof body.thumbhash).toBe("string");
    const again = await upload(GREY_PNG, { query });
    expect(await again.json()).toMatchObject({ cached: true });
    const other = await upload(GREY_PNG, { query: query.replace("16:9,1:1", "1:1") });
    expect(await other.json()).toMatchObject({ cached: false, crop: { "1:1": { width: 8 } } });
  });

  it("answers GET /health from the Worker with no container process running", async () => {
    await control("stop");
    try {
      const res = await SELF.fetch("https://api.test/health");
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "healthy", service: "image-insights-api", version: "2.0.0" });
    } finally {
      await control("start");
    }
  });

  it("gives 503 JSON with Retry-After when the container process is stopped, and 200 once it is back", async () => {
    await control("stop");
    const down = await upload(png(1));
    expect(down.status).toBe(503);
    expect(down.headers.get("Retry-After")).toBe("5");
    expect(down.headers.get("Content-Type")).toMatch(/^application\/json/);
    const body = (await down.json()) as { detail: { code: string; error: string; request_id: string } };
    expect(body.detail).toMatchObject({ code: "container_unavailable" });
    expect(body.detail.request_id).toBe(down.headers.get("X-Request-Id"));
    expect(JSON.stringify(body)).not.toMatch(/proxying|disconnected|container instance/i);

    await control("start");
    const up = await upload(png(1));
    expect(up.status).toBe(200);
    expect(((await up.json()) as { cached: boolean }).cached).toBe(false);
  });

  it("answers requests in flight when the container process is killed with 503 container_failed, then recovers", async () => {
    await control("pause"); // the requests reach the process and wait there
    const inFlight = [2, 3, 4].map((i) => upload(png(i)));
    // Killed once all three are in their instances' proxies, on their way into the paused process.
    await pollUntil("the three uploads in flight in their instances", inFlightIn([2, 3, 4]), (n) => n === 3);
    await control("kill");
    const answers = await Promise.all(inFlight);
    for (const res of answers) {
      expect(res.status).toBe(503);
      expect(res.headers.get("Retry-After")).toBe("5");
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ detail: { code: "container_failed" } });
      expect(text).not.toMatch(/proxying|disconnected|Network connection lost/i);
    }
    await control("start");
    const after = await upload(png(5));
    expect(after.status).toBe(200);
  });

  it("answers an unknown path with a 404 envelope", async () => {
    const res = await SELF.fetch("https://api.test/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ detail: { error: "Not Found", code: "not_found" } });
  });
});

describe("a cold start with no container process listening", () => {
  it("polls until CONTAINER_START_TIMEOUT_MS, answers 503 JSON, then starts once the process is back", async () => {
    await control("stop");
    const stub = env.ANALYZER.getByName("cold-start-test");
    const request = () => stub.fetch("http://container/health", { headers: { "X-Request-Id": "cold-1" } });
    try {
      const startedAt = Date.now();
      const down = await request();
      expect(down.status).toBe(503);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_800); // the 2 s start deadline of vitest.config.ts
      expect(await down.json()).toMatchObject({ detail: { code: "container_unavailable", request_id: "cold-1" } });
    } finally {
      await control("start");
    }
    const up = await request();
    expect(up.status).toBe(200);
    expect(await up.json()).toMatchObject({ status: "healthy" });
  });
});
