import { describe, expect, inject, it } from "vitest";
import { ApiError } from "../../../contract/errors.ts";
import { checkSourceUrl, isSpecialIpv6, resolvePublic } from "./index.ts";

const NONE = { allowedPrivateOrigins: [] as string[] };

function refusal(url: string): { status: number; code: string; detail: unknown } | null {
  try {
    checkSourceUrl(url, NONE);
    return null;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { status: err.status, code: err.code, detail: err.extra.detail };
  }
}

const PRIVATE = "URLs pointing to private or local network addresses are not allowed";

describe("checkSourceUrl: addresses in every notation new URL() accepts", () => {
  it.each([
    // IPv4 loopback, in every notation WHATWG URL normalises to 127.0.0.1
    "http://127.0.0.1/a.png",
    "http://127.1/a.png",
    "http://2130706433/a.png",
    "http://0x7f000001/a.png",
    "http://0x7f.0.0.1/a.png",
    "http://0177.0.0.1/a.png",
    "http://017700000001/a.png",
    "http://127.255.255.254:8080/a.png",
    // other special-purpose IPv4
    "http://0.0.0.0/",
    "http://0/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://172.31.255.255/",
    "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://100.127.255.254/",
    "http://224.0.0.1/",
    "http://239.255.255.250/",
    "http://255.255.255.255/",
    "http://198.18.0.1/",
    "http://192.0.2.1/",
    // IPv6
    "http://[::1]/",
    "http://[::]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[fc00::1]/",
    "http://[fd12:3456:789a::1]/",
    "http://[fe80::1]/",
    "http://[ff02::1]/",
    // IPv4 embedded in IPv6
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    // names local by name
    "http://localhost/",
    "http://localhost./",
    "http://LOCALHOST/",
    "http://api.localhost/",
    "http://api.localhost./",
    "http://intranet/",
  ])("refuses %s", (url) => {
    expect(refusal(url)).toEqual({ status: 400, code: "invalid_url", detail: PRIVATE });
  });

  it.each([
    "https://example.com/a.png",
    "http://93.184.216.34/a.png",
    "https://8.8.8.8/",
    "http://172.32.0.1/",
    "http://100.128.0.1/",
    "https://[2606:4700:4700::1111]/",
    "https://images.example.org:8443/p/a.jpg?x=1",
  ])("lets the public control %s through", (url) => {
    expect(refusal(url)).toBeNull();
  });

  it.each([
    "ftp://example.com/a.png",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "data:image/png;base64,AAAA",
    "gopher://x/",
  ])("refuses the scheme of %s", (url) => {
    expect(refusal(url)).toEqual({
      status: 400,
      code: "invalid_url_scheme",
      detail: "URL must start with http:// or https://",
    });
  });

  it("refuses credentials in the URL", () => {
    expect(refusal("https://user:secret@example.com/a.png")).toMatchObject({ code: "invalid_url" });
    expect(refusal("https://user@example.com/a.png")).toMatchObject({ code: "invalid_url" });
  });

  it("lets through exactly the allowed private origins, nothing near them", () => {
    const options = { allowedPrivateOrigins: ["http://127.0.0.1:9000"] };
    expect(checkSourceUrl("http://127.0.0.1:9000/a.png", options).allowed).toBe(true);
    expect(() => checkSourceUrl("http://127.0.0.1:9001/a.png", options)).toThrow(ApiError);
    expect(() => checkSourceUrl("http://localhost:9000/a.png", options)).toThrow(ApiError);
  });
});

describe("isSpecialIpv6", () => {
  it("refuses what it cannot parse", () => {
    expect(isSpecialIpv6("not-an-address")).toBe(true);
    expect(isSpecialIpv6("1:2:3:4:5:6:7:8:9")).toBe(true);
  });
});

describe("resolvePublic (against the fixture DNS-over-HTTPS server)", () => {
  const resolver = () => `${inject("sourceUrl")}/dns-query`;
  const signal = () => AbortSignal.timeout(5_000);

  it.each(["public.example", "public6.example"])("lets %s through", async (name) => {
    await expect(resolvePublic(name, resolver(), signal())).resolves.toBeUndefined();
  });

  it.each([
    "private.example",
    "loopback.example",
    "metadata.example",
    "cgnat.example",
    "mixed.example",
    "v6private.example",
    "v6mapped.example",
  ])("refuses %s, which resolves to a special-purpose address", async (name) => {
    await expect(resolvePublic(name, resolver(), signal())).rejects.toMatchObject({ code: "invalid_url" });
  });

  it("refuses a name that does not resolve, and fails closed when the resolver fails", async () => {
    await expect(resolvePublic("nxdomain.example", resolver(), signal())).rejects.toMatchObject({
      code: "invalid_url",
    });
    await expect(resolvePublic("resolver-error.example", resolver(), signal())).rejects.toMatchObject({
      code: "invalid_url",
    });
    await expect(resolvePublic("public.example", "http://127.0.0.1:9/dns-query", signal())).rejects.toMatchObject({
      code: "invalid_url",
    });
  });
});
