import { describe, expect, it } from "vitest";
import { apiKeys, loadConfig } from "../config.ts";
import { ownerOf } from "../jobs/route.ts";
import { addressPrincipal, keyPrincipal, matchingKey, presentedKey } from "./index.ts";

describe("presentedKey", () => {
  it("reads X-API-Key, or a Bearer token, and nothing else", () => {
    expect(presentedKey(new Headers({ "X-API-Key": " k1 " }))).toBe("k1");
    expect(presentedKey(new Headers({ Authorization: "Bearer k2" }))).toBe("k2");
    expect(presentedKey(new Headers({ Authorization: "bearer   k3" }))).toBe("k3");
    expect(presentedKey(new Headers({ Authorization: "Basic azE6eA==" }))).toBeNull();
    expect(presentedKey(new Headers())).toBeNull();
  });
});

describe("matchingKey", () => {
  const keys = apiKeys("old,new,acme:a1,acme:a2");

  it("accepts every configured secret, so two can be valid during a rotation", async () => {
    expect(await matchingKey("old", keys)).toEqual({ id: null, secret: "old" });
    expect(await matchingKey("new", keys)).toEqual({ id: null, secret: "new" });
    expect(await matchingKey("a1", keys)).toEqual({ id: "acme", secret: "a1" });
    expect(await matchingKey("a2", keys)).toEqual({ id: "acme", secret: "a2" });
  });

  it("refuses prefixes, extensions, case changes, the empty key and a named entry sent whole", async () => {
    for (const key of ["ol", "oldx", "OLD", "", "acme:a1", "acme"])
      expect(await matchingKey(key, keys), key).toBeNull();
    expect(await matchingKey("old", [])).toBeNull();
  });
});

describe("the principal of a key", () => {
  const principalOf = async (raw: string, presented: string) => {
    const key = await matchingKey(presented, apiKeys(raw));
    if (!key) throw new Error(`no key ${presented}`);
    return keyPrincipal(key);
  };

  it("is a named key's id, the same for each of its secrets", async () => {
    const raw = "acme:k1,acme:k2,globex:k3";
    expect(await principalOf(raw, "k1")).toEqual({ kind: "key", id: "acme" });
    expect(await principalOf(raw, "k2")).toEqual({ kind: "key", id: "acme" });
    expect(await principalOf(raw, "k3")).toEqual({ kind: "key", id: "globex" });
  });

  it("survives a rotation: a job owned through acme:k1 is owned through acme:k2 once k1 is gone", async () => {
    const owner = ownerOf(await principalOf("acme:k1", "k1"));
    expect(ownerOf(await principalOf("acme:k1,acme:k2", "k2"))).toBe(owner);
    expect(ownerOf(await principalOf("acme:k2", "k2"))).toBe(owner);
    expect(owner).toBe("key:acme");
  });

  it("keeps a plain key's id as it always was: the first 16 hex digits of its SHA-256", async () => {
    // sha256("k1") = 6ab9f1eb8f7d3388…: the owner of jobs and cache entries made before named keys existed.
    expect(await principalOf("k1", "k1")).toEqual({ kind: "key", id: "6ab9f1eb8f7d3388" });
    // Alongside named keys, and as the whole of an entry whose prefix is no id.
    expect(await principalOf("acme:k2,k1", "k1")).toEqual({ kind: "key", id: "6ab9f1eb8f7d3388" });
    const hashed = await principalOf("my key:k1", "my key:k1");
    expect(hashed.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it("never gives a named key a plain key's id: a named id of that form is refused", () => {
    expect(() => apiKeys("6ab9f1eb8f7d3388:s1,k1")).toThrow(
      "Expected an id other than 16 lowercase hex digits (the form of a plain key's id) for API_KEYS but received 6ab9f1eb8f7d3388",
    );
    // Other forms are ids like any: 15 digits, upper case.
    expect(apiKeys("6ab9f1eb8f7d338:s1,6AB9F1EB8F7D3388:s2").map((key) => key.id)).toEqual([
      "6ab9f1eb8f7d338",
      "6AB9F1EB8F7D3388",
    ]);
  });
});

describe("the principal of an open API's caller", () => {
  it("is the client's address, an IPv6 client's /64", () => {
    expect(addressPrincipal("2001:db8:1:2::1")).toEqual({ kind: "ip", id: "2001:db8:1:2::/64" });
    expect(addressPrincipal("2001:0db8:0001:0002:ffff::2")).toEqual({ kind: "ip", id: "2001:db8:1:2::/64" });
    expect(addressPrincipal("::ffff:198.51.100.4")).toEqual({ kind: "ip", id: "198.51.100.4" });
    expect(addressPrincipal(undefined)).toEqual({ kind: "ip", id: "unknown" });
  });
});

describe("API_KEYS", () => {
  it("reads plain and named entries, trimmed, and a plain entry whole whatever colons it holds", () => {
    expect(apiKeys(" old , acme:k1,acme: k2 ,,a-b_C9:x:y,a.b:c")).toEqual([
      { id: null, secret: "old" },
      { id: "acme", secret: "k1" },
      { id: "acme", secret: "k2" },
      { id: "a-b_C9", secret: "x:y" },
      { id: null, secret: "a.b:c" }, // `a.b` is no id: the entry is a plain key, as before
    ]);
    expect(apiKeys(`${"a".repeat(64)}:s`)[0]?.id).toBe("a".repeat(64));
    expect(apiKeys(`${"a".repeat(65)}:s`)[0]).toEqual({ id: null, secret: `${"a".repeat(65)}:s` });
    expect(apiKeys(undefined)).toEqual([]);
  });

  it.each([
    ["acme:", /Expected a secret after the colon for API_KEYS but received none for acme/],
    ["k0,acme:   ", /received none for acme/],
    [":hunter2", /Expected id:secret for API_KEYS but received entry 1 with nothing before its colon/],
    [
      "acme:hunter2,globex:hunter2",
      /Expected each secret under one id for API_KEYS but received one secret under acme and globex/,
    ],
    ["hunter2,acme:hunter2", /one secret under a plain key and acme/],
  ])("refuses %j in words that never quote a secret", (raw, message) => {
    expect(() => apiKeys(raw)).toThrow(message);
    try {
      apiKeys(raw);
    } catch (error) {
      expect(String(error)).not.toContain("hunter2");
    }
  });

  it("is checked by loadConfig, and a key listed twice under one id is no conflict", () => {
    expect(() => loadConfig({ API_KEYS: "acme:" })).toThrow(/for API_KEYS/);
    expect(loadConfig({ API_KEYS: "k1,k1,acme:k2,acme:k2" }).apiKeys).toHaveLength(4);
  });
});
