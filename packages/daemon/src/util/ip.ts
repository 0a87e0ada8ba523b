// IP address and CIDR arithmetic for IPv4 and IPv6 on bigints, and config validators built on it (pure, no I/O).
import { isIP } from 'node:net';

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** The address as written (may have host bits set, e.g. the gateway in 10.0.0.1/24). */
  address: bigint;
  prefix: number;
}

const bits = (f: Family): number => (f === 4 ? 32 : 128);

export function parseIp(s: string): { family: Family; value: bigint } | undefined {
  const kind = isIP(s);
  if (kind === 4) {
    const parts = s.split('.').map(Number);
    return { family: 4, value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
  }
  if (kind !== 6) return undefined;
  let text = s.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = parseIp(v4[1])!.value;
    text = text.slice(0, -v4[1].length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

export function formatIp(family: Family, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn));
  // RFC 5952: compress the longest run of two or more zero groups.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function parseCidr(s: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const ip = parseIp(m[1]!);
  const prefix = Number(m[2]);
  if (!ip || prefix > bits(ip.family)) return undefined;
  return { family: ip.family, address: ip.value, prefix };
}

function hostMask(c: Pick<Cidr, 'family' | 'prefix'>): bigint {
  return (1n << BigInt(bits(c.family) - c.prefix)) - 1n;
}

/** The network address (host bits cleared). */
export function networkOf(c: Cidr): bigint {
  return c.address & ~hostMask(c);
}

export function lastOf(c: Cidr): bigint {
  return networkOf(c) | hostMask(c);
}

/** "10.0.0.0/24" for "10.0.0.1/24". */
export function subnetString(c: Cidr): string {
  return `${formatIp(c.family, networkOf(c))}/${c.prefix}`;
}

export function addressString(c: Cidr): string {
  return formatIp(c.family, c.address);
}

export function contains(c: Cidr, family: Family, value: bigint): boolean {
  return c.family === family && value >= networkOf(c) && value <= lastOf(c);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && networkOf(a) <= lastOf(b) && networkOf(b) <= lastOf(a);
}

/** The n-th address of the subnet; negative n counts from the end (-1 is the last, the IPv4 broadcast). */
export function nthAddress(c: Cidr, n: number): bigint {
  return n >= 0 ? networkOf(c) + BigInt(n) : lastOf(c) + 1n + BigInt(n);
}

/** Dotted netmask for IPv4, prefix length for IPv6 (as LXD reports it). */
export function netmaskString(family: Family, prefix: number): string {
  if (family === 6) return String(prefix);
  const mask = ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefix)) - 1n);
  return formatIp(4, mask);
}

export function canonicalIp(s: string): string | undefined {
  const ip = parseIp(s);
  return ip && formatIp(ip.family, ip.value);
}

export interface IpRange {
  family: Family;
  start: bigint;
  end: bigint;
}

/** "10.0.0.10-10.0.0.50" */
export function parseRange(s: string): IpRange | undefined {
  const [a, b, ...rest] = s.trim().split('-');
  if (rest.length > 0 || a === undefined || b === undefined) return undefined;
  const start = parseIp(a.trim());
  const end = parseIp(b.trim());
  if (!start || !end || start.family !== end.family || start.value > end.value) return undefined;
  return { family: start.family, start: start.value, end: end.value };
}

/** The modified EUI-64 address a SLAAC client derives from its MAC in a /64. */
export function eui64(subnet: Cidr, mac: string): bigint | undefined {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  if (b.length !== 6 || b.some((x) => Number.isNaN(x))) return undefined;
  const iid = [b[0]! ^ 2, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!].reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
  return networkOf(subnet) | iid;
}

// ---- validators for config tables (throw an Error saying what is wrong) ----

/** An address with its prefix that can be given to an interface: not the network or IPv4 broadcast address. */
export function checkHostCidr(family: Family): (v: string) => void {
  return (v) => {
    const c = parseCidr(v);
    if (!c || c.family !== family) throw new Error(`Not an IPv${family} address with a prefix length "${v}"`);
    if (c.family === 4 && c.prefix > 30) throw new Error(`The IPv4 prefix length must be 30 or less "${v}"`);
    if (c.address === networkOf(c)) throw new Error(`Not a usable IPv${family} address "${v}" (it is the network address)`);
    if (c.family === 4 && c.address === lastOf(c)) throw new Error(`Not a usable IPv4 address "${v}" (it is the broadcast address)`);
  };
}

export function checkSubnet(family: Family): (v: string) => void {
  return (v) => {
    const c = parseCidr(v);
    if (!c || c.family !== family) throw new Error(`Not an IPv${family} network "${v}"`);
  };
}

export function checkAddress(family: Family): (v: string) => void {
  return (v) => {
    if (parseIp(v)?.family !== family) throw new Error(`Not an IPv${family} address "${v}"`);
  };
}

export function checkRange(family: Family): (v: string) => void {
  return (v) => {
    const r = parseRange(v);
    if (!r || r.family !== family) throw new Error(`Invalid IPv${family} range "${v}" (want START-END)`);
  };
}

/** Comma-separated list, each item checked. */
export function listOf(check: (v: string) => void): (v: string) => void {
  return (v) => {
    for (const item of v.split(',')) check(item.trim());
  };
}
