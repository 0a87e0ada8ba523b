// `lodge storage ...`: storage pools (list, show, info, create, set, unset, get, edit, delete) and the volumes of a
// pool (volume list, volume show), with lxc's requests and output.
import type { Command } from 'commander';
import type { StoragePool, StoragePoolPut, StorageVolume } from '@lodge/api';
import type { App } from '../app.js';
import { parseKeyValues } from '../args.js';
import type { Context, Resource } from '../context.js';
import { edit } from '../editor.js';
import { storagePool, storagePoolPut, storagePoolResources, storageVolume } from '../format/shapes.js';
import { byteSizeIEC } from '../format/units.js';
import { listOf } from '../format/gotypes.js';
import { naturalLess, sortRows } from '../format/natural.js';
import { renderList, toYaml } from '../output.js';
import { formatOf, isClustered, withFormat } from './common.js';

const poolEditHelp = `### This is a YAML representation of a storage pool.
### Any line starting with a '#' will be ignored.
###
### A storage pool consists of a set of configuration items.
###
### An example would look like:
### name: default
### driver: zfs
### used_by: []
### config:
###   size: "61203283968"
###   source: /home/chb/mnt/lxd_test/default.img
###   zfs.pool_name: default`;

async function poolName(ctx: Context, raw: string): Promise<Resource> {
  const r = await ctx.resolve(raw);
  if (r.name === '') throw new Error('Missing pool name');
  return r;
}

async function list(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const { client } = await ctx.resolve(args[0] ?? '');
  const clustered = await isClustered(client);
  const pools = await client.server.pools();
  const rows = pools.map((p) => [
    p.name,
    p.driver,
    ...(clustered ? [] : [p.config?.source ?? '']),
    p.description ?? '',
    String((p.used_by ?? []).length),
    (p.status ?? '').toUpperCase(),
  ]);
  const header = ['NAME', 'DRIVER', ...(clustered ? [] : ['SOURCE']), 'DESCRIPTION', 'USED BY', 'STATE'];
  ctx.print(renderList(formatOf(opts), header, sortRows(rows), pools, listOf(storagePool)));
}

/** Groups used_by URLs by type, as lxc's `storage info` does ("instances", "profiles", "volumes"...). */
export function usedByGroups(urls: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const raw of urls) {
    const u = new URL(raw, 'http://lodge');
    const fields = u.pathname.slice(5).split('/').map(decodeURIComponent);
    let [type = '', what = ''] = fields;
    if (type === 'storage-pools') [type, what] = ['volumes', fields[4] ?? ''];
    const info = [u.searchParams.get('project') ? `project "${u.searchParams.get('project')}"` : '', u.searchParams.get('target') ? `target "${u.searchParams.get('target')}"` : '']
      .filter(Boolean)
      .join(', ');
    (out[type] ??= []).push(info ? `${what} (${info})` : what);
  }
  return out;
}

async function info(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const r = await poolName(ctx, args[0] ?? '');
  const pool = await r.client.server.pool(r.name);
  const res = await r.client.server.poolResources(r.name);
  const size = (n: number | undefined): string => (opts.bytes ? String(n ?? 0) : byteSizeIEC(n ?? 0, 2));
  const details = { name: pool.name, driver: pool.driver, description: pool.description ?? '', 'total space': size(res.space?.total), 'space used': size(res.space?.used) };
  ctx.print(toYaml('any', { info: details }));
  ctx.print(toYaml('any', { 'used by': usedByGroups(pool.used_by ?? []) }));
}

async function show(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const r = await poolName(ctx, args[0] ?? '');
  if (opts.resources) {
    ctx.print(toYaml(storagePoolResources, await r.client.server.poolResources(r.name)));
    return;
  }
  const pool: StoragePool = await r.client.server.pool(r.name);
  ctx.print(toYaml(storagePool, { ...pool, used_by: pool.used_by ? [...pool.used_by].sort() : pool.used_by }));
}

function targetCheck(opts: Record<string, unknown>): void {
  if (typeof opts.target === 'string' && opts.target) throw new Error('--target is not supported by lodge: clustering is not implemented');
}

async function create(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  targetCheck(opts);
  const r = await ctx.resolve(args[0] ?? '');
  const config: Record<string, string> = {};
  for (const entry of args.slice(2)) {
    const eq = entry.indexOf('=');
    if (eq < 0) throw new Error(`Bad key=value pair: [${entry}]`);
    config[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  await r.client.storage.create({ config, description: '', name: r.name, driver: args[1] ?? '' });
  ctx.say(`Storage pool ${r.name} created`);
}

async function setKeys(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  targetCheck(opts);
  const r = await poolName(ctx, args[0] ?? '');
  const { pool, etag } = await r.client.storage.get(r.name);
  const keys = await parseKeyValues(args.slice(1), ctx.stdinReader());
  const put: StoragePoolPut = { config: { ...(pool.config ?? {}) }, description: pool.description ?? '' };
  for (const [k, v] of keys) put.config[k] = v;
  await r.client.storage.update(r.name, put, etag);
}

/** lxc's natural sort of volume rows: by type first (snapshots beside their parent), then by name. */
export function volumeRowOrder(a: string[], b: string[]): number {
  const ta = (a[0] ?? '').split(' ')[0] ?? '';
  const tb = (b[0] ?? '').split(' ')[0] ?? '';
  const less = (x: string[], y: string[]): boolean => {
    if (ta !== tb) return naturalLess(x[0] ?? '', y[0] ?? '');
    if ((x[1] ?? '') === '') return false;
    if ((y[1] ?? '') === '') return true;
    return naturalLess(x[1] ?? '', y[1] ?? '');
  };
  if (less(a, b)) return -1;
  if (less(b, a)) return 1;
  return 0;
}

interface VolumeColumn {
  name: string;
  data: (v: StorageVolume) => string;
}

function volumeColumns(spec: string, defaults: string, clustered: boolean, allProjects: boolean): VolumeColumn[] {
  const map: Record<string, VolumeColumn> = {
    t: { name: 'TYPE', data: (v) => (v.name.includes('/') ? `${v.type} (snapshot)` : v.type) },
    n: { name: 'NAME', data: (v) => v.name },
    d: { name: 'DESCRIPTION', data: (v) => v.description ?? '' },
    c: { name: 'CONTENT-TYPE', data: (v) => v.content_type || 'filesystem' },
    u: { name: 'USED BY', data: (v) => String((v.used_by ?? []).length) },
    U: { name: 'USAGE', data: () => '' },
  };
  let cols = spec;
  if (clustered) map.L = { name: 'LOCATION', data: (v) => v.location ?? '' };
  else {
    if (cols !== defaults && cols.includes('L')) throw new Error("Can't specify column L when not clustered");
    cols = cols.replaceAll('L', '');
  }
  if (allProjects) map.e = { name: 'PROJECT', data: (v) => v.project ?? '' };
  else cols = cols.replaceAll('e', '');
  const out: VolumeColumn[] = [];
  for (const entry of cols.split(',')) {
    if (entry === '') throw new Error(`Empty column entry (redundant, leading or trailing command) in '${cols}'`);
    for (const ch of entry) {
      const c = map[ch];
      if (!c) throw new Error(`Unknown column shorthand char '${ch}' in '${entry}'`);
      out.push(c);
    }
  }
  return out;
}

async function volumeList(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const r = await poolName(ctx, args[0] ?? '');
  if (opts.allProjects) throw new Error('--all-projects is not supported by lodge for volumes yet');
  const volumes = await r.client.storage.volumes(r.name, args.slice(1));
  const columns = volumeColumns(typeof opts.columns === 'string' ? opts.columns : 'etndcuL', 'etndcuL', await isClustered(r.client), false);
  let rows = volumes.map((v) => columns.map((c) => c.data(v)));
  if (columns.length >= 2) rows = [...rows].sort(volumeRowOrder);
  ctx.print(renderList(formatOf(opts), columns.map((c) => c.name), rows, volumes, listOf(storageVolume)));
}

/** lxc's parseVolume: `type/name` for the known types, else a custom volume (possibly `vol/snapshot`). */
export function parseVolume(defaultType: string, name: string): { name: string; type: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { name, type: defaultType };
  const type = name.slice(0, slash);
  if (!['custom', 'image', 'container', 'virtual-machine'].includes(type)) return { name, type: defaultType };
  return { name: name.slice(slash + 1), type };
}

async function volumeShow(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  targetCheck(opts);
  const r = await poolName(ctx, args[0] ?? '');
  const v = parseVolume('custom', args[1] ?? '');
  const fields = v.name.split('/');
  if (fields.length > 2) throw new Error('Invalid snapshot name');
  if (fields.length === 2) {
    const snap = await r.client.get<StorageVolume>(
      `/1.0/storage-pools/${encodeURIComponent(r.name)}/volumes/${encodeURIComponent(v.type)}/${encodeURIComponent(fields[0] ?? '')}/snapshots/${encodeURIComponent(fields[1] ?? '')}`,
    );
    ctx.print(toYaml('any', snap));
    return;
  }
  const { volume } = await r.client.storage.volume(r.name, v.type, v.name);
  ctx.print(toYaml(storageVolume, { ...volume, used_by: volume.used_by ? [...volume.used_by].sort() : volume.used_by }));
}

export function registerStorage(program: Command, app: App): void {
  const storage = app.group(program, 'storage', 'Manage storage pools and volumes');
  app
    .leaf(storage, 'create', { usage: '[<remote>:]<pool> <driver> [key=value...]', summary: 'Create storage pools', min: 2, max: -1 }, create)
    .option('--target <member>', 'Cluster member name');
  app.leaf(storage, 'delete', { usage: '[<remote>:]<pool>', summary: 'Delete storage pools', aliases: ['rm'], min: 1, max: 1 }, async (ctx, args) => {
    const r = await poolName(ctx, args[0] ?? '');
    await r.client.storage.delete(r.name);
    ctx.say(`Storage pool ${r.name} deleted`);
  });
  app.leaf(
    storage,
    'edit',
    {
      usage: '[<remote>:]<pool>',
      summary: 'Edit storage pool configurations as YAML',
      examples: 'lodge storage edit [<remote>:]<pool> < pool.yaml\n    Update a storage pool using the content of pool.yaml.',
      min: 1,
      max: 1,
    },
    async (ctx, args) => {
      const r = await poolName(ctx, args[0] ?? '');
      await edit(ctx, {
        shape: storagePoolPut,
        help: poolEditHelp,
        current: async () => {
          const { pool, etag } = await r.client.storage.get(r.name);
          return { yaml: toYaml(storagePool, pool), etag };
        },
        apply: (body, etag) => r.client.storage.update(r.name, body as StoragePoolPut, etag),
      });
    },
  );
  app
    .leaf(storage, 'get', { usage: '[<remote>:]<pool> <key>', summary: 'Get values for storage pool configuration keys', min: 2, max: 2 }, async (ctx, args, opts) => {
      targetCheck(opts);
      const r = await poolName(ctx, args[0] ?? '');
      const { pool } = await r.client.storage.get(r.name);
      const v = (pool.config ?? {})[args[1] ?? ''];
      if (v !== undefined) ctx.println(v);
    })
    .option('--target <member>', 'Cluster member name');
  app
    .leaf(
      storage,
      'set',
      {
        usage: '[<remote>:]<pool> <key> <value>',
        summary: 'Set storage pool configuration keys',
        description:
          'Set storage pool configuration keys\n\nFor backward compatibility, a single configuration key may still be set with:\n    lodge storage set [<remote>:]<pool> <key> <value>',
        examples: 'lodge storage set [<remote>:]<pool> <key> <value>',
        min: 2,
        max: -1,
      },
      setKeys,
    )
    .option('--target <member>', 'Cluster member name');
  app
    .leaf(storage, 'unset', { usage: '[<remote>:]<pool> <key>', summary: 'Unset storage pool configuration keys', min: 2, max: 2 }, (ctx, args, opts) => setKeys(ctx, [...args, ''], opts))
    .option('--target <member>', 'Cluster member name');

  const volume = app.group(storage, 'volume', 'Manage storage volumes');
  withFormat(app.leaf(volume, 'list', { usage: '[<remote>:]<pool> [<filter>...]', summary: 'List storage volumes', aliases: ['ls'], min: 1, max: -1 }, volumeList))
    .option('-c, --columns <columns>', 'Columns', 'etndcuL')
    .option('--all-projects', 'All projects');
  app
    .leaf(volume, 'show', { usage: '[<remote>:]<pool> <volume>[/<snapshot>]', summary: 'Show storage volume configurations', min: 2, max: 2 }, volumeShow)
    .option('--target <member>', 'Cluster member name');
  withFormat(app.leaf(storage, 'list', { usage: '[<remote>:]', summary: 'List available storage pools', aliases: ['ls'], max: 1 }, list));
  app
    .leaf(storage, 'show', { usage: '[<remote>:]<pool>', summary: 'Show storage pool configurations and resources', min: 1, max: 1 }, show)
    .option('--resources', 'Show the resources available to the storage pool')
    .option('--target <member>', 'Cluster member name');
  app
    .leaf(storage, 'info', { usage: '[<remote>:]<pool>', summary: 'Show useful information about storage pools', min: 1, max: 1 }, info)
    .option('--bytes', 'Show the used and free space in bytes')
    .option('--target <member>', 'Cluster member name');
}
