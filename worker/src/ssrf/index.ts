/**
 * Which URLs the Worker may fetch an image from: the SSRF defence of `POST /v1/image/analysis/url`.
 *
 * The reference service (1.7) checked the host string against a few private patterns, so numeric IPs
 * (`http://2130706433/`), `localhost.` with a trailing dot, CGNAT addresses, names resolving to private
 * addresses and redirects all went through. Here:
 *
 * 1. Only `http:`/`https:`, no credentials in the URL, only the ports of `URL_ALLOWED_PORTS` (80 and 443).
 * 2. The host is taken from WHATWG URL parsing, which already turns every IPv4 notation it accepts (decimal
 *    `2130706433`, hex `0x7f.1`, octal `0177.0.0.1`, short `127.1`) into a dotted quad and every IPv6 literal
 *    into its canonical form; the address is then checked against every block of the IANA IPv4 and IPv6
 *    Special-Purpose Address Registries (RFC 6890, RFC 8190; the tables below, one line per entry with its
 *    RFC), multicast, and for IPv6 everything outside 2000::/3.
 * 3. `localhost` and `*.localhost` (RFC 6761 §6.3), with or without a trailing dot, and single-label names.
 * 4. Names are resolved with DNS over HTTPS and refused when any answer is special-purpose (see
 *    `resolvePublic`), failing closed: docs/SECURITY.md says why a Worker needs this.
 *
 * The download follows redirects by hand and runs every hop through the same checks (source/index.ts).
 */
import ipaddr from "ipaddr.js";
import { ApiError } from "../../../contract/errors.ts";

/** The public words of every refusal of an address (the wording, the reference's envelope). */
export const PRIVATE_ADDRESS_DETAIL = "URLs pointing to private or local network addresses are not allowed";

export function invalidUrl(detail: string): ApiError {
  return new ApiError(400, "invalid_url", "Invalid URL", { extra: { detail } });
}

// ------------------------------------------------------------------------------------ the registries

/**
 * One block of an IANA special-purpose registry, as the registry lists it, and why this service refuses it.
 * `globallyReachable` is the registry's own column ("n/a" where it says N/A). Every block is refused, the
 * globally reachable ones included: each of those is a protocol endpoint (anycast relays, AS112 DNS sinks),
 * an identifier rather than a locator (ORCHIDv2, DRIP), or a translation prefix that would wrap an address we
 * cannot see; none is a place an image is served from, and refusing a whole block is simpler to check than
 * its exceptions (`reason` says why for each such entry).
 */
export interface SpecialBlock {
  cidr: string;
  name: string;
  rfc: string;
  globallyReachable: boolean | "n/a";
  reason?: string;
}

/**
 * IANA IPv4 Special-Purpose Address Registry (RFC 6890, updated by RFC 8190),
 * https://www.iana.org/assignments/iana-ipv4-special-registry/iana-ipv4-special-registry.xhtml, every entry;
 * the more specific entries inside 192.0.0.0/24 and 192.88.99.0/24 (DS-Lite 192.0.0.0/29, 192.0.0.8/32,
 * PCP 192.0.0.9/32, TURN 192.0.0.10/32, NAT64 discovery 192.0.0.170-171, 6a44 192.88.99.2/32) are covered by
 * their /24. Plus multicast, from the IANA IPv4 Multicast Address Space Registry (RFC 5771),
 * https://www.iana.org/assignments/multicast-addresses/multicast-addresses.xhtml: not unicast at all.
 */
export const SPECIAL_PURPOSE_IPV4: readonly SpecialBlock[] = [
  { cidr: "0.0.0.0/8", name: '"This network"', rfc: "RFC 791 §3.2, RFC 1122 §3.2.1.3", globallyReachable: false },
  { cidr: "10.0.0.0/8", name: "Private-Use", rfc: "RFC 1918", globallyReachable: false },
  { cidr: "100.64.0.0/10", name: "Shared Address Space (CGNAT)", rfc: "RFC 6598", globallyReachable: false },
  { cidr: "127.0.0.0/8", name: "Loopback", rfc: "RFC 1122 §3.2.1.3", globallyReachable: false },
  { cidr: "169.254.0.0/16", name: "Link Local (cloud metadata)", rfc: "RFC 3927", globallyReachable: false },
  { cidr: "172.16.0.0/12", name: "Private-Use", rfc: "RFC 1918", globallyReachable: false },
  {
    cidr: "192.0.0.0/24",
    name: "IETF Protocol Assignments",
    rfc: "RFC 6890 §2.1",
    globallyReachable: false,
    reason: "its two globally reachable /32s (PCP anycast RFC 7723, TURN anycast RFC 8155) are protocol relays",
  },
  { cidr: "192.0.2.0/24", name: "Documentation (TEST-NET-1)", rfc: "RFC 5737", globallyReachable: false },
  {
    cidr: "192.31.196.0/24",
    name: "AS112-v4",
    rfc: "RFC 7535",
    globallyReachable: true,
    reason: "DNS sink servers for reverse lookups of private space",
  },
  {
    cidr: "192.52.193.0/24",
    name: "AMT",
    rfc: "RFC 7450",
    globallyReachable: true,
    reason: "multicast tunnelling relays",
  },
  {
    cidr: "192.88.99.0/24",
    name: "Deprecated (6to4 Relay Anycast)",
    rfc: "RFC 7526",
    globallyReachable: false,
  },
  { cidr: "192.168.0.0/16", name: "Private-Use", rfc: "RFC 1918", globallyReachable: false },
  {
    cidr: "192.175.48.0/24",
    name: "Direct Delegation AS112 Service",
    rfc: "RFC 7534",
    globallyReachable: true,
    reason: "DNS sink servers",
  },
  { cidr: "198.18.0.0/15", name: "Benchmarking", rfc: "RFC 2544", globallyReachable: false },
  { cidr: "198.51.100.0/24", name: "Documentation (TEST-NET-2)", rfc: "RFC 5737", globallyReachable: false },
  { cidr: "203.0.113.0/24", name: "Documentation (TEST-NET-3)", rfc: "RFC 5737", globallyReachable: false },
  { cidr: "224.0.0.0/4", name: "Multicast (multicast registry)", rfc: "RFC 5771", globallyReachable: "n/a" },
  { cidr: "240.0.0.0/4", name: "Reserved", rfc: "RFC 1112 §4", globallyReachable: false },
  { cidr: "255.255.255.255/32", name: "Limited Broadcast", rfc: "RFC 8190, RFC 919 §7", globallyReachable: false },
];

/**
 * IANA IPv6 Special-Purpose Address Registry (RFC 6890, updated by RFC 8190),
 * https://www.iana.org/assignments/iana-ipv6-special-registry/iana-ipv6-special-registry.xhtml, every entry,
 * plus multicast and the deprecated site-local prefix from the IANA IPv6 Address Space Registry,
 * https://www.iana.org/assignments/ipv6-address-space/ipv6-address-space.xhtml. On top of the table,
 * everything outside 2000::/3, the only block that registry allocates as Global Unicast (RFC 4291 §2.4), is
 * refused too: so is every block assigned after this table was written, outside 2000::/3 at least.
 */
export const SPECIAL_PURPOSE_IPV6: readonly SpecialBlock[] = [
  { cidr: "::1/128", name: "Loopback Address", rfc: "RFC 4291", globallyReachable: false },
  { cidr: "::/128", name: "Unspecified Address", rfc: "RFC 4291", globallyReachable: false },
  { cidr: "::ffff:0:0/96", name: "IPv4-mapped Address", rfc: "RFC 4291", globallyReachable: false },
  {
    cidr: "64:ff9b::/96",
    name: "IPv4-IPv6 Translat.",
    rfc: "RFC 6052",
    globallyReachable: true,
    reason: "wraps an IPv4 address, which may be a private one, for a NAT64 gateway the Worker does not need",
  },
  { cidr: "64:ff9b:1::/48", name: "IPv4-IPv6 Translat. (local use)", rfc: "RFC 8215", globallyReachable: false },
  { cidr: "100::/64", name: "Discard-Only Address Block", rfc: "RFC 6666", globallyReachable: false },
  { cidr: "100:0:0:1::/64", name: "Dummy IPv6 Prefix", rfc: "RFC 9780", globallyReachable: false },
  {
    cidr: "2001::/23",
    name: "IETF Protocol Assignments",
    rfc: "RFC 2928",
    globallyReachable: false,
    reason:
      "refused whole, with its globally reachable entries: PCP, TURN and DNS-SD SRP anycast 2001:1::1-3 (RFC 7723, " +
      "RFC 8155, RFC 9665), AMT 2001:3::/32 (RFC 7450), AS112-v6 2001:4:112::/48 (RFC 7535), ORCHIDv2 " +
      "2001:20::/28 (RFC 7343) and DRIP DETs 2001:30::/28 (RFC 9374); ORCHIDs and DETs are identifiers, not locators",
  },
  { cidr: "2001::/32", name: "TEREDO (wraps an IPv4 address)", rfc: "RFC 4380, RFC 8190", globallyReachable: "n/a" },
  { cidr: "2001:2::/48", name: "Benchmarking", rfc: "RFC 5180, RFC Errata 1752", globallyReachable: false },
  { cidr: "2001:10::/28", name: "Deprecated (previously ORCHID)", rfc: "RFC 4843", globallyReachable: "n/a" },
  { cidr: "2001:20::/28", name: "ORCHIDv2", rfc: "RFC 7343", globallyReachable: true, reason: "identifiers" },
  { cidr: "2001:db8::/32", name: "Documentation", rfc: "RFC 3849", globallyReachable: false },
  { cidr: "2002::/16", name: "6to4 (wraps an IPv4 address)", rfc: "RFC 3056", globallyReachable: "n/a" },
  {
    cidr: "2620:4f:8000::/48",
    name: "Direct Delegation AS112 Service",
    rfc: "RFC 7534",
    globallyReachable: true,
    reason: "DNS sink servers",
  },
  { cidr: "3fff::/20", name: "Documentation", rfc: "RFC 9637", globallyReachable: false },
  { cidr: "5f00::/16", name: "Segment Routing (SRv6) SIDs", rfc: "RFC 9602", globallyReachable: false },
  { cidr: "fc00::/7", name: "Unique-Local", rfc: "RFC 4193, RFC 8190", globallyReachable: false },
  { cidr: "fe80::/10", name: "Link-Local Unicast", rfc: "RFC 4291", globallyReachable: false },
  {
    cidr: "fec0::/10",
    name: "Site-Local (deprecated, address space registry)",
    rfc: "RFC 3879",
    globallyReachable: false,
  },
  { cidr: "ff00::/8", name: "Multicast (address space registry)", rfc: "RFC 4291", globallyReachable: "n/a" },
];

// ---------------------------------------------------------------------------------------------- matching

// The tables stay text, as the registries print them; ipaddr.js does the parsing and the prefix arithmetic.
const REFUSED_IPV4 = SPECIAL_PURPOSE_IPV4.map((block) => ipaddr.IPv4.parseCIDR(block.cidr));
const REFUSED_IPV6 = SPECIAL_PURPOSE_IPV6.map((block) => ipaddr.IPv6.parseCIDR(block.cidr));
const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR("2000::/3");

/**
 * Whether a dotted-quad IPv4 address is in a block of `SPECIAL_PURPOSE_IPV4` (never a public image host).
 * Only the four-part decimal form counts as an address: that is what URL parsing leaves and what a DNS answer
 * holds, and any other text (`0177.0.0.1`, `127.1`, which ipaddr.js would read too) is refused as unreadable.
 *
 * @example
 * isSpecialIpv4("100.64.0.1"); // true (CGNAT)
 * isSpecialIpv4("93.184.216.34"); // false
 */
export function isSpecialIpv4(dotted: string): boolean {
  if (!ipaddr.IPv4.isValidFourPartDecimal(dotted)) return true;
  const address = ipaddr.IPv4.parse(dotted);
  return REFUSED_IPV4.some((range) => address.match(range));
}

/**
 * Whether an IPv6 literal is outside 2000::/3 or in a block of `SPECIAL_PURPOSE_IPV6`; unparseable counts as
 * special, and a zone ID (`fe80::1%eth0`) changes nothing. Every form that wraps an IPv4 address (mapped,
 * compatible, translated, NAT64, 6to4, Teredo) is refused whole, whichever IPv4 address it wraps: so the
 * IPv4 inside is never unwrapped here (ipaddr.js even reads the deprecated `::1.2.3.4` as `::ffff:1.2.3.4`, both
 * refused).
 *
 * @example
 * isSpecialIpv6("::ffff:7f00:1"); // true (IPv4-mapped 127.0.0.1)
 * isSpecialIpv6("2606:4700::1111"); // false
 */
export function isSpecialIpv6(literal: string): boolean {
  if (!ipaddr.IPv6.isValid(literal)) return true;
  const address = ipaddr.IPv6.parse(literal);
  return !address.match(GLOBAL_UNICAST) || REFUSED_IPV6.some((range) => address.match(range));
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
  if (ipaddr.IPv4.isValidFourPartDecimal(hostname)) return { kind: "ipv4", address: hostname };
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
  /**
   * Origins (`http://127.0.0.1:9000`) that may be fetched although their address is private: tests only. An
   * origin is exact (scheme, host and port), so its port is allowed with it, whatever `urlAllowedPorts` says.
   */
  allowedPrivateOrigins: readonly string[];
  /** The TCP ports a URL may name (`URL_ALLOWED_PORTS`; 80 and 443 by default). */
  urlAllowedPorts: readonly number[];
}

/**
 * The port a URL connects to: the one it names, else its scheme's default (WHATWG URL leaves `port` empty
 * for 80 on http and 443 on https, written or not).
 *
 * @example
 * effectivePort(new URL("https://example.com/")); // 443
 */
export function effectivePort(url: URL): number {
  if (url.port !== "") return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}

/** "80 and 443", "443", "80, 443 and 8080". */
function portList(ports: readonly number[]): string {
  const sorted = [...ports].sort((a, b) => a - b).map(String);
  return sorted.length <= 1 ? (sorted[0] ?? "none") : `${sorted.slice(0, -1).join(", ")} and ${sorted.at(-1)}`;
}

/**
 * The refusal of a port, in the words of the other refused URLs. Without it the service would tell a caller
 * whether any port of any public host answers (a port scanner with our address).
 *
 * @example
 * portNotAllowed([80, 443]).extra.detail; // "Only URLs on ports 80 and 443 are allowed"
 */
export function portNotAllowed(ports: readonly number[]): ApiError {
  return invalidUrl(`Only URLs on port${ports.length === 1 ? "" : "s"} ${portList(ports)} are allowed`);
}

/**
 * Parses and checks a source URL by its text alone (scheme, credentials, literal address, local name, port),
 * the checks that need no network. Names still have to pass `resolvePublic`.
 *
 * @example
 * const options = { allowedPrivateOrigins: [], urlAllowedPorts: [80, 443] };
 * checkSourceUrl("http://2130706433/x.png", options); // throws 400 Invalid URL
 * checkSourceUrl("https://example.com:8443/a.jpg", options); // throws 400 Invalid URL (the port)
 * checkSourceUrl("https://example.com/a.jpg", options); // { url, host: { kind: "name", … } }
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
    if (!options.urlAllowedPorts.includes(effectivePort(url))) throw portNotAllowed(options.urlAllowedPorts);
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
 * address is refused, and local workerd (`wrangler dev`) does fetch it (worker/test/url.test.ts, "is needed:
 * workerd itself fetches a name that resolves to loopback").
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
