// `lodge list`: lxc's column letters, custom config/device columns and client-side filters, as pure functions of the API objects.
import type { InstanceFull } from '@lodge/api';
import { byteSizeIEC, shortDate } from '../format/units.js';

export interface Column {
  name: string;
  data: (i: InstanceFull) => string;
  needsState?: boolean;
  needsSnapshots?: boolean;
}

export const defaultColumns = 'ns46tSL';
export const defaultColumnsAllProjects = 'ens46tSL';

const stopped = 102;
const errorCode = 112;

/** api.Instance.IsActive: anything but Stopped and Error. */
export const isActive = (i: { status_code: number }): boolean => i.status_code !== stopped && i.status_code !== errorCode;

/** shared.TimeIsSet: a time after the Unix epoch. */
export function timeIsSet(s: string | undefined): boolean {
  if (!s) return false;
  const t = Date.parse(s);
  return !Number.isNaN(t) && t > 0;
}

/** Addresses of one family, as "addr (iface)", without loopback devices and link/local scopes, sorted in reverse. */
export function addresses(i: InstanceFull, family: 'inet' | 'inet6'): string {
  if (!isActive(i) || !i.state?.network) return '';
  const out: string[] = [];
  for (const [dev, net] of Object.entries(i.state.network)) {
    if (net.type === 'loopback') continue;
    for (const a of net.addresses ?? []) {
      if (a.scope === 'link' || a.scope === 'local') continue;
      if (a.family === family) out.push(`${a.address} (${dev})`);
    }
  }
  return out.sort(goStringCompare).reverse().join('\n');
}

/** Go's string order (bytewise), not the locale's. */
export function goStringCompare(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/** The root disk device (type disk, path /, no source), as shared.GetRootDiskDevice picks it. */
export function rootDisk(devices: Record<string, Record<string, string>> | null | undefined): string {
  for (const [name, d] of Object.entries(devices ?? {})) {
    if (d.type === 'disk' && d.path === '/' && !d.source) return name;
  }
  return '';
}

const siUnits: Record<string, number> = { '': 1, B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, PB: 1e15, EB: 1e18 };
const iecUnits: Record<string, number> = { KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40, PiB: 2 ** 50, EiB: 2 ** 60 };

/** units.ParseByteSizeString for the common forms ("256MB", "1GiB", "1000"). */
export function parseByteSize(s: string): number | undefined {
  const m = /^(-?\d+)\s*([A-Za-z]*)$/.exec(s.trim());
  if (!m) return undefined;
  const unit = m[2] ?? '';
  const mult = siUnits[unit] ?? iecUnits[unit];
  return mult === undefined ? undefined : Number(m[1]) * mult;
}

function memoryPercent(i: InstanceFull): string {
  const usage = i.state?.memory?.usage ?? 0;
  if (!isActive(i) || !i.state || usage <= 0) return '';
  const limit = i.expanded_config?.['limits.memory'] ?? '';
  if (limit === '' || limit.includes('%')) return '';
  const max = parseByteSize(limit);
  return max && max > 0 ? `${((usage / max) * 100).toFixed(1)}%` : '';
}

function baseImage(i: InstanceFull, long: boolean): string {
  const v = (i.config ?? {})['volatile.base_image'];
  if (v === undefined) return '';
  return !long && v.length >= 12 ? v.slice(0, 12) : v;
}

function typeName(i: InstanceFull): string {
  const t = (i.type || 'container').toUpperCase();
  return i.ephemeral ? `${t} (EPHEMERAL)` : t;
}

const shorthand: Record<string, Column> = {
  '4': { name: 'IPV4', data: (i) => addresses(i, 'inet'), needsState: true },
  '6': { name: 'IPV6', data: (i) => addresses(i, 'inet6'), needsState: true },
  a: { name: 'ARCHITECTURE', data: (i) => i.architecture ?? '' },
  b: {
    name: 'STORAGE POOL',
    data: (i) => Object.values(i.expanded_devices ?? {}).find((d) => d.type === 'disk' && d.path === '/')?.pool ?? '',
  },
  c: { name: 'CREATED AT', data: (i) => (timeIsSet(i.created_at) ? shortDate(i.created_at) : '') },
  d: { name: 'DESCRIPTION', data: (i) => i.description ?? '' },
  D: {
    name: 'DISK USAGE',
    needsState: true,
    data: (i) => {
      const usage = i.state?.disk?.[rootDisk(i.expanded_devices)]?.usage ?? 0;
      return usage > 0 ? byteSizeIEC(usage, 2) : '';
    },
  },
  e: { name: 'PROJECT', data: (i) => i.project ?? '' },
  f: { name: 'BASE IMAGE', data: (i) => baseImage(i, false) },
  F: { name: 'BASE IMAGE', data: (i) => baseImage(i, true) },
  l: { name: 'LAST USED AT', data: (i) => (timeIsSet(i.last_used_at) ? shortDate(i.last_used_at) : '') },
  m: {
    name: 'MEMORY USAGE',
    needsState: true,
    data: (i) => (isActive(i) && i.state && i.state.memory.usage > 0 ? byteSizeIEC(i.state.memory.usage, 2) : ''),
  },
  M: { name: 'MEMORY USAGE%', needsState: true, data: memoryPercent },
  n: { name: 'NAME', data: (i) => i.name },
  N: { name: 'PROCESSES', needsState: true, data: (i) => (isActive(i) && i.state ? String(i.state.processes) : '') },
  p: { name: 'PID', needsState: true, data: (i) => (isActive(i) && i.state ? String(i.state.pid) : '') },
  P: { name: 'PROFILES', data: (i) => (i.profiles ?? []).join('\n') },
  S: { name: 'SNAPSHOTS', needsSnapshots: true, data: (i) => String((i.snapshots ?? []).length) },
  s: { name: 'STATE', data: (i) => (i.status ?? '').toUpperCase() },
  t: { name: 'TYPE', data: typeName },
  u: {
    name: 'CPU USAGE',
    needsState: true,
    data: (i) => (isActive(i) && i.state && i.state.cpu.usage > 0 ? `${Math.floor(i.state.cpu.usage / 1e9)}s` : ''),
  },
};

const configKey = /^[A-Za-z0-9_.-]+\.[A-Za-z0-9_.-]+$/;

function customColumn(entry: string): Column {
  let parts = entry.split(':');
  let kind = 'config';
  if ((parts[0] === 'config' || parts[0] === 'devices') && parts.length > 1) {
    kind = parts[0];
    parts = parts.slice(1);
  }
  if (parts.length > 3) throw new Error(`Invalid config key column format (too many fields): '${entry}'`);
  const key = parts[0] ?? '';
  if (kind === 'config' && !configKey.test(key)) throw new Error(`Invalid config key '${key}' in '${entry}'`);
  let name = key;
  if (parts.length > 1) {
    if (parts[1] === '' && parts.length !== 3) throw new Error(`Invalid name in '${entry}', empty string is only allowed when defining maxWidth`);
    name = parts[1] ?? '';
  }
  let maxWidth = -1;
  if (parts.length > 2) {
    const raw = parts[2] ?? '';
    if (!/^[-+]?\d+$/.test(raw)) throw new Error(`Invalid max width (must be an integer) '${raw}' in '${entry}'`);
    const n = Number.parseInt(raw, 10);
    if (n < -1) throw new Error(`Invalid max width (must -1, 0 or a positive integer) '${raw}' in '${entry}'`);
    maxWidth = n === 0 ? name.length : n;
  }
  const cut = (v: string): string => (maxWidth > 0 && v.length > maxWidth ? v.slice(0, maxWidth) : v);
  if (kind === 'devices') {
    return {
      name,
      data: (i) => {
        const d = key.split('.');
        if (d.length !== 2) return '';
        const [dev = '', k = ''] = d;
        const own = i.devices?.[dev];
        return cut(own && k in own ? (own[k] ?? '') : (i.expanded_devices?.[dev]?.[k] ?? ''));
      },
    };
  }
  return { name, data: (i) => cut(key in (i.config ?? {}) ? (i.config[key] ?? '') : (i.expanded_config?.[key] ?? '')) };
}

export interface ColumnOptions {
  columns?: string;
  fast?: boolean;
  allProjects?: boolean;
  clustered: boolean;
}

/** lxc's parseColumns: shorthand letters (commas optional) and custom `[config:|devices:]key[:name][:maxWidth]` entries. */
export function parseColumns(opts: ColumnOptions): { columns: Column[]; needsData: boolean } {
  let spec = opts.columns ?? defaultColumns;
  const isDefault = (s: string): boolean => s === defaultColumns || s === defaultColumnsAllProjects;
  if (opts.allProjects && spec === defaultColumns) spec = defaultColumnsAllProjects;
  if (opts.fast) {
    if (!isDefault(spec)) throw new Error("Can't specify --fast with --columns");
    spec = spec === defaultColumnsAllProjects ? 'ensacPt' : 'nsacPt';
  }
  const table = { ...shorthand };
  if (opts.clustered) table.L = { name: 'LOCATION', data: (i) => i.location ?? '' };
  else {
    if (!isDefault(spec) && spec.includes('L')) throw new Error("Can't specify column L when not clustered");
    spec = spec.replaceAll('L', '');
  }
  const columns: Column[] = [];
  for (const entry of spec.split(',')) {
    if (entry === '') throw new Error(`Empty column entry (redundant, leading or trailing command) in '${spec}'`);
    if (!entry.includes('.')) {
      for (const ch of entry) {
        const col = table[ch];
        if (!col) throw new Error(`Unknown column shorthand char '${ch}' in '${entry}'`);
        columns.push(col);
      }
    } else columns.push(customColumn(entry));
  }
  return { columns, needsData: columns.some((c) => c.needsState === true || c.needsSnapshots === true) };
}

/** Instance struct fields (yaml tags) the server can filter on. */
const serverFields = new Set([
  'backups',
  'state',
  'snapshots',
  'created_at',
  'expanded_config',
  'expanded_devices',
  'name',
  'status',
  'status_code',
  'last_used_at',
  'location',
  'type',
  'project',
  'architecture',
  'config',
  'devices',
  'ephemeral',
  'profiles',
  'stateful',
  'description',
]);

/** getServerSupportedFilters: plain `field=value` goes to the server, everything else is applied here. */
export function splitFilters(filters: string[]): { server: string[]; client: string[] } {
  const server: string[] = [];
  const client: string[] = [];
  for (const f of filters) {
    const eq = f.indexOf('=');
    const key = eq < 0 ? '' : f.slice(0, eq);
    const value = eq < 0 ? '' : f.slice(eq + 1);
    if (eq < 0 || !serverFields.has(key) || value.includes(',') || key.includes('.')) client.push(f);
    else server.push(f);
  }
  return { server, client };
}

/** A Go regexp as a JS one (anchored unless the pattern has ^ or $); undefined when it does not compile. */
function goRegexp(pattern: string): RegExp | undefined {
  const anchored = pattern.includes('^') || pattern.includes('$') ? pattern : `^${pattern}$`;
  try {
    return new RegExp(anchored);
  } catch {
    return undefined;
  }
}

/** "u.blah" matches "user.blah": each dotted part is a prefix of the key's part. */
export function dotPrefixMatch(short: string, full: string): boolean {
  const f = full.split('.');
  const s = short.split('.');
  return f.length === s.length && f.every((part, i) => part.startsWith(s[i] ?? ''));
}

function inNet(address: string, query: string): boolean {
  const slash = query.indexOf('/');
  if (slash < 0) return false;
  const bits = Number.parseInt(query.slice(slash + 1), 10);
  const a = ipBytes(address);
  const n = ipBytes(query.slice(0, slash));
  if (!a || !n || a.length !== n.length || Number.isNaN(bits)) return false;
  for (let b = 0; b < bits; b++) {
    const byte = b >> 3;
    const mask = 0x80 >> (b & 7);
    if (((a[byte] ?? 0) & mask) !== ((n[byte] ?? 0) & mask)) return false;
  }
  return true;
}

function ipBytes(ip: string): number[] | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return ip.split('.').map(Number);
  if (!ip.includes(':')) return undefined;
  const [head = '', tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  const groups = [...h, ...fill, ...t];
  if (groups.length !== 8) return undefined;
  return groups.flatMap((g) => {
    const v = Number.parseInt(g, 16);
    return [(v >> 8) & 0xff, v & 0xff];
  });
}

function matchNet(i: InstanceFull, query: string, family: 'inet' | 'inet6'): boolean {
  for (const net of Object.values(i.state?.network ?? {})) {
    for (const a of net.addresses ?? []) {
      if (a.family !== family) continue;
      if (a.address === query || inNet(a.address, query)) return true;
    }
  }
  return false;
}

const shorthandFilters: Record<string, (i: InstanceFull, q: string) => boolean> = {
  type: (i, q) => i.type.toLowerCase() === q.toLowerCase(),
  status: (i, q) => i.status.toLowerCase() === q.toLowerCase(),
  architecture: (i, q) => i.architecture.toLowerCase() === q.toLowerCase(),
  location: (i, q) => (i.location ?? '').toLowerCase() === q.toLowerCase(),
  ipv4: (i, q) => matchNet(i, q, 'inet'),
  ipv6: (i, q) => matchNet(i, q, 'inet6'),
};

function shorthandFilter(key: string, value: string, i: InstanceFull): boolean {
  const fn = shorthandFilters[key.toLowerCase()];
  if (!fn) return false;
  if (value.includes(',')) return value.split(',').some((v) => fn(i, v));
  return fn(i, value);
}

/** lxc's shouldShow: every filter must match (name regexps or prefixes, shorthands, config keys and value regexps). */
export function shouldShow(filters: string[], i: InstanceFull): boolean {
  for (const filter of filters) {
    const eq = filter.indexOf('=');
    if (eq >= 0) {
      const key = filter.slice(0, eq);
      const value = filter.slice(eq + 1);
      if (shorthandFilter(key, value, i)) continue;
      let found = false;
      for (const [k, v] of Object.entries(i.expanded_config ?? {})) {
        if (!dotPrefixMatch(key, k)) continue;
        const re = goRegexp(value);
        if (!re) {
          if (value === v) {
            found = true;
            break;
          }
          return false;
        }
        if (re.test(v)) {
          found = true;
          break;
        }
      }
      if (((i.expanded_config ?? {})[key] ?? '') === value) continue;
      if (!found) return false;
    } else {
      const re = goRegexp(filter);
      if (re?.test(i.name)) continue;
      if (!i.name.startsWith(filter)) return false;
    }
  }
  return true;
}
