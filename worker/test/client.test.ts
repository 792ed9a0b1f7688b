/**
 * The typed client of the image-insights package (packages/client/examples/typed-client.ts: `createClient`, typed
 * from the contract), run against the real Worker: it gets a real score, and an error in the API's own words.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { brightnessOf, insightsOf } from "../../packages/client/examples/typed-client.ts";
import { GREY_PNG } from "./helpers.ts";

const fetchSelf: typeof fetch = (input, init) => SELF.fetch(input as RequestInfo, init);

describe("the README's typed client", () => {
  it("uploads a file and reads brightness_score", async () => {
    const image = new Blob([GREY_PNG], { type: "image/png" });
    expect(await brightnessOf("https://api.test", image, "test-key-main", fetchSelf)).toBe(50);
  });

  it("asks for the v2 insights on another scale, typed end to end", async () => {
    const image = new Blob([GREY_PNG], { type: "image/png" });
    // Grey 128 all over: L* 53.59, no contrast at all, one colour.
    expect(await insightsOf("https://api.test", image, "test-key-main", fetchSelf)).toEqual({
      lightness: 53.59,
      contrast: 0,
      palette: ["#808080 100% (gray)"],
    });
  });

  it("reports an error in the API's words", async () => {
    const image = new Blob([GREY_PNG], { type: "image/png" });
    await expect(brightnessOf("https://api.test", image, "not-a-key", fetchSelf)).rejects.toThrow(
      "unauthorized: Unauthorized",
    );
  });
});
