import { describe, expect, it } from "vitest";
import { clientBucket } from "./address.ts";

describe("clientBucket", () => {
  it("makes every spelling of one IPv6 /64 one client, in RFC 5952's canonical form", () => {
    const spellings = [
      "2001:db8:1:2::1",
      "2001:0DB8:0001:0002:0000:0000:0000:0001",
      "2001:DB8:1:2:0:0:0:1",
      "2001:db8:1:2:abcd:ef01:2345:6789",
      "2001:db8:1:2:ffff:ffff:ffff:ffff",
      "2001:db8:1:2::",
      "2001:db8:1:2:0:0:192.0.2.1",
      " 2001:db8:1:2::99 ",
    ];
    for (const address of spellings) expect(clientBucket(address), address).toBe("2001:db8:1:2::/64");
  });

  it("keeps neighbouring /64s apart", () => {
    expect(clientBucket("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(clientBucket("2001:db8:1:1:ffff::1")).toBe("2001:db8:1:1::/64");
    expect(clientBucket("2001:db9:1:2::1")).toBe("2001:db9:1:2::/64");
  });

  it.each([
    ["2001:db8::1", "2001:db8::/64"],
    ["2001:0:0:5::1", "2001:0:0:5::/64"], // the longest zero run is compressed, not the first
    ["2001:0:5:6:1::", "2001:0:5:6::/64"], // a single zero group is written 0
    ["2001:0:5:0:1::", "2001:0:5::/64"], // a zero group beside the /64's zeros joins their run
    ["::1", "::/64"],
    ["fe80::1", "fe80::/64"],
  ])("writes %s's /64 as %s", (address, bucket) => {
    expect(clientBucket(address)).toBe(bucket);
  });

  it("treats an IPv4-mapped IPv6 address as its IPv4 address, in either spelling", () => {
    for (const address of ["::ffff:1.2.3.4", "::FFFF:0102:0304", "0:0:0:0:0:ffff:1.2.3.4", "::ffff:102:304"]) {
      expect(clientBucket(address), address).toBe("1.2.3.4");
    }
    // Only ::ffff:0:0/96 is IPv4: an IPv4-compatible or NAT64 address is an IPv6 client.
    expect(clientBucket("::1.2.3.4")).toBe("::/64");
    expect(clientBucket("64:ff9b::1.2.3.4")).toBe("64:ff9b::/64");
  });

  it("keeps an IPv4 address whole, and anything it cannot read as it came", () => {
    expect(clientBucket("203.0.113.7")).toBe("203.0.113.7");
    expect(clientBucket("203.0.113.8")).toBe("203.0.113.8");
    for (const raw of [
      "unknown",
      "1:2:3",
      "2001:db8::1::2",
      "1:2:3:4:5:6:7:8:9",
      "2001:db8::g",
      "01.2.3.4",
      "fe80::1%eth0",
    ]) {
      expect(clientBucket(raw), raw).toBe(raw);
    }
  });
});
