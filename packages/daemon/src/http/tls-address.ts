// core.https_address: parsing into host and port, and the addresses clients can reach (LXD's ListenAddresses).
import { isIP } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** LXD's default HTTPS port. */
export const defaultHttpsPort = 8443;

export interface ListenAddress {
  /** '' for all addresses (dual stack), else an IP or host name without brackets. */
  host: string;
  port: number;
}

/** "127.0.0.1:8443", "[::1]:8443", ":8443", "::", "10.0.0.1" (port 8443), "host:8443". */
export function parseListenAddress(value: string): ListenAddress {
  const v = value.trim();
  // A bare IP (wrapped or not), or a host name without a port, takes the default port.
  const unwrapped = v.replace(/^\[(.*)\]$/, '$1');
  if (isIP(unwrapped) || !unwrapped.includes(':')) return { host: unwrapped, port: defaultHttpsPort };
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(v);
  if (!m) throw new Error(`Invalid listen address "${value}"`);
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`Invalid port in "${value}"`);
  return { host: m[1] ?? m[2] ?? '', port };
}

export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function isWildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::';
}

/** Go's IP.IsGlobalUnicast: not unspecified, loopback, link-local, multicast or broadcast. */
function isGlobalUnicast(info: NetworkInterfaceInfo): boolean {
  const a = info.address.toLowerCase();
  if (info.internal) return false;
  if (info.family === 'IPv4') {
    return !(a === '0.0.0.0' || a === '255.255.255.255' || a.startsWith('127.') || a.startsWith('169.254.') || Number(a.split('.')[0]) >= 224);
  }
  return !(a === '::' || a === '::1' || /^fe[89ab]/.test(a) || a.startsWith('ff'));
}

/**
 * The addresses a client can use for a configured listen address: the address itself, or for a
 * wildcard every global unicast address of the host (IPv4 only for 0.0.0.0), as LXD reports them in
 * environment.addresses and certificate add tokens.
 */
export function listenAddresses(configured: string, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string[] {
  if (configured.trim() === '') return [];
  const { host, port } = parseListenAddress(configured);
  if (!isWildcard(host)) return [joinHostPort(host, port)];
  const out: string[] = [];
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (!isGlobalUnicast(info)) continue;
      if (host === '0.0.0.0' && info.family !== 'IPv4') continue;
      out.push(joinHostPort(info.address, port));
    }
  }
  return out;
}
