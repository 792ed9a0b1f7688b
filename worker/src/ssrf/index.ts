/**
 * Which URLs the Worker may fetch an image from: the SSRF defence of `POST /v1/image/analysis/url`.
 *
 * The reference service (1.7) checked the host string against a few private patterns, so numeric IPs
 * (`http://2130706433/`), `localhost.` with a trailing dot, CGNAT addresses, names resolving to private
 * addresses and redirects all went through. Here:
 *
 * 1. Only `http:`/`https:`, no credentials in the URL.
 * 2. The host is taken from WHATWG URL parsing, which already turns every IPv4 notation it accepts (decimal
 *    `2130706433`, hex `0x7f.1`, octal `0177.0.0.1`, short `127.1`) into a dotted quad and every IPv6 literal
 *    into its canonical form; the address is then checked against every special-purpose range of the IANA
 *    registries (RFC 6890 and updates): loopback, private (RFC 1918), link-local, CGNAT (RFC 6598), multicast,
 *    unspecified, reserved, documentation, benchmarking, unique-local (RFC 4193), and every IPv6 form that
 *    embeds an IPv4 address (mapped, compatible, NAT64 RFC 6052, 6to4 RFC 3056, Teredo RFC 4380).
 * 3. `localhost` and `*.localhost` (RFC 6761 §6.3), with or without a trailing dot, and single-label names.
 * 4. Names are resolved with DNS over HTTPS and refused when any answer is special-purpose (see
 *    `resolvePublic`), failing closed: docs/SECURITY.md says why a Worker needs this.
 *
 * The download follows redirects by hand and runs every hop through the same checks (source/index.ts).
 */
import { ApiError } from "../../../contract/errors.ts";

/** The public words of every refusal of an address (the wording, the reference's envelope). */
export const PRIVATE_ADDRESS_DETAIL = "URLs pointing to private or local network addresses are not allowed";

export function invalidUrl(detail: string): ApiError {
  return new ApiError(400, "invalid_url", "Invalid URL", { extra: { detail } });
}

// ---------------------------------------------------------------------------------------------- IPv4

type Cidr4 = readonly [number, number]; // network as a 32-bit number, prefix length

function ipv4ToNumber(dotted: string): number | null {
  const parts = dotted.split(".");
  if (parts.length !== 4) return null;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    n = n * 256 + Number(part);
  }
  return n;
}

function cidr4(text: string): Cidr4 {
  const [net, len] = text.split("/");
  return [ipv4ToNumber(net as string) as number, Number(len)];
}

/** IPv4 special-purpose ranges (IANA IPv4 Special-Purpose Address Registry, plus multicast and reserved). */
const SPECIAL_IPV4: readonly Cidr4[] = [
  "0.0.0.0/8", // "this network", unspecified
  "10.0.0.0/8", // private
  "100.64.0.0/10", // CGNAT shared address space
  "127.0.0.0/8", // loopback
  "169.254.0.0/16", // link-local (cloud metadata at 169.254.169.254)
  "172.16.0.0/12", // private
  "192.0.0.0/24", // IETF protocol assignments
  "192.0.2.0/24", // documentation
  "192.88.99.0/24", // 6to4 relay anycast
  "192.168.0.0/16", // private
  "198.18.0.0/15", // benchmarking
  "198.51.100.0/24", // documentation
  "203.0.113.0/24", // documentation
  "224.0.0.0/4", // multicast
  "240.0.0.0/4", // reserved, and 255.255.255.255 broadcast
].map(cidr4);

function inCidr4(address: number, [net, len]: Cidr4): boolean {
  const size = 2 ** (32 - len);
  return Math.floor(address / size) === Math.floor(net / size);
}

/**
 * Whether a dotted-quad IPv4 address is special-purpose (never a public image host).
 *
 * @example
 * isSpecialIpv4("100.64.0.1"); // true (CGNAT)
 * isSpecialIpv4("93.184.216.34"); // false
 */
export function isSpecialIpv4(dotted: string): boolean {
  const n = ipv4ToNumber(dotted);
  return n === null || SPECIAL_IPV4.some((range) => inCidr4(n, range));
}

// ---------------------------------------------------------------------------------------------- IPv6

/** Eight 16-bit groups of an IPv6 literal (without brackets), or null when it is not one. */
function ipv6Groups(literal: string): number[] | null {
  let text = literal.toLowerCase();
  const zone = text.indexOf("%");
  if (zone !== -1) text = text.slice(0, zone);
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two groups.
  const quad = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (quad) {
    const n = ipv4ToNumber(quad[1] as string);
    if (n === null) return null;
    text = `${text.slice(0, quad.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (s: string) =>
    s === "" ? [] : s.split(":").map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN));
  const head = parse(halves[0] as string);
  const tail = halves.length === 2 ? parse(halves[1] as string) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? head.length !== 8 : missing < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.some(Number.isNaN) ? null : groups;
}

/**
 * Whether an IPv6 literal is special-purpose: unspecified, loopback, unique-local, link-local, site-local,
 * multicast, documentation, or any form that embeds an IPv4 address (which could be a private one).
 *
 * @example
 * isSpecialIpv6("::ffff:7f00:1"); // true (IPv4-mapped 127.0.0.1)
 * isSpecialIpv6("2606:4700::1111"); // false
 */
export function isSpecialIpv6(literal: string): boolean {
  const g = ipv6Groups(literal);
  if (!g) return true; // unparseable: refuse
  const [g0, g1, g2, g3, g4, g5] = g as [number, number, number, number, number, number];
  const firstFiveZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (firstFiveZero && (g5 === 0 || g5 === 0xffff)) return true; // ::, ::1, IPv4-compatible ::a.b.c.d, mapped ::ffff:a.b.c.d
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0xffff && g5 === 0) return true; // IPv4-translated (RFC 2765)
  if (g0 === 0x64 && g1 === 0xff9b) return true; // NAT64 64:ff9b::/96 and 64:ff9b:1::/48
  if (g0 === 0x2002) return true; // 6to4
  if (g0 === 0x2001 && g1 === 0) return true; // Teredo 2001::/32
  if (g0 === 0x2001 && g1 === 0xdb8) return true; // documentation
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return true; // discard-only 100::/64
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique-local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0) return true; // link-local, site-local
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  return false;
}

// ---------------------------------------------------------------------------------------------- hosts

/** What a URL's host is, after WHATWG parsing. */
export type HostKind =
  | { kind: "ipv4"; address: string }
  | { kind: "ipv6"; address: string }
  | { kind: "name"; name: string };

/**
 * Classifies a URL's `hostname` (as `new URL()` leaves it: IPv4 as a dotted quad, IPv6 in brackets).
 *
 * @example
 * hostKind(new URL("http://0x7f.1/").hostname); // { kind: "ipv4", address: "127.0.0.1" }
 */
export function hostKind(hostname: string): HostKind {
  if (hostname.startsWith("[") && hostname.endsWith("]")) return { kind: "ipv6", address: hostname.slice(1, -1) };
  if (ipv4ToNumber(hostname) !== null) return { kind: "ipv4", address: hostname };
  return { kind: "name", name: hostname.toLowerCase().replace(/\.+$/, "") };
}

/**
 * Whether a host name is local by name alone: `localhost`, `*.localhost` (RFC 6761), or a single label
 * (`intranet`), which only a local resolver's search list could give a meaning.
 *
 * @example
 * isLocalName("api.localhost"); // true
 */
export function isLocalName(name: string): boolean {
  return name === "" || name === "localhost" || name.endsWith(".localhost") || !name.includes(".");
}

export interface SourceUrlOptions {
  /** Origins (`http://127.0.0.1:9000`) that may be fetched although their address is private: tests only. */
  allowedPrivateOrigins: readonly string[];
}

/**
 * Parses and checks a source URL by its text alone (scheme, credentials, literal address, local name), the
 * checks that need no network. Names still have to pass `resolvePublic`.
 *
 * @example
 * checkSourceUrl("http://2130706433/x.png", { allowedPrivateOrigins: [] }); // throws 400 Invalid URL
 * checkSourceUrl("https://example.com/a.jpg", { allowedPrivateOrigins: [] }); // { url, host: { kind: "name", … } }
 */
export function checkSourceUrl(raw: string, options: SourceUrlOptions): { url: URL; host: HostKind; allowed: boolean } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    if (!/^https?:\/\//i.test(raw.trim())) throw invalidScheme();
    throw invalidUrl("The URL could not be parsed");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalidScheme();
  if (url.username !== "" || url.password !== "") throw invalidUrl("URLs with credentials are not allowed");
  url.hash = "";
  const host = hostKind(url.hostname);
  const allowed = options.allowedPrivateOrigins.includes(url.origin);
  if (!allowed) {
    if (host.kind === "ipv4" && isSpecialIpv4(host.address)) throw invalidUrl(PRIVATE_ADDRESS_DETAIL);
    if (host.kind === "ipv6" && isSpecialIpv6(host.address)) throw invalidUrl(PRIVATE_ADDRESS_DETAIL);
    if (host.kind === "name" && isLocalName(host.name)) throw invalidUrl(PRIVATE_ADDRESS_DETAIL);
  }
  return { url, host, allowed };
}

function invalidScheme(): ApiError {
  return new ApiError(400, "invalid_url_scheme", "Invalid URL scheme", {
    extra: { detail: "URL must start with http:// or https://" },
  });
}

// ---------------------------------------------------------------------------------------------- DNS

interface DohAnswer {
  type: number;
  data: string;
}

const DNS_TYPE_A = 1;
const DNS_TYPE_AAAA = 28;

/**
 * Resolves `name` over DNS over HTTPS (the JSON API: RFC 8484's `application/dns-json` flavour) and throws
 * 400 Invalid URL when any A or AAAA answer is special-purpose, or when the name does not resolve at all.
 * Any failure of the resolver itself refuses the URL too: a check that cannot run must not let a URL through.
 *
 * Why: Cloudflare documents no guarantee that a Worker's subrequest to a name that resolves to a private
 * address is refused, and local workerd (`wrangler dev`) does fetch it (worker/test/source.test.ts).
 *
 * @example
 * await resolvePublic("example.com", "https://cloudflare-dns.com/dns-query", signal);
 */
export async function resolvePublic(name: string, resolverUrl: string, signal: AbortSignal): Promise<void> {
  const answers: DohAnswer[] = [];
  for (const type of ["A", "AAAA"]) {
    let body: { Status?: number; Answer?: DohAnswer[] };
    try {
      const url = `${resolverUrl}?name=${encodeURIComponent(name)}&type=${type}`;
      const res = await fetch(url, { headers: { Accept: "application/dns-json" }, signal });
      if (!res.ok) throw new Error(`resolver answered ${res.status}`);
      body = await res.json();
    } catch (cause) {
      if (signal.aborted) throw cause;
      throw Object.assign(invalidUrl("The URL's host name could not be checked, please retry"), { cause });
    }
    answers.push(...(body.Answer ?? []));
  }
  const addresses = answers.filter((a) => a.type === DNS_TYPE_A || a.type === DNS_TYPE_AAAA);
  if (addresses.length === 0) throw invalidUrl("The URL's host name does not resolve");
  for (const answer of addresses) {
    const special = answer.type === DNS_TYPE_A ? isSpecialIpv4(answer.data) : isSpecialIpv6(answer.data);
    if (special) throw invalidUrl(PRIVATE_ADDRESS_DETAIL);
  }
}
