import { describe, expect, it } from "vitest";
import { isPublicAddress } from "../../node-agent/src/tools/index.js";

describe("public address policy", () => {
  it("allows public unicast IPv4 and IPv6", () => {
    for (const address of [
      "1.1.1.1",
      "8.8.8.8",
      "93.184.216.34",
      "2606:4700:4700::1111",
      "2a00:1450:4001:81c::200e",
      "64:ff9b::808:808",
      "2002:0808:0808::1",
    ]) {
      expect(isPublicAddress(address), address).toBe(true);
    }
  });

  it("refuses loopback, private, link-local, CGNAT, unspecified, multicast, broadcast and reserved IPv4", () => {
    const refused = [
      "127.0.0.1",
      "127.255.255.254",
      "10.0.0.1",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "100.127.255.255",
      "0.0.0.0",
      "0.1.2.3",
      "224.0.0.1",
      "239.255.255.250",
      "255.255.255.255",
      "240.0.0.1",
      "192.0.0.8",
      "198.18.0.1",
      "192.0.2.1",
    ];
    for (const address of refused) expect(isPublicAddress(address), address).toBe(false);
    // The neighbours of the blocked ranges stay public.
    for (const address of ["172.15.255.255", "172.32.0.0", "100.63.255.255", "100.128.0.0", "169.253.255.255", "11.0.0.0"]) {
      expect(isPublicAddress(address), address).toBe(true);
    }
  });

  it("refuses loopback, unspecified, unique-local, link-local, site-local and multicast IPv6", () => {
    for (const address of ["::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "febf::1", "fec0::1", "ff02::1", "2001:db8::1", "2001::1", "100::1"]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });

  it("refuses blocked IPv4 addresses hidden in IPv6 forms (mapped, compatible, NAT64, 6to4)", () => {
    const hidden = [
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "::FFFF:169.254.169.254",
      "0:0:0:0:0:ffff:a00:1",
      "::127.0.0.1",
      "64:ff9b::127.0.0.1",
      "64:ff9b::a9fe:a9fe",
      "2002:7f00:1::",
      "2002:c0a8:0101::1",
      "::ffff:0.0.0.0",
    ];
    for (const address of hidden) expect(isPublicAddress(address), address).toBe(false);
    expect(isPublicAddress("::ffff:8.8.8.8")).toBe(true);
  });

  it("refuses anything that is not a plain literal address", () => {
    for (const text of ["localhost", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.1", "fe80::1%eth0", "", "example.com"]) {
      expect(isPublicAddress(text), text).toBe(false);
    }
  });
});
