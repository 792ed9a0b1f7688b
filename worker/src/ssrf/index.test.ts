import { describe, expect, inject, it } from "vitest";
import { ApiError } from "../../../contract/errors.ts";
import {
  checkSourceUrl,
  effectivePort,
  isSpecialIpv4,
  isSpecialIpv6,
  resolvePublic,
  SPECIAL_PURPOSE_IPV4,
  SPECIAL_PURPOSE_IPV6,
} from "./index.ts";

const NONE = { allowedPrivateOrigins: [] as string[], urlAllowedPorts: [80, 443] };

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
    "https://images.example.org/p/a.jpg?x=1",
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
    const options = { allowedPrivateOrigins: ["http://127.0.0.1:9000"], urlAllowedPorts: [80, 443] };
    expect(checkSourceUrl("http://127.0.0.1:9000/a.png", options).allowed).toBe(true);
    expect(() => checkSourceUrl("http://127.0.0.1:9001/a.png", options)).toThrow(ApiError);
    expect(() => checkSourceUrl("http://localhost:9000/a.png", options)).toThrow(ApiError);
  });
});

/**
 * One address in each entry of the IANA Special-Purpose Address Registries (ssrf/index.ts cites them), written
 * out here rather than derived from the code's table, so that a wrong line in the table fails a test.
 */
const REGISTRY_IPV4: Array<[string, string]> = [
  ["0.0.0.0/8 this network", "0.1.2.3"],
  ["10.0.0.0/8 private-use", "10.255.0.1"],
  ["100.64.0.0/10 shared address space", "100.100.0.1"],
  ["127.0.0.0/8 loopback", "127.0.0.2"],
  ["169.254.0.0/16 link local", "169.254.0.1"],
  ["172.16.0.0/12 private-use", "172.20.0.1"],
  ["192.0.0.0/24 IETF protocol assignments", "192.0.0.170"],
  ["192.0.0.0/29 DS-Lite", "192.0.0.1"],
  ["192.0.0.8/32 IPv4 dummy address", "192.0.0.8"],
  ["192.0.0.9/32 PCP anycast (globally reachable)", "192.0.0.9"],
  ["192.0.0.10/32 TURN anycast (globally reachable)", "192.0.0.10"],
  ["192.0.2.0/24 TEST-NET-1", "192.0.2.55"],
  ["192.31.196.0/24 AS112-v4 (globally reachable)", "192.31.196.1"],
  ["192.52.193.0/24 AMT (globally reachable)", "192.52.193.1"],
  ["192.88.99.0/24 deprecated 6to4 relay anycast", "192.88.99.1"],
  ["192.88.99.2/32 6a44 relay anycast", "192.88.99.2"],
  ["192.168.0.0/16 private-use", "192.168.200.1"],
  ["192.175.48.0/24 AS112 direct delegation (globally reachable)", "192.175.48.6"],
  ["198.18.0.0/15 benchmarking", "198.19.255.1"],
  ["198.51.100.0/24 TEST-NET-2", "198.51.100.7"],
  ["203.0.113.0/24 TEST-NET-3", "203.0.113.9"],
  ["224.0.0.0/4 multicast", "239.1.2.3"],
  ["240.0.0.0/4 reserved", "250.1.2.3"],
  ["255.255.255.255/32 limited broadcast", "255.255.255.255"],
];

const REGISTRY_IPV6: Array<[string, string]> = [
  ["::1/128 loopback", "::1"],
  ["::/128 unspecified", "::"],
  ["::ffff:0:0/96 IPv4-mapped, even of a public address", "::ffff:8.8.8.8"],
  ["64:ff9b::/96 NAT64, even of a public address", "64:ff9b::808:808"],
  ["64:ff9b:1::/48 local-use NAT64", "64:ff9b:1::1"],
  ["100::/64 discard-only", "100::1"],
  ["100:0:0:1::/64 dummy prefix", "100:0:0:1::1"],
  ["2001::/23 IETF protocol assignments", "2001:1ff::1"],
  ["2001::/32 Teredo", "2001::1"],
  ["2001:1::1/128 PCP anycast (globally reachable)", "2001:1::1"],
  ["2001:1::2/128 TURN anycast (globally reachable)", "2001:1::2"],
  ["2001:1::3/128 DNS-SD SRP anycast (globally reachable)", "2001:1::3"],
  ["2001:2::/48 benchmarking", "2001:2::1"],
  ["2001:3::/32 AMT (globally reachable)", "2001:3::1"],
  ["2001:4:112::/48 AS112-v6 (globally reachable)", "2001:4:112::1"],
  ["2001:10::/28 deprecated ORCHID", "2001:10::1"],
  ["2001:20::/28 ORCHIDv2 (globally reachable)", "2001:20::1"],
  ["2001:30::/28 DRIP DETs (globally reachable)", "2001:30::1"],
  ["2001:db8::/32 documentation", "2001:db8::1"],
  ["2002::/16 6to4, even of a public address", "2002:808:808::1"],
  ["2620:4f:8000::/48 AS112 direct delegation (globally reachable)", "2620:4f:8000::1"],
  ["3fff::/20 documentation", "3fff:fff::1"],
  ["5f00::/16 SRv6 SIDs", "5f00::1"],
  ["fc00::/7 unique-local", "fdff::1"],
  ["fe80::/10 link-local", "febf::1"],
  ["fec0::/10 deprecated site-local", "fec0::1"],
  ["ff00::/8 multicast", "ff0e::1"],
  ["outside 2000::/3: unassigned", "4000::1"],
  ["outside 2000::/3: IPv4-compatible (deprecated)", "::8.8.8.8"],
  ["outside 2000::/3: IPv4-translated (RFC 2765)", "::ffff:0:808:808"],
];

describe("the IANA Special-Purpose Address Registries, entry by entry", () => {
  it.each(REGISTRY_IPV4)("refuses IPv4 %s (%s)", (_entry, address) => {
    expect(refusal(`http://${address}/a.png`)).toEqual({ status: 400, code: "invalid_url", detail: PRIVATE });
  });

  it.each(REGISTRY_IPV6)("refuses IPv6 %s (%s)", (_entry, address) => {
    expect(refusal(`http://[${address}]/a.png`)).toEqual({ status: 400, code: "invalid_url", detail: PRIVATE });
  });

  it.each([
    "1.1.1.1",
    "100.63.255.255",
    "169.253.255.255",
    "172.15.255.255",
    "192.0.1.1",
    "192.31.197.1",
    "192.52.192.255",
    "192.88.100.1",
    "192.175.49.1",
    "198.20.0.1",
    "223.255.255.254",
  ])("lets the public IPv4 neighbour %s through", (address) => {
    expect(refusal(`http://${address}/a.png`)).toBeNull();
  });

  it.each([
    "2001:200::1", // the first address past 2001::/23 (APNIC)
    "2003::1",
    "2606:4700::1111",
    "2620:4f:8001::1",
    "3fff:1000::1", // the first address past 3fff::/20
    "2a00:1450:4001::1",
  ])("lets the public IPv6 neighbour %s through", (address) => {
    expect(refusal(`http://[${address}]/a.png`)).toBeNull();
  });

  it("refuses the first address of every block in the code's table, each citing an RFC", () => {
    for (const block of SPECIAL_PURPOSE_IPV4) {
      expect(block.rfc).toMatch(/RFC \d+/);
      expect(isSpecialIpv4(block.cidr.split("/")[0] as string), block.cidr).toBe(true);
    }
    for (const block of SPECIAL_PURPOSE_IPV6) {
      expect(block.rfc).toMatch(/RFC \d+/);
      expect(isSpecialIpv6(block.cidr.split("/")[0] as string), block.cidr).toBe(true);
    }
  });

  it("says why it refuses each block the registry calls globally reachable", () => {
    for (const block of [...SPECIAL_PURPOSE_IPV4, ...SPECIAL_PURPOSE_IPV6]) {
      if (block.globallyReachable === true) expect(block.reason, block.cidr).toBeTruthy();
    }
  });
});

describe("checkSourceUrl: ports", () => {
  const PORTS = "Only URLs on ports 80 and 443 are allowed";

  it.each([
    "https://images.example.org:8443/p/a.jpg",
    "http://example.com:22/",
    "http://example.com:6379/",
    "http://93.184.216.34:8080/a.png",
    "https://[2606:4700:4700::1111]:853/",
    "http://example.com:1/",
  ])("refuses %s: only 80 and 443 by default", (url) => {
    expect(refusal(url)).toEqual({ status: 400, code: "invalid_url", detail: PORTS });
  });

  it.each([
    "http://example.com/",
    "https://example.com/",
    "http://example.com:80/",
    "https://example.com:443/",
    "https://example.com:80/", // odd, but port 80 is allowed
  ])("lets %s through", (url) => {
    expect(refusal(url)).toBeNull();
  });

  it("checks the effective port: no port written is 80 for http and 443 for https", () => {
    expect(effectivePort(new URL("http://example.com/"))).toBe(80);
    expect(effectivePort(new URL("https://example.com/"))).toBe(443);
    expect(effectivePort(new URL("http://example.com:443/"))).toBe(443);
    const httpsOnly = { allowedPrivateOrigins: [], urlAllowedPorts: [443] };
    expect(() => checkSourceUrl("http://example.com/a.png", httpsOnly)).toThrow(
      expect.objectContaining({ code: "invalid_url", extra: { detail: "Only URLs on port 443 are allowed" } }),
    );
    expect(checkSourceUrl("https://example.com/a.png", httpsOnly).url.port).toBe("");
  });

  it("follows URL_ALLOWED_PORTS", () => {
    const options = { allowedPrivateOrigins: [], urlAllowedPorts: [80, 443, 8443] };
    expect(checkSourceUrl("https://images.example.org:8443/a.jpg", options).url.port).toBe("8443");
    expect(() => checkSourceUrl("https://images.example.org:8080/a.jpg", options)).toThrow(
      expect.objectContaining({ extra: { detail: "Only URLs on ports 80, 443 and 8443 are allowed" } }),
    );
  });

  it("allows the port of an origin ALLOW_PRIVATE_SOURCE_ADDRESSES names, since that origin is exact", () => {
    const options = { allowedPrivateOrigins: ["http://127.0.0.1:9000"], urlAllowedPorts: [80, 443] };
    expect(checkSourceUrl("http://127.0.0.1:9000/a.png", options).allowed).toBe(true);
    // The same port on another host is still refused: by its address here, by its port for a public one.
    expect(() => checkSourceUrl("http://127.0.0.2:9000/a.png", options)).toThrow(
      expect.objectContaining({ extra: { detail: PRIVATE } }),
    );
    expect(() => checkSourceUrl("http://93.184.216.34:9000/a.png", options)).toThrow(
      expect.objectContaining({ extra: { detail: PORTS } }),
    );
  });

  it("names the address before the port when both are wrong", () => {
    expect(refusal("http://10.0.0.1:8080/")).toMatchObject({ detail: PRIVATE });
  });
});

describe("isSpecialIpv4", () => {
  it.each(["127.1", "0177.0.0.1", "0x7f.0.0.1", "2130706433", "1.2.3.256", "8.8.8.08", "not-an-address", ""])(
    "refuses %s, which is not four decimal parts (what URL parsing and DNS answers give)",
    (text) => {
      expect(isSpecialIpv4(text)).toBe(true);
    },
  );
});

describe("isSpecialIpv6", () => {
  it("refuses what it cannot parse", () => {
    expect(isSpecialIpv6("not-an-address")).toBe(true);
    expect(isSpecialIpv6("1:2:3:4:5:6:7:8:9")).toBe(true);
    expect(isSpecialIpv6("2001:db8::1::2")).toBe(true);
    expect(isSpecialIpv6("2606:4700::g")).toBe(true);
  });

  it("judges the address, not its zone ID", () => {
    expect(isSpecialIpv6("fe80::1%eth0")).toBe(true);
    expect(isSpecialIpv6("2606:4700::1111%eth0")).toBe(false);
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
