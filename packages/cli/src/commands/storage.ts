// `lodge storage list/show/info`: storage pools (read side; pool creation arrives with the daemon's pool API).
import type { Command } from 'commander';
import type { StoragePool } from '@lodge/api';
import type { App } from '../app.js';
import type { Context, Resource } from '../context.js';
import { storagePool, storagePoolResources } from '../format/shapes.js';
import { byteSizeIEC } from '../format/units.js';
import { listOf } from '../format/gotypes.js';
import { sortRows } from '../format/natural.js';
import { renderList, toYaml } from '../output.js';
import { formatOf, isClustered, withFormat } from './common.js';

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

export function registerStorage(program: Command, app: App): void {
  const storage = app.group(program, 'storage', 'Manage storage pools and volumes');
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
