// Automatic subnets for "auto": a random private subnet that no local route, address or network uses.
// Only local state is consulted (the routing tables and interface addresses); nothing is ever probed.
import { readFile } from 'node:fs/promises';
import { formatIp, overlaps, parseCidr, type Cidr } from '../util/ip.js';

export type Random = (n: number) => number;

const mathRandom: Random = (n) => Math.floor(Math.random() * n);

function isDefaultRoute(c: Cidr): boolean {
  return c.prefix === 0;
}

function free(candidate: Cidr, taken: Cidr[]): boolean {
  return !taken.some((t) => !isDefaultRoute(t) && overlaps(candidate, t));
}

/** "10.X.Y.1/24" not overlapping anything taken (default routes ignored), as LXD picks; tries a bounded number of times. */
export function chooseSubnetV4(taken: Cidr[], random: Random = mathRandom): string | undefined {
  for (let i = 0; i < 1000; i++) {
    const text = `10.${random(255)}.${random(255)}.1/24`;
    if (free(parseCidr(text)!, taken)) return text;
  }
  return undefined;
}

/** "fd42:X:Y:Z::1/64" (a unique local /64) not overlapping anything taken. */
export function chooseSubnetV6(taken: Cidr[], random: Random = mathRandom): string | undefined {
  for (let i = 0; i < 1000; i++) {
    const g = () => random(65535).toString(16);
    const text = `fd42:${g()}:${g()}:${g()}::1/64`;
    if (free(parseCidr(text)!, taken)) return text;
  }
  return undefined;
}

export interface Route {
  dest: Cidr;
  dev: string;
  /** Directly connected (no gateway): the subnet of an interface. */
  connected: boolean;
}

/** Routes of /proc/net/route (little-endian hex destination, gateway and mask). */
export function parseProcRoute(text: string): Route[] {
  const out: Route[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const le = (hex: string) => BigInt(`0x${(hex.match(/../g) ?? []).reverse().join('')}`);
    const dest = le(f[1]!);
    const mask = le(f[7]!);
    let prefix = 0;
    for (let m = mask; m > 0n; m >>= 1n) prefix += Number(m & 1n);
    out.push({ dest: { family: 4, address: dest, prefix }, dev: f[0]!, connected: le(f[2]!) === 0n });
  }
  return out;
}

/** Routes of /proc/net/ipv6_route: destination, prefix length, source, source length, next hop, metric, counters, flags, device. */
export function parseProcIpv6Route(text: string): Route[] {
  const out: Route[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^[0-9a-f]{32}$/.test(f[0]!)) continue;
    const dest: Cidr = { family: 6, address: BigInt(`0x${f[0]}`), prefix: parseInt(f[1]!, 16) };
    // Local (host) and multicast entries are not subnets; link-local fe80::/64 is on every interface.
    if (dest.prefix === 128 || f[0]!.startsWith('ff') || f[0]!.startsWith('fe80')) continue;
    out.push({ dest, dev: f[9]!, connected: /^0+$/.test(f[4]!) });
  }
  return out;
}

/** Routes of this network namespace, read from /proc (no process spawned). */
export async function localRoutes(): Promise<Route[]> {
  const v4 = await readFile('/proc/net/route', 'utf8').catch(() => '');
  const v6 = await readFile('/proc/net/ipv6_route', 'utf8').catch(() => '');
  return [...parseProcRoute(v4), ...parseProcIpv6Route(v6)];
}

export function describe(c: Cidr): string {
  return `${formatIp(c.family, c.address)}/${c.prefix}`;
}
