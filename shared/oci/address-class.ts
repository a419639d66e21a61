/**
 * What kind of network an IP address belongs to, for deciding whether the service may connect
 * to it. Pure functions over address text: no DNS, no sockets. IPv4-mapped (`::ffff:a.b.c.d`)
 * and NAT64 (`64:ff9b::/96`) addresses are judged by the IPv4 address they carry, so that an
 * IPv6 spelling cannot smuggle a link-local or metadata address past the check.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type AddressClass =
  /** Cloud instance metadata: 169.254.169.254, fd00:ec2::254, 100.100.100.200 (Alibaba). */
  | 'metadata'
  /** 169.254.0.0/16, fe80::/10: never a registry, often a metadata or host-local service. */
  | 'link-local'
  /** 0.0.0.0/8, `::`, multicast, broadcast and reserved: nothing a registry answers on. */
  | 'unusable'
  /** 127.0.0.0/8, ::1 */
  | 'loopback'
  /** 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT), fc00::/7 */
  | 'private'
  | 'public';

/** Host names that resolve to a metadata service from inside a cloud instance. */
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
  'metadata.tencentyun.com',
  'metadata.platformequinix.com',
]);

/** Whether a host name (not an address) names a metadata service. */
export function isMetadataName(hostname: string): boolean {
  return METADATA_NAMES.has(hostname.toLowerCase().replace(/\.$/, ''));
}

/** Classifies an IPv4 or IPv6 address (IPv6 with or without brackets); undefined if not an address. */
export function classifyAddress(address: string): AddressClass | undefined {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIPv4(text)) return classifyIPv4(text.split('.').map(Number));
  if (isIPv6(text)) return classifyIPv6(expandIPv6(text.replace(/%.*$/, '')));
  return undefined;
}

function classifyIPv4([a, b, c, d]: number[]): AddressClass {
  if (a === 169 && b === 254 && c === 169 && d === 254) return 'metadata';
  if (a === 100 && b === 100 && c === 100 && d === 200) return 'metadata';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 0 || a! >= 224) return 'unusable';
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168) || (a === 100 && b! >= 64 && b! <= 127)) return 'private';
  return 'public';
}

function classifyIPv6(groups: number[]): AddressClass {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const embeddedV4 = () => [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff];
  const zeroUpTo = (n: number) => groups.slice(0, n).every((g) => g === 0);
  if (zeroUpTo(5) && g5 === 0xffff) return classifyIPv4(embeddedV4());
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyIPv4(embeddedV4());
  if (zeroUpTo(7) && g7 === 1) return 'loopback';
  if (zeroUpTo(8)) return 'unusable';
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254) return 'metadata';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xfe00) === 0xfc00) return 'private';
  if ((g0 & 0xff00) === 0xff00) return 'unusable';
  return 'public';
}

/** Eight 16-bit groups of a valid IPv6 address (as `isIPv6` accepts it). */
function expandIPv6(text: string): number[] {
  let body = text;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    body = body.slice(0, -dotted[1]!.length);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const [head, rest] = body.includes('::') ? body.split('::') as [string, string] : [body, undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const missing = 8 - left.length - right.length - tail.length;
  return [...left, ...Array<number>(Math.max(missing, 0)).fill(0), ...right, ...tail];
}
