import { describe, expect, it } from "vitest";
import { cachePolicy, loggableUrl } from "./index.ts";

describe("loggableUrl", () => {
  it("keeps scheme and host only: no credentials, path or query", () => {
    expect(loggableUrl("https://user:pw@Example.com:8443/secret/a.png?token=1#x")).toBe("https://example.com:8443");
    expect(loggableUrl("not a url")).toBe("(unparseable)");
  });
});

describe("cachePolicy", () => {
  it("reads max-age (or s-maxage) and the directives that forbid caching", () => {
    expect(cachePolicy("public, max-age=300")).toEqual({ maxAgeS: 300, uncacheable: false });
    expect(cachePolicy("s-maxage=60")).toEqual({ maxAgeS: 60, uncacheable: false });
    expect(cachePolicy("no-store")).toEqual({ maxAgeS: null, uncacheable: true });
    expect(cachePolicy("private, max-age=600")).toEqual({ maxAgeS: 600, uncacheable: true });
    expect(cachePolicy(null)).toEqual({ maxAgeS: null, uncacheable: false });
  });
});
