/**
 * Which client an address is, where the API is open (`PUBLIC_API=true`, or development without keys) and the
 * rate limit and jobs key on the client's address (`CF-Connecting-IP`).
 *
 * An IPv4 address is one client. An IPv6 client is its /64: that is one subnet (RFC 4291 §2.5.4), what an ISP
 * gives a single home or phone, and its devices choose addresses in it at will and change them daily (RFC 8981
 * temporary addresses), so one client with a /64 could otherwise take a fresh rate-limit bucket for every
 * request. An IPv4 address written as IPv6 (`::ffff:1.2.3.4`) is that IPv4 address.
 *
 * A small parser of its own rather than a dependency: the input is one header that Cloudflare sets, and what it
 * must do (the groups, the /64, RFC 5952's spelling) fits here, tested in address.test.ts.
 */

/** How many leading bits of an IPv6 address name one client, in bits. */
export const IPV6_CLIENT_PREFIX_BITS = 64;
/** The 16-bit groups of an IPv6 address. */
const IPV6_GROUPS = 8;
/** The groups of an IPv6 address that name its client (IPV6_CLIENT_PREFIX_BITS of them, 16 bits each). */
const CLIENT_GROUPS = IPV6_CLIENT_PREFIX_BITS / 16;

/** A dotted-quad IPv4 address as four bytes, or null. Leading zeros are refused: they mean octal to some. */
function ipv4Bytes(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part))) return null;
  const bytes = parts.map(Number);
  return bytes.every((byte) => byte <= 255) ? bytes : null;
}

/** The eight 16-bit groups of an IPv6 address in any RFC 4291 §2.2 spelling, or null. */
function ipv6Groups(text: string): number[] | null {
  let body = text.toLowerCase();
  // A trailing dotted quad (`::ffff:1.2.3.4`) is the last two groups.
  const lastColon = body.lastIndexOf(":");
  const tail = body.slice(lastColon + 1);
  if (tail.includes(".")) {
    const bytes = ipv4Bytes(tail);
    if (!bytes) return null;
    const [a, b, c, d] = bytes as [number, number, number, number];
    body = `${body.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (half: string) => (half === "" ? [] : half.split(":"));
  const head = groupsOf(halves[0] as string);
  const rest = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  const missing = IPV6_GROUPS - head.length - rest.length;
  // `::` stands for at least one group; without it, all eight are written.
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const written = [...head, ...rest];
  if (!written.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return null;
  const numbers = (groups: string[]) => groups.map((group) => Number.parseInt(group, 16));
  return [...numbers(head), ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...numbers(rest)];
}

/**
 * Eight groups in RFC 5952's canonical text: lower-case hex without leading zeros, the longest run of two or more
 * zero groups (the first of equal runs) written `::`.
 */
function canonicalIpv6(groups: readonly number[]): string {
  let best = { start: -1, length: 1 };
  for (let i = 0; i < groups.length; ) {
    let end = i;
    while (end < groups.length && groups[end] === 0) end++;
    if (end - i > best.length) best = { start: i, length: end - i };
    i = end === i ? i + 1 : end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.start === -1) return hex.join(":");
  return `${hex.slice(0, best.start).join(":")}::${hex.slice(best.start + best.length).join(":")}`;
}

/**
 * The client an address stands for: an IPv4 address as it is, an IPv6 address's /64 in canonical form, an
 * IPv4-mapped IPv6 address as its IPv4 address. Anything else (no header: `unknown`) is kept as it came, so it is
 * still one bucket of its own.
 *
 * @example
 * clientBucket("2001:0DB8:0001:0002:aaaa::1"); // "2001:db8:1:2::/64"
 * clientBucket("::ffff:192.0.2.7"); // "192.0.2.7"
 * clientBucket("192.0.2.7"); // "192.0.2.7"
 */
export function clientBucket(address: string): string {
  const text = address.trim();
  if (ipv4Bytes(text)) return text;
  const groups = text.includes(":") ? ipv6Groups(text) : null;
  if (!groups) return text;
  // ::ffff:0:0/96 (RFC 4291 §2.5.5.2): an IPv4 client reached over IPv6.
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high, low] = groups.slice(6) as [number, number];
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  const prefix = [...groups.slice(0, CLIENT_GROUPS), ...Array<number>(IPV6_GROUPS - CLIENT_GROUPS).fill(0)];
  return `${canonicalIpv6(prefix)}/${IPV6_CLIENT_PREFIX_BITS}`;
}
