/**
 * Hostile and unusual inputs (issue #6): each gets its documented status, never a 5xx, and an error body
 * that never carries a stack, a path, a library name or a library's message.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { type HostileCase, hostileCases, LEAK } from "./hostile-inputs.ts";
import { greyPng, imageForm } from "./images.ts";

const app = createApp(loadConfig({}));
let canary: Server;
let canaryConnections = 0;
let cases: HostileCase[] = [];

beforeAll(async () => {
  canary = createServer((_req, res) => res.end());
  canary.on("connection", () => canaryConnections++);
  await new Promise<void>((resolve) => canary.listen(0, "127.0.0.1", resolve));
  const address = canary.address();
  if (!address || typeof address === "string") throw new Error("no canary port");
  cases = await hostileCases(`http://127.0.0.1:${address.port}`);
}, 60_000);

afterAll(() => new Promise<void>((resolve) => canary.close(() => resolve())));

describe("hostile and unusual inputs", () => {
  it("each gets its documented status, never a 5xx, and no internals", async () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    const wrong: string[] = [];
    for (const { name, bytes, type, status } of cases) {
      const res = await app.request("/v1/image/analysis?metrics=brightness,median,histogram&edge_mode=all", {
        method: "POST",
        body: imageForm(bytes, type),
      });
      const body = await res.text();
      if (res.status !== status) wrong.push(`${name}: ${res.status} (documented ${status}) ${body.slice(0, 120)}`);
      if (res.status >= 400 && LEAK.test(body)) wrong.push(`${name}: leaks internals: ${body}`);
    }
    expect(wrong).toEqual([]);
  });

  it("never lets an SVG reach out: the canary server saw no connection", () => {
    expect(canaryConnections).toBe(0);
  });
});

describe("the pixel limit", () => {
  it("accepts an image exactly at MAX_INPUT_PIXELS and refuses one pixel more with 422", async () => {
    const small = createApp(loadConfig({ MAX_INPUT_PIXELS: "10000" }));
    const send = async (width: number, height: number) =>
      small.request("/v1/image/analysis", { method: "POST", body: imageForm(await greyPng(width, height, () => 99)) });
    expect((await send(100, 100)).status).toBe(200);
    const over = await send(101, 99 + 1);
    expect(over.status).toBe(422);
    expect(await over.json()).toMatchObject({
      detail: { code: "image_too_large", max_pixels: 10_000, received_pixels: 10_100 },
    });
  });
});
