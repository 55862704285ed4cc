import { describe, expect, it } from "vitest";
import { clientIp, ipBucket } from "../../worker/auth/rate-limit";

describe("rate-limit bucket of a client address", () => {
  it.each([
    // IPv4 stays whole.
    ["203.0.113.7", "203.0.113.7"],
    [" 203.0.113.7 ", "203.0.113.7"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    // IPv6: one /64 whatever the interface id and however it is written (RFC 4291 §2.2, RFC 5952).
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
    ["2001:DB8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["2001:db8::", "2001:db8:0:0::/64"],
    ["2001:db8:0:0:1::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["::", "0:0:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["[2001:db8:1:2::9]", "2001:db8:1:2::/64"],
    ["2001:db8:1:2:3:4:1.2.3.4", "2001:db8:1:2::/64"],
    ["64:ff9b::198.51.100.1", "64:ff9b:0:0::/64"],
    // IPv4-mapped IPv6 is the IPv4 client itself, in either spelling.
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["::FFFF:cb00:7107", "203.0.113.7"],
    ["0:0:0:0:0:ffff:203.0.113.7", "203.0.113.7"],
  ])("%s → %s", (ip, bucket) => {
    expect(ipBucket(ip)).toBe(bucket);
  });

  it.each([
    "",
    "unknown",
    "203.0.113",
    "203.0.113.7.1",
    "256.0.0.1",
    "01.2.3.4",
    "1.2.3.-4",
    "2001:db8::1::2",
    "2001:db8:1:2:3:4:5:6:7",
    "2001:db8:1:2:3:4:5",
    "2001:db8:1:2:3:4:5:6::",
    "12345::1",
    "2001:db8::g",
    "1.2.3.4::1",
    "2001:db8::1.2.3",
    ":::",
    "a".repeat(65),
  ])("%j is no address", (ip) => {
    expect(ipBucket(ip)).toBeUndefined();
  });

  it("puts requests without a readable address in one shared bucket", () => {
    expect(clientIp(undefined)).toBe("unknown");
    expect(clientIp("garbage")).toBe("unknown");
    expect(clientIp("2001:db8:1:2::7")).toBe(clientIp("2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
    expect(clientIp("2001:db8:1:2::7")).not.toBe(clientIp("2001:db8:1:3::7"));
  });
});
