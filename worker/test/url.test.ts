/**
 * `POST /v1/image/analysis/url` end to end in workerd, against the loopback fixture server
 * (worker/test/source-server.ts), which vitest.config.ts names as the one private origin allowed.
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import worker from "../src/index.ts";
import { conforms } from "./helpers.ts";

const source = () => inject("sourceUrl");

function analyseUrl(body: unknown, key = "test-key-main"): Promise<Response> {
  return SELF.fetch("https://api.test/v1/image/analysis/url", {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-API-Key": key },
  }).then(conforms);
}

/**
 * The same request made on the Worker's handler directly, answered once its work after the answer (the store of
 * the URL's result, in `waitUntil`) is done too: whatever it cached is in KV by then, and what it did not cache
 * never will be.
 */
async function analyseUrlSettled(body: Record<string, unknown>, key = "test-key-main"): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("https://api.test/v1/image/analysis/url", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-API-Key": key },
    }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return conforms(res);
}

async function detail(res: Response): Promise<Record<string, unknown>> {
  const body = (await res.json()) as { detail: Record<string, unknown> };
  return body.detail;
}

async function sourceHits(): Promise<Record<string, number>> {
  return (await fetch(`${inject("controlUrl")}/source-hits`)).json();
}

describe("analysis by URL", () => {
  it("downloads, analyses, and answers like an upload", async () => {
    const res = await analyseUrl({ url: `${source()}/image.png`, metrics: "brightness,median", edge_mode: "all" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      brightness_score: 100,
      median_luminance: 255,
      edge_mode: "all",
      width: 20,
      height: 10,
      format: "png",
      cached: false,
    });
    expect(res.headers.get("Server-Timing")).toMatch(/^download;dur=[\d.]+, edge;dur=[\d.]+, container;dur=/);
  });

  it("answers the same URL from the cache the second time, without downloading again", async () => {
    const url = `${source()}/image.png?second=1`;
    expect(((await (await analyseUrlSettled({ url })).json()) as { cached: boolean }).cached).toBe(false);
    const before = (await sourceHits())["/image.png"] ?? 0;
    const again = await analyseUrl({ url: `${url}#fragment` });
    expect(((await again.json()) as { cached: boolean }).cached).toBe(true);
    expect((await sourceHits())["/image.png"] ?? 0).toBe(before);
  });

  it("decides the type by magic bytes: a JPEG sent as application/octet-stream is analysed", async () => {
    const res = await analyseUrl({ url: `${source()}/octet`, metrics: ["brightness"] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ brightness_score: 0, format: "jpeg" });
  });

  it("does not cache what the server forbids or allows for less than a minute", async () => {
    for (const path of ["/octet?nocache=1", "/short-lived.png"]) {
      await analyseUrlSettled({ url: `${source()}${path}` });
      const again = await analyseUrl({ url: `${source()}${path}` });
      // A content-cache hit is fine (the bytes are the same); the URL itself was not cached, so it was fetched.
      expect(again.headers.get("Server-Timing")).toMatch(/^download;dur=/);
    }
  });

  it("does not cache by URL what the upstream's Age or s-maxage leaves under a minute to live", async () => {
    for (const path of ["/aged.png", "/shared-short.png"]) {
      await analyseUrlSettled({ url: `${source()}${path}` });
      const again = await analyseUrl({ url: `${source()}${path}` });
      expect(again.headers.get("Server-Timing"), path).toMatch(/^download;dur=/);
    }
  });

  it("refuses a port outside URL_ALLOWED_PORTS before any request, in the words of other refused URLs", async () => {
    const res = await analyseUrl({ url: "http://93.184.216.34:6379/a.png" });
    expect(res.status).toBe(400);
    expect(await detail(res)).toMatchObject({
      error: "Invalid URL",
      code: "invalid_url",
      detail: "Only URLs on ports 80 and 443 are allowed",
    });
  });

  it("follows up to 3 redirects, each checked again", async () => {
    expect((await analyseUrl({ url: `${source()}/hops/3` })).status).toBe(200);
  });

  it("refuses more than 3 redirects, and a redirect loop", async () => {
    for (const path of ["/hops/4", "/loop"]) {
      const res = await analyseUrl({ url: `${source()}${path}` });
      expect(res.status).toBe(400);
      expect(await detail(res)).toMatchObject({ error: "Failed to download image from URL", code: "download_failed" });
    }
  });

  it.each(["/to-localhost", "/to-metadata", "/to-private-name"])(
    "refuses a redirect chain that ends at a private address (%s)",
    async (path) => {
      const res = await analyseUrl({ url: `${source()}${path}` });
      expect(res.status).toBe(400);
      expect(await detail(res)).toMatchObject({
        error: "Invalid URL",
        detail: "URLs pointing to private or local network addresses are not allowed",
      });
    },
  );

  it("cuts an endless body off at the size limit with the reference's 413", async () => {
    const res = await analyseUrl({ url: `${source()}/endless` });
    expect(res.status).toBe(413);
    expect(await detail(res)).toMatchObject({
      error: "Image from URL exceeds maximum allowed size (5MB)",
      code: "payload_too_large",
      max_size_bytes: 5 * 1024 * 1024,
    });
  });

  it("refuses a Content-Length over the limit before reading the body", async () => {
    const res = await analyseUrl({ url: `${source()}/claims-huge` });
    expect(res.status).toBe(413);
    expect(await detail(res)).toMatchObject({ received_size_bytes: 50 * 1024 * 1024 });
  });

  it("answers a body that trickles past the deadline with 504", async () => {
    const started = Date.now();
    const res = await analyseUrl({ url: `${source()}/trickle` });
    expect(res.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(4_000); // URL_FETCH_TIMEOUT_MS is 2 s in the tests
    expect(res.headers.get("Retry-After")).toBe("5");
    expect(await detail(res)).toMatchObject({ code: "download_timeout" });
  });

  it("refuses HTML served as image/jpeg with 415 and never echoes it", async () => {
    const res = await analyseUrl({ url: `${source()}/html-as-jpeg` });
    expect(res.status).toBe(415);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({
      detail: { error: "Unsupported image type from URL", received_type: "image/jpeg", detected_type: "unknown" },
    });
    expect(text).not.toContain("not an image");
  });

  it.each([404, 500])(
    "reports an upstream %i with its status and the URL reduced to scheme and host",
    async (status) => {
      const res = await analyseUrl({ url: `${source()}/status/${status}?token=secret` });
      expect(res.status).toBe(400);
      const body = await res.text();
      expect(JSON.parse(body)).toMatchObject({
        detail: { error: "Failed to download image from URL", status_code: status, url: source() },
      });
      expect(body).not.toMatch(/secret|token|status\//);
    },
  );
});

describe("the request body", () => {
  it("answers an empty URL with the reference's 400", async () => {
    const res = await analyseUrl({ url: "  " });
    expect(res.status).toBe(400);
    expect(await detail(res)).toMatchObject({ error: "URL cannot be empty", code: "empty_url" });
  });

  it("answers another scheme with the reference's 400", async () => {
    const res = await analyseUrl({ url: "ftp://example.com/a.png" });
    expect(res.status).toBe(400);
    expect(await detail(res)).toMatchObject({
      error: "Invalid URL scheme",
      detail: "URL must start with http:// or https://",
    });
  });

  it("answers a missing url or a body that is not JSON with FastAPI's 422", async () => {
    const missing = await analyseUrl({ metrics: "median" });
    expect(missing.status).toBe(422);
    expect(await missing.json()).toMatchObject({ detail: [{ type: "missing", loc: ["body", "url"] }] });
    const broken = await analyseUrl("{not json");
    expect(broken.status).toBe(422);
    expect(await broken.json()).toMatchObject({ detail: [{ type: "json_invalid", loc: ["body"] }] });
  });

  it("validates metrics, edge_mode, background, algorithm and crop before any download", async () => {
    const before = (await sourceHits())["/image.png"] ?? 0;
    for (const [field, value, code] of [
      ["metrics", "colour", "invalid_metrics"],
      ["edge_mode", "middle", "invalid_edge_mode"],
      ["background", "blue", "invalid_background"],
      ["algorithm", "hsp", "invalid_algorithm"],
      ["crop", "16:0", "invalid_crop"],
    ] as const) {
      const extra = field === "crop" ? { metrics: "crop" } : {};
      const res = await analyseUrl({ url: `${source()}/image.png?v=${field}`, [field]: value, ...extra });
      expect(res.status).toBe(400);
      expect(await detail(res)).toMatchObject({ code });
    }
    expect((await sourceHits())["/image.png"] ?? 0).toBe(before);
  });

  it("needs an API key like uploads", async () => {
    expect((await analyseUrl({ url: `${source()}/image.png` }, "wrong")).status).toBe(401);
  });
});

describe("private addresses", () => {
  it("reaches the fixture server on its random port because its exact origin is allowed, not its port", async () => {
    // vitest.config.ts allows the origin http://127.0.0.1:<port>; URL_ALLOWED_PORTS stays 80 and 443.
    expect(new URL(source()).port).not.toMatch(/^(80|443|)$/);
    expect((await analyseUrl({ url: `${source()}/image.png?port=1` })).status).toBe(200);
  });

  it("refuses the fixture server itself when ALLOW_PRIVATE_SOURCE_ADDRESSES is off", async () => {
    const request = new Request("https://api.test/v1/image/analysis/url", {
      method: "POST",
      body: JSON.stringify({ url: `${source()}/image.png` }),
      headers: { "Content-Type": "application/json", "X-API-Key": "test-key-main" },
    });
    const res = await worker.fetch(
      request,
      { ...env, ALLOW_PRIVATE_SOURCE_ADDRESSES: "false" },
      createExecutionContext(),
    );
    expect(res.status).toBe(400);
    expect(await detail(res)).toMatchObject({ error: "Invalid URL", code: "invalid_url" });
  });

  it("is needed: workerd itself fetches a name that resolves to loopback", async () => {
    // What a Worker's plain fetch() does with such a name, here: it connects. Hence resolvePublic().
    const res = await fetch(`${source().replace("127.0.0.1", "localhost")}/image.png`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });
});
