/**
 * Which client an address is, where the API is open (`PUBLIC_API=true`, or development without keys) and the
 * rate limit and jobs key on the client's address (`CF-Connecting-IP`).
 *
 * An IPv4 address is one client. An IPv6 client is its /64: that is one subnet (RFC 4291 §2.5.4), what an ISP
 * gives a single home or phone, and its devices choose addresses in it at will and change them daily (RFC 8981
 * temporary addresses), so one client with a /64 could otherwise take a fresh rate-limit bucket for every
 * request. An IPv4 address written as IPv6 (`::ffff:1.2.3.4`) is that IPv4 address.
 *
 * ipaddr.js reads the address (the SSRF rules use it too), with two corrections where it reads more loosely
 * than RFC 4291: an address with a zone ID (`fe80::1%eth0`, an interface of the sender) is not read, so it stays
 * a bucket of its own as any unreadable header does; and the deprecated IPv4-compatible `::1.2.3.4`, which
 * ipaddr.js reads as the IPv4-mapped `::ffff:1.2.3.4`, stays the IPv6 client it is. Tested in address.test.ts.
 */
import ipaddr from "ipaddr.js";

/** How many leading bits of an IPv6 address name one client, in bits. */
export const IPV6_CLIENT_PREFIX_BITS = 64;

/** `::` and then a dotted quad, no other group: RFC 4291 §2.5.5.1's deprecated IPv4-compatible address. */
const IPV4_COMPATIBLE = /^::[^:]*\./;

/** The IPv6 address in `text`, any RFC 4291 §2.2 spelling without a zone ID, or null. */
function parseIpv6(text: string): ipaddr.IPv6 | null {
  if (!ipaddr.IPv6.isValid(text)) return null;
  const address = ipaddr.IPv6.parse(text);
  if (address.zoneId !== undefined) return null;
  if (IPV4_COMPATIBLE.test(text)) return new ipaddr.IPv6([0, 0, 0, 0, 0, 0, ...address.parts.slice(6)]);
  return address;
}

/**
 * The client an address stands for: an IPv4 address as it is, an IPv6 address's /64 in canonical form (RFC
 * 5952), an IPv4-mapped IPv6 address as its IPv4 address. Anything else (no header: `unknown`) is kept as it
 * came, so it is still one bucket of its own.
 *
 * @example
 * clientBucket("2001:0DB8:0001:0002:aaaa::1"); // "2001:db8:1:2::/64"
 * clientBucket("::ffff:192.0.2.7"); // "192.0.2.7"
 * clientBucket("192.0.2.7"); // "192.0.2.7"
 */
export function clientBucket(address: string): string {
  const text = address.trim();
  // Four decimal parts only: leading zeros (`01.2.3.4`) mean octal to some readers, so they are not read.
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return text;
  const ipv6 = parseIpv6(text);
  if (!ipv6) return text;
  // ::ffff:0:0/96 (RFC 4291 §2.5.5.2): an IPv4 client reached over IPv6.
  if (ipv6.isIPv4MappedAddress()) return ipv6.toIPv4Address().toString();
  const network = ipaddr.IPv6.networkAddressFromCIDR(`${ipv6.toNormalizedString()}/${IPV6_CLIENT_PREFIX_BITS}`);
  return `${network.toRFC5952String()}/${IPV6_CLIENT_PREFIX_BITS}`;
}
