/**
 * Against a Worker whose instance analyzer-2 can never start its container (vitest.config.ts points it at a
 * closed port): the request is retried once on the next instance.
 */
import { env, listDurableObjectIds } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { png, sha256Hex, upload } from "../helpers.ts";

async function imageOnInstance(instance: number): Promise<Uint8Array> {
  for (let i = 0; i < 100; i++) {
    const bytes = png(i);
    if (Number.parseInt((await sha256Hex(bytes)).slice(0, 8), 16) % 4 === instance) return bytes;
  }
  throw new Error(`no test image hashes to instance ${instance}`);
}

const idsOf = async () => (await listDurableObjectIds(env.ANALYZER)).map((id) => id.toString());
const idOf = (name: string) => env.ANALYZER.idFromName(name).toString();

describe("an instance that cannot start", () => {
  it("sends the request once to the next instance, which answers it", async () => {
    const res = await upload(await imageOnInstance(2));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ cached: false, width: 16, height: 12 });
    const ids = await idsOf();
    expect(ids).toContain(idOf("analyzer-2")); // tried first
    expect(ids).toContain(idOf("analyzer-3")); // answered
  });

  it("does not disturb images that hash to a healthy instance", async () => {
    const started = Date.now();
    expect((await upload(await imageOnInstance(0))).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2_500); // no start timeout was waited for
  });
});

describe("request IDs", () => {
  it("replaces an insane X-Request-Id with a fresh one, in the header and the error body", async () => {
    const res = await upload(png(0), {
      query: "?metrics=nope",
      headers: { "X-Request-Id": "<script>alert(1)</script>" },
    });
    const id = res.headers.get("X-Request-Id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await res.json()) as { detail: { request_id: string } }).detail.request_id).toBe(id);
  });
});
