/**
 * Which IP addresses web.fetch may connect to: public unicast only. Everything a request could use to
 * reach this PC, its LAN or a cloud metadata service is refused, including the same addresses written
 * as IPv4-mapped, NAT64 or 6to4 IPv6. Ranges follow the IANA special-purpose registries
 * (https://www.iana.org/assignments/iana-ipv4-special-registry, …/iana-ipv6-special-registry).
 */
import { isIPv4, isIPv6 } from "node:net";

const V4_BLOCKED: readonly (readonly [string, number])[] = [
  ["0.0.0.0", 8], // "this network", includes the unspecified 0.0.0.0
  ["10.0.0.0", 8], // RFC 1918
  ["100.64.0.0", 10], // carrier-grade NAT, RFC 6598
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, home of cloud metadata (169.254.169.254)
  ["172.16.0.0", 12], // RFC 1918
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // deprecated 6to4 relay anycast
  ["192.168.0.0", 16], // RFC 1918
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, includes the broadcast 255.255.255.255
];

const V4_RANGES = V4_BLOCKED.map(([base, bits]) => {
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return { net: (v4ToInt(base) & mask) >>> 0, mask };
});

/** Dotted-decimal IPv4 as an unsigned 32-bit number. Callers pass only strings net.isIPv4 accepted. */
function v4ToInt(address: string): number {
  return address.split(".").reduce((n, octet) => ((n << 8) | Number(octet)) >>> 0, 0);
}

function isPublicV4(n: number): boolean {
  return V4_RANGES.every(({ net, mask }) => (n & mask) >>> 0 !== net);
}

/** An IPv6 address as eight 16-bit groups, or undefined (zone ids like fe80::1%eth0 are refused). */
function v6Groups(address: string): number[] | undefined {
  if (address.includes("%")) return undefined;
  let text = address.toLowerCase();
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    if (!isIPv4(dotted[2]!)) return undefined;
    const n = v4ToInt(dotted[2]!);
    text = `${dotted[1]}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0) return undefined;
  const groups = [...head, ...Array<string>(fill).fill("0"), ...tail].map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
  return groups.length === 8 && groups.every((g) => !Number.isNaN(g)) ? groups : undefined;
}

function isPublicV6(g: number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = (hi: number, lo: number) => isPublicV4(((hi << 16) | lo) >>> 0);
  // ::ffff:a.b.c.d reaches the IPv4 address itself on a dual-stack socket.
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) return embedded(g6, g7);
  // NAT64 well-known prefix 64:ff9b::/96 translates to the embedded IPv4 address.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return embedded(g6, g7);
  // Only global unicast 2000::/3; this leaves out ::, ::1, ::/96, fc00::/7, fe80::/10, fec0::/10, ff00::/8.
  if ((g0 & 0xe000) !== 0x2000) return false;
  if (g0 === 0x2001 && g1 < 0x200) return false; // 2001::/23 IETF assignments, Teredo 2001::/32 among them
  if (g0 === 0x2001 && g1 === 0xdb8) return false; // documentation
  if (g0 === 0x3fff && g1 < 0x1000) return false; // documentation, RFC 9637
  if (g0 === 0x2002) return embedded(g1, g2); // 6to4 carries an IPv4 address in bits 16..47
  return true;
}

/** True only for a literal public unicast address; hostnames and odd spellings are not addresses. */
export function isPublicAddress(address: string): boolean {
  if (isIPv4(address)) return isPublicV4(v4ToInt(address));
  if (isIPv6(address)) {
    const groups = v6Groups(address);
    return groups !== undefined && isPublicV6(groups);
  }
  return false;
}
