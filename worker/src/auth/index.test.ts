import { describe, expect, it } from "vitest";
import { isValidKey, presentedKey } from "./index.ts";

describe("presentedKey", () => {
  it("reads X-API-Key, or a Bearer token, and nothing else", () => {
    expect(presentedKey(new Headers({ "X-API-Key": " k1 " }))).toBe("k1");
    expect(presentedKey(new Headers({ Authorization: "Bearer k2" }))).toBe("k2");
    expect(presentedKey(new Headers({ Authorization: "bearer   k3" }))).toBe("k3");
    expect(presentedKey(new Headers({ Authorization: "Basic azE6eA==" }))).toBeNull();
    expect(presentedKey(new Headers())).toBeNull();
  });
});

describe("isValidKey", () => {
  it("accepts every configured key, so two can be valid during a rotation", async () => {
    expect(await isValidKey("old", ["old", "new"])).toBe(true);
    expect(await isValidKey("new", ["old", "new"])).toBe(true);
  });

  it("refuses prefixes, extensions, case changes and the empty key", async () => {
    for (const key of ["ol", "oldx", "OLD", ""]) expect(await isValidKey(key, ["old", "new"]), key).toBe(false);
    expect(await isValidKey("old", [])).toBe(false);
  });
});
