// `lodge delete` (running instances only with --force, -i asks first), `lodge rename` and the local form of `lodge move`.
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { App } from '../app.js';
import type { Context, Resource } from '../context.js';
import { collect } from '../args.js';

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

async function deleteOne(ctx: Context, r: Resource, opts: { force?: boolean }): Promise<void> {
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
async function localMove(ctx: Context, from: string, to: string, opts: Record<string, unknown>): Promise<void> {
  const src = await ctx.resolve(from);
  const dst = await ctx.resolve(to);
  if (src.remote !== dst.remote || opts.target || opts.storage || opts.targetProject) {
    throw new Error('Moving instances between remotes, cluster members, pools or projects is not supported by lodge yet');
  }
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

  app
    .leaf(
      program,
      'move',
      {
        usage: '[<remote>:]<instance>[/<snapshot>] [<remote>:][<instance>[/<snapshot>]]',
        summary: 'Move instances within or in between LXD servers',
        description: 'Move instances within or in between LXD servers\n\nOnly renames on the same server are supported by lodge so far.',
        aliases: ['mv'],
        min: 1,
        max: 2,
        examples: 'lodge move [<remote>:]<source instance> [<remote>:][<destination instance>]\n    Move an instance between two hosts, renaming it if destination name differs.\n\nlodge move <old name> <new name>\n    Rename a local instance.',
      },
      async (ctx, args, opts, cmd) => {
        if (!opts.target && !opts.targetProject && !opts.storage && args.length !== 2) {
          cmd.outputHelp();
          throw new Error('Invalid number of arguments');
        }
        await localMove(ctx, args[0] ?? '', args[1] ?? args[0] ?? '', opts);
      },
    )
    .option('-c, --config <key=value>', 'Config key/value to apply to the target instance', collect)
    .option('-d, --device <device,key=value>', 'New key/value to apply to a specific device', collect)
    .option('-p, --profile <profile>', 'Profile to apply to the target instance', collect)
    .option('--no-profiles', 'Unset all profiles on the target instance')
    .option('--instance-only', 'Move the instance without its snapshots')
    .option('--mode <mode>', 'Transfer mode. One of pull, push or relay.', 'pull')
    .option('--stateless', 'Copy a stateful instance stateless')
    .option('-s, --storage <pool>', 'Storage pool name')
    .option('--target <member>', 'Cluster member name')
    .option('--target-project <project>', 'Copy to a project different from the source')
    .option('--allow-inconsistent', 'Ignore copy errors for volatile files');
}
