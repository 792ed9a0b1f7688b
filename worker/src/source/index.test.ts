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

  it("lets s-maxage win over max-age, in either order: the result cache is a shared cache", () => {
    expect(cachePolicy("max-age=300, s-maxage=60")).toEqual({ maxAgeS: 60, uncacheable: false });
    expect(cachePolicy("s-maxage=60, max-age=300")).toEqual({ maxAgeS: 60, uncacheable: false });
    expect(cachePolicy("public, max-age=60, s-maxage=3600")).toEqual({ maxAgeS: 3600, uncacheable: false });
    expect(cachePolicy('S-MAXAGE="120", max-age=10')).toEqual({ maxAgeS: 120, uncacheable: false });
  });

  it("subtracts the upstream's Age from the lifetime", () => {
    expect(cachePolicy("max-age=300", "100")).toEqual({ maxAgeS: 200, uncacheable: false });
    expect(cachePolicy("max-age=300, s-maxage=150", "100")).toEqual({ maxAgeS: 50, uncacheable: false });
    expect(cachePolicy("max-age=300", "0")).toEqual({ maxAgeS: 300, uncacheable: false });
    expect(cachePolicy("max-age=300", null)).toEqual({ maxAgeS: 300, uncacheable: false });
  });

  it("leaves nothing to cache when the Age reaches the lifetime or cannot be read", () => {
    expect(cachePolicy("max-age=300", "300")).toEqual({ maxAgeS: 0, uncacheable: false });
    expect(cachePolicy("max-age=300", "86400")).toEqual({ maxAgeS: 0, uncacheable: false });
    expect(cachePolicy("s-maxage=60", "61")).toEqual({ maxAgeS: 0, uncacheable: false });
    expect(cachePolicy("max-age=300", "soon")).toEqual({ maxAgeS: 0, uncacheable: false });
    expect(cachePolicy("max-age=300", "-5")).toEqual({ maxAgeS: 0, uncacheable: false });
  });

  it("has no lifetime to shorten without max-age or s-maxage", () => {
    expect(cachePolicy("public", "100")).toEqual({ maxAgeS: null, uncacheable: false });
  });
});
