// `lodge delete` (running instances only with --force, -i asks first), `lodge rename` and the local form of `lodge move`.
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { App } from '../app.js';
import type { Context, Resource } from '../context.js';
import { writable } from './instance-common.js';

const stopped = 102;

async function confirm(ctx: Context, name: string): Promise<void> {
  ctx.print(`Remove ${name} (yes/no): `);
  const line = await new Promise<string>((resolve) => {
    const rl = createInterface({ input: ctx.io.stdin, terminal: false });
    let got = '';
    rl.once('line', (l) => {
      got = l;
      rl.close();
    });
    rl.once('close', () => resolve(got));
  });
  if (line.toLowerCase() !== 'yes') throw new Error('User aborted delete operation');
}

/** Deletes one instance or snapshot; `forceProtected` first clears security.protection.delete (as `move` does). */
export async function deleteOne(ctx: Context, r: Resource, opts: { force?: boolean; forceProtected?: boolean }): Promise<void> {
  if (r.name.includes('/')) {
    const [parent = '', snap = ''] = r.name.split('/', 2);
    await (await r.client.operation('DELETE', `/1.0/instances/${encodeURIComponent(parent)}/snapshots/${encodeURIComponent(snap)}`)).wait();
    return;
  }
  const { instance } = await r.client.instances.get(r.name);
  if (instance.status_code !== 0 && instance.status_code !== stopped) {
    if (!opts.force) throw new Error('The instance is currently running, stop it first or pass --force');
    try {
      await (await r.client.instances.setState(r.name, { action: 'stop', timeout: -1, force: true, stateful: false })).wait();
    } catch (e) {
      throw new Error(`Stopping the instance failed: ${(e as Error).message}`);
    }
    // The daemon removes an ephemeral instance when it stops.
    if (instance.ephemeral) return;
  }
  if (opts.forceProtected && ['true', '1', 'yes', 'on'].includes((instance.expanded_config?.['security.protection.delete'] ?? '').toLowerCase())) {
    const fresh = await r.client.instances.get(r.name);
    const put = writable(fresh.instance);
    put.config['security.protection.delete'] = 'false';
    await (await r.client.instances.update(r.name, put, fresh.etag)).wait();
  }
  await (await r.client.instances.delete(r.name)).wait();
}

async function deleteCommand(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const resources: Resource[] = [];
  for (const a of args) resources.push(await ctx.resolve(a));
  for (const r of resources) {
    try {
      if (r.name.includes('/')) {
        const [parent = '', snap = ''] = r.name.split('/', 2);
        await r.client.get(`/1.0/instances/${encodeURIComponent(parent)}/snapshots/${encodeURIComponent(snap)}`);
      } else await r.client.instances.get(r.name);
    } catch (e) {
      const what = r.name.includes('/') ? 'instance snapshot' : 'instance';
      throw new Error(`Failed checking ${what} exists "${r.remote}:${r.name}": ${(e as Error).message}`);
    }
  }
  for (const r of resources) {
    if (opts.interactive) await confirm(ctx, r.name);
    if (r.name.includes('/')) {
      await deleteOne(ctx, r, {});
      return;
    }
    await deleteOne(ctx, r, { force: opts.force === true });
  }
}

/** Local rename (same remote, no target/storage/project change): POST {name}. */
export async function localMove(ctx: Context, from: string, to: string, opts: Record<string, unknown>): Promise<void> {
  const src = await ctx.resolve(from);
  const dst = await ctx.ref(to);
  if (opts.config || opts.device || opts.profile || opts.profiles === false) throw new Error("Can't override configuration or profiles in local rename");
  if (src.name.includes('/')) {
    const [srcParent = '', srcSnap = ''] = src.name.split('/', 2);
    const slash = dst.name.indexOf('/');
    const dstParent = slash < 0 ? dst.name : dst.name.slice(0, slash);
    if (srcParent !== dstParent) throw new Error('Invalid new snapshot name, parent must be the same as source');
    if (slash < 0) throw new Error('Invalid new snapshot name');
    const op = await src.client.operation('POST', `/1.0/instances/${encodeURIComponent(srcParent)}/snapshots/${encodeURIComponent(srcSnap)}`, { name: dst.name.slice(slash + 1) });
    await op.wait();
    return;
  }
  await (await src.client.instances.rename(src.name, dst.name)).wait();
}

export function registerDelete(program: Command, app: App): void {
  app
    .leaf(
      program,
      'delete',
      { usage: '[<remote>:]<instance>[/<snapshot>] [[<remote>:]<instance>[/<snapshot>]...]', summary: 'Delete instances and snapshots', aliases: ['rm'], min: 1, max: -1 },
      deleteCommand,
    )
    .option('-f, --force', 'Force the removal of running instances')
    .option('-i, --interactive', 'Require user confirmation');

  app.leaf(program, 'rename', { usage: '[<remote>:]<instance>[/<snapshot>] <instance>[/<snapshot>]', summary: 'Rename instances and snapshots', min: 2, max: 2 }, async (ctx, args) => {
    const [from = '', to = ''] = args;
    const src = await ctx.ref(from);
    const dst = await ctx.ref(to);
    let target = to;
    if (src.remote !== dst.remote) {
      if (to.includes(':')) throw new Error("Can't specify a different remote for rename");
      target = `${src.remote}:${to}`;
    }
    await localMove(ctx, from, target, {});
  });
}
