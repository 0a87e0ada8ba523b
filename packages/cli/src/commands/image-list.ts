// `lodge image list`: lxc's columns (-c lLfFpdasut), filters (server-side where the API can, the rest here) and formats.
import type { Command } from 'commander';
import type { Image } from '@lodge/api';
import type { App } from '../app.js';
import type { Context } from '../context.js';
import { listOf } from '../format/gotypes.js';
import { goFloat } from '../format/goyaml.js';
import { stringList } from '../format/natural.js';
import { image as imageShape } from '../format/shapes.js';
import { resolveImageServer } from '../image-server.js';
import { imageSize, longDate } from '../format/units.js';
import { renderList } from '../output.js';
import { formatOf, withFormat } from './common.js';

interface Column {
  name: string;
  data: (i: Image) => string;
}

function shortestAlias(i: Image): string {
  let shortest = '';
  for (const a of i.aliases ?? []) {
    if (shortest === '') shortest = a.name;
    else if (a.name.length !== 0 && a.name.length < shortest.length) shortest = a.name;
  }
  return shortest;
}

const byteSort = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export const imageColumns: Record<string, Column> = {
  l: { name: 'ALIAS', data: (i) => ((i.aliases ?? []).length > 1 ? `${shortestAlias(i)} (${(i.aliases ?? []).length - 1} more)` : shortestAlias(i)) },
  L: { name: 'ALIASES', data: (i) => (i.aliases ?? []).map((a) => a.name).sort(byteSort).join('\n') },
  f: { name: 'FINGERPRINT', data: (i) => i.fingerprint.slice(0, 12) },
  F: { name: 'FINGERPRINT', data: (i) => i.fingerprint },
  p: { name: 'PUBLIC', data: (i) => (i.public ? 'yes' : 'no') },
  d: { name: 'DESCRIPTION', data: (i) => i.properties?.description ?? '' },
  a: { name: 'ARCHITECTURE', data: (i) => i.architecture ?? '' },
  s: { name: 'SIZE', data: (i) => imageSize(i.size ?? 0) },
  u: { name: 'UPLOAD DATE', data: (i) => longDate(i.uploaded_at) },
  t: { name: 'TYPE', data: (i) => (i.type ? i.type.toUpperCase() : 'CONTAINER') },
};

export function parseColumns(spec: string): Column[] {
  const out: Column[] = [];
  for (const entry of spec.split(',')) {
    if (entry === '') throw new Error(`Empty column entry (redundant, leading or trailing command) in '${spec}'`);
    for (const ch of entry) {
      const col = imageColumns[ch];
      if (!col) throw new Error(`Unknown column shorthand char '${ch}' in '${entry}'`);
      out.push(col);
    }
  }
  return out;
}

const imageFields = new Set(['auto_update', 'properties', 'public', 'expires_at', 'profiles', 'aliases', 'architecture', 'cached', 'filename', 'fingerprint', 'size', 'update_source', 'type', 'created_at', 'last_used_at', 'uploaded_at']);

/** getServerSupportedFilters: plain `field=value` on a top-level image field goes to the API's ?filter=. */
export function splitFilters(filters: string[]): { server: string[]; client: string[] } {
  const server: string[] = [];
  const client: string[] = [];
  for (const f of filters) {
    const eq = f.indexOf('=');
    const key = f.slice(0, eq);
    const ok = eq >= 0 && imageFields.has(key) && !f.slice(eq + 1).includes(',') && !key.includes('.');
    (ok ? server : client).push(f);
  }
  return { server, client };
}

export function apiFilter(filters: string[]): string {
  return filters.map((f) => `${f.slice(0, f.indexOf('='))} eq ${f.slice(f.indexOf('=') + 1)}`).join(' and ');
}

function dotPrefixMatch(short: string, full: string): boolean {
  const f = full.split('.');
  const s = short.split('.');
  return f.length === s.length && f.every((m, i) => m.startsWith(s[i] ?? ''));
}

function valueMatches(pattern: string, value: string): boolean {
  const anchored = pattern.includes('^') || pattern.includes('$') ? pattern : `^${pattern}$`;
  try {
    return new RegExp(anchored).test(value);
  } catch {
    return pattern === value;
  }
}

function fieldText(v: unknown): string {
  if (typeof v === 'number') return goFloat(v);
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** imageShouldShow: every filter must match (property regexps, top-level fields, or alias/fingerprint substrings). */
export function imageMatches(filters: string[], img: Image): boolean {
  return filters.every((filter) => {
    const eq = filter.indexOf('=');
    if (eq < 0) return (img.aliases ?? []).some((a) => a.name.includes(filter)) || img.fingerprint.includes(filter);
    const key = filter.slice(0, eq);
    const value = filter.slice(eq + 1);
    const props = Object.entries(img.properties ?? {});
    if (props.some(([k, v]) => dotPrefixMatch(key, k) && valueMatches(value, v))) return true;
    const top = (img as unknown as Record<string, unknown>)[key];
    return top !== undefined && fieldText(top) === value;
  });
}

async function list(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const r = await resolveImageServer(ctx, args[0] ?? '');
  const filters = [...(r.name ? [r.name] : []), ...args.slice(1)];
  const columns = parseColumns(typeof opts.columns === 'string' ? opts.columns : 'lfpdatsu');
  const split = splitFilters(filters);
  let images: Image[];
  let clientFilters = split.client;
  try {
    images = await r.server.list(apiFilter(split.server));
  } catch {
    images = await r.server.list('');
    clientFilters = filters;
  }
  const shown = images.filter((i) => imageMatches(clientFilters, i));
  const rows = shown.map((i) => columns.map((c) => c.data(i))).sort(stringList);
  ctx.print(renderList(formatOf(opts), columns.map((c) => c.name), rows, shown, listOf(imageShape)));
}

export function registerImageList(image: Command, app: App): void {
  const cmd = app.leaf(
    image,
    'list',
    {
      usage: '[<remote>:] [<filter>...]',
      summary: 'List images',
      description: `List images

Filters may be of the <key>=<value> form for property based filtering,
or part of the image hash or part of the image alias name.

The -c option takes a (optionally comma-separated) list of arguments
that control which image attributes to output when displaying in table
or csv format.

Default column layout is: lfpdasu

Column shorthand chars:

    l - Shortest image alias (and optionally number of other aliases)
    L - Newline-separated list of all image aliases
    f - Fingerprint (short)
    F - Fingerprint (long)
    p - Whether image is public
    d - Description
    a - Architecture
    s - Size
    u - Upload date
    t - Type`,
      aliases: ['ls'],
      max: -1,
    },
    list,
  );
  cmd.option('-c, --columns <columns>', 'Columns', 'lfpdatsu');
  withFormat(cmd);
}
