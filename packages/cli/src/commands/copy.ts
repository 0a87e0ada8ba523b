// `lodge copy` and `lodge move` within one remote, as lxc: a local copy is `POST /1.0/instances` with
// source.type=copy (the source's writable fields, volatile keys stripped); a move is a rename, or a copy then a delete
// when it changes pool or project. Between remotes both need migration, which lodge does not do yet.
import type { Command } from 'commander';
import type { Devices, Instance, InstanceSource, InstanceType } from '@lodge/api';
import type { LodgeClient, RemoteOperation } from '@lodge/client';
import type { App } from '../app.js';
import { collect } from '../args.js';
import type { Context } from '../context.js';
import { Progress } from '../progress.js';
import { splitSnapshot } from '../remotes.js';
import { instancesPost } from '../requests.js';
import { deleteOne, localMove } from './delete.js';
import { writable } from './instance-common.js';
import { parseDeviceOverrides } from './launch.js';

export interface CopyFlags {
  config?: string[];
  device?: string[];
  profile?: string[];
  noProfiles?: boolean;
  refresh?: boolean;
  allowInconsistent?: boolean;
  target?: string;
  targetProject?: string;
}

export interface CopyArgs {
  keepVolatile: boolean;
  /** -1 keeps the source's flag, 0 clears it, 1 sets it. */
  ephemeral: -1 | 0 | 1;
  stateful: boolean;
  instanceOnly: boolean;
  mode: string;
  pool: string;
  move: boolean;
}

const running = 103;

/** shared.InstanceIncludeWhenCopying for a remote copy (what lxc strips even for local copies). */
export function keptWhenCopying(key: string): boolean {
  if (key === 'volatile.base_image') return true;
  return !key.startsWith('volatile.');
}

/** lxc's `-c key=value` parsing for copy (no legacy form). */
export function configOverrides(entries: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq < 0) throw new Error(`Bad key=value pair: ${entry}`);
    out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

/** The overrides copy applies to the source's config and devices: -c, -d, -p/--no-profiles, -e, --storage. */
export function applyOverrides(
  entry: { config: Record<string, string>; devices: Devices; profiles: string[]; ephemeral: boolean },
  o: { config: Record<string, string>; devices: Devices; profiles?: string[]; noProfiles?: boolean; ephemeral: -1 | 0 | 1; pool: string; keepVolatile: boolean },
): void {
  if (o.profiles && o.profiles.length > 0) entry.profiles = o.profiles;
  else if (o.noProfiles) entry.profiles = [];
  Object.assign(entry.config, o.config);
  for (const [k, m] of Object.entries(o.devices)) {
    if (!entry.devices[k]) entry.devices[k] = m;
    else Object.assign(entry.devices[k], m);
  }
  if (o.ephemeral === 1) entry.ephemeral = true;
  else if (o.ephemeral === 0) entry.ephemeral = false;
  const rootKey = Object.entries(entry.devices).find(([, d]) => d.type === 'disk' && d.path === '/' && !d.source)?.[0];
  if (rootKey && o.pool) (entry.devices[rootKey] as Record<string, string>).pool = o.pool;
  else if (o.pool) entry.devices.root = { type: 'disk', path: '/', pool: o.pool };
  if (!o.keepVolatile) for (const k of Object.keys(entry.config)) if (!keptWhenCopying(k)) delete entry.config[k];
  delete entry.config['volatile.last_state.power'];
}

async function modeCheck(dest: LodgeClient, source: LodgeClient, mode: string): Promise<void> {
  if (mode === 'push' || mode === 'relay') {
    if (!(await dest.hasExtension('container_push'))) throw new Error('The target server is missing the required "container_push" API extension');
    if (!(await source.hasExtension('container_push'))) throw new Error('The source server is missing the required "container_push" API extension');
  }
  if (mode === 'push' && !(await source.hasExtension('container_push_target'))) throw new Error('The source server is missing the required "container_push_target" API extension');
}

async function waitTransfer(ctx: Context, op: RemoteOperation, format: string): Promise<void> {
  const progress = new Progress(ctx.io.stdout, format, ctx.quiet);
  op.onUpdate((o) => progress.updateOp(o));
  try {
    await op.wait();
  } finally {
    progress.done('');
  }
}

export async function copyInstance(ctx: Context, sourceResource: string, destResource: string, f: CopyFlags, a: CopyArgs): Promise<void> {
  const src = await ctx.ref(sourceResource);
  const dst = await ctx.ref(destResource);
  let destName = dst.name;
  if (src.name === '') throw new Error('You must specify a source instance name');
  if (destName === '' && f.target) throw new Error('You must specify a destination instance name when using --target');
  if (f.refresh && f.noProfiles) throw new Error('--no-profiles cannot be used with --refresh');
  if (destName === '' && destResource !== '') destName = src.name;

  const source = await ctx.client(src.remote);
  let dest = src.remote === dst.remote ? source : await ctx.client(dst.remote);
  if (src.remote !== dst.remote) {
    throw new Error(`${a.move ? 'Moving' : 'Copying'} instances between remotes ("${src.remote}:" to "${dst.remote}:") is not supported yet: it needs migration`);
  }
  if (f.targetProject) dest = dest.useProject(f.targetProject);
  if (f.target) {
    if (!(await dest.serverInfo()).environment?.server_clustered) throw new Error('To use --target, the destination remote must be a cluster');
    throw new Error('--target is not supported by lodge: clustering is not implemented');
  }
  const config = configOverrides(f.config ?? []);
  const devices = parseDeviceOverrides(f.device ?? []);
  const overrides = { config, devices, profiles: f.profile, noProfiles: f.noProfiles, ephemeral: a.ephemeral, pool: a.pool, keepVolatile: a.keepVolatile };
  const sameProject = dest.project === source.project;

  let op: RemoteOperation;
  let writableAfter: ReturnType<typeof writable> | undefined;
  let start = false;
  const { parent, snapshot } = splitSnapshot(src.name);
  if (snapshot !== undefined) {
    if (a.instanceOnly) throw new Error("--instance-only can't be passed when the source is a snapshot");
    if (f.refresh) throw new Error('--refresh can only be used with instances');
    const { snapshot: snap } = await source.instances.snapshot(parent, snapshot);
    const entry = writable(snap);
    entry.stateful = false;
    applyOverrides(entry, overrides);
    await modeCheck(dest, source, a.mode);
    await source.instances.get(parent).catch((e: Error) => Promise.reject(new Error(`Failed to get instance info: ${e.message}`)));
    const body: Parameters<typeof instancesPost>[0] = {
      architecture: entry.architecture,
      config: entry.config,
      devices: entry.devices,
      ephemeral: entry.ephemeral,
      profiles: entry.profiles,
      name: destName || parent,
      source: { type: 'copy', certificate: '', 'base-image': snap.config?.['volatile.base_image'], source: `${parent}/${snap.name.split('/').pop() ?? snapshot}` },
    };
    if (snap.stateful && a.stateful) {
      body.stateful = true;
      body.source.live = true;
    }
    if (!sameProject) body.source.project = source.project;
    op = await dest.operation('POST', '/1.0/instances', instancesPost(body));
  } else {
    const { instance } = await source.instances.get(src.name);
    // lxc restarts only after a stateless move and leaves a stateful one to the target; a local copy is never live
    // (lodged has no instance_pool_move/instance_project_move), so a moved running instance is started again here.
    if (instance.status_code === running && a.move) start = true;
    const entry = writable(instance);
    applyOverrides(entry, overrides);
    if (a.instanceOnly && !(await dest.hasExtension('container_only_migration'))) throw new Error('The target server is missing the required "container_only_migration" API extension');
    await modeCheck(dest, source, a.mode);
    if (f.refresh && !(await dest.hasExtension('container_incremental_copy'))) throw new Error('The target server is missing the required "container_incremental_copy" API extension');
    if (f.allowInconsistent && !(await dest.hasExtension('instance_allow_inconsistent_copy'))) {
      throw new Error('The source server is missing the required "instance_allow_inconsistent_copy" API extension');
    }
    const sourceField: InstanceSource = {
      type: 'copy',
      certificate: '',
      'base-image': instance.config?.['volatile.base_image'],
      source: instance.name,
      live: a.stateful && instance.status_code === running,
      instance_only: a.instanceOnly,
      container_only: a.instanceOnly,
      refresh: f.refresh === true,
      allow_inconsistent: f.allowInconsistent === true,
    };
    if (!sameProject) sourceField.project = source.project;
    op = await dest.operation(
      'POST',
      '/1.0/instances',
      instancesPost({ ...entry, name: destName || instance.name, source: sourceField, type: (instance.type || 'container') as InstanceType }),
    );
    writableAfter = entry;
  }
  await waitTransfer(ctx, op, 'Transferring instance: %s');

  if (f.refresh && writableAfter) {
    let target: { instance: Instance; etag?: string };
    try {
      target = await dest.instances.get(destName);
    } catch (e) {
      throw new Error(`Failed to refresh target instance '${destName}': ${(e as Error).message}`);
    }
    writableAfter.config['volatile.idmap.next'] = target.instance.config?.['volatile.idmap.next'] ?? '';
    await waitTransfer(ctx, await dest.instances.update(destName, writableAfter, target.etag), 'Refreshing instance: %s');
  }

  if (destResource === '' && !f.targetProject) {
    const res = op.operation.resources ?? {};
    let urls = res.instances ?? [];
    if (urls.length !== 1) urls = res.containers ?? [];
    if (urls.length !== 1) throw new Error('Failed to get the new instance name');
    const u = urls[0] ?? '';
    ctx.println(`Instance name is: ${decodeURIComponent(u.slice(u.lastIndexOf('/') + 1).replace(/\?.*$/, ''))}`);
  }
  if (start) await (await dest.instances.setState(destName, { action: 'start', timeout: 0, force: false, stateful: false })).wait();
}

function transferFlags(cmd: Command, target: 'new' | 'target'): Command {
  return cmd
    .option('-c, --config <key=value>', `Config key/value to apply to the ${target} instance`, collect)
    .option('-d, --device <device,key=value>', 'New key/value to apply to a specific device', collect)
    .option('-p, --profile <profile>', `Profile to apply to the ${target} instance`, collect)
    .option('--stateless', 'Copy a stateful instance stateless')
    .option('-s, --storage <pool>', 'Storage pool name')
    .option('--target <member>', 'Cluster member name')
    .option('--target-project <project>', 'Copy to a project different from the source')
    .option('--allow-inconsistent', 'Ignore copy errors for volatile files');
}

function flagsOf(opts: Record<string, unknown>): CopyFlags {
  return {
    config: opts.config as string[] | undefined,
    device: opts.device as string[] | undefined,
    profile: opts.profile as string[] | undefined,
    noProfiles: opts.profiles === false,
    refresh: opts.refresh === true,
    allowInconsistent: opts.allowInconsistent === true,
    target: opts.target as string | undefined,
    targetProject: opts.targetProject as string | undefined,
  };
}

const modesHelp = `Transfer modes (--mode):
 - pull: Target server pulls the data from the source server (source must listen on network)
 - push: Source server pushes the data to the target server (target must listen on network)
 - relay: The CLI connects to both source and server and proxies the data (both source and target must listen on network)

The pull transfer mode is the default as it is compatible with all LXD versions.`;

export function registerCopy(program: Command, app: App): void {
  transferFlags(
    app.leaf(
      program,
      'copy',
      {
        usage: '[<remote>:]<source>[/<snapshot>] [[<remote>:]<destination>]',
        summary: 'Copy instances within or in between LXD servers',
        description: `Copy instances within or in between LXD servers\n\n${modesHelp}\n\nOnly copies within one server are supported by lodge so far.`,
        aliases: ['cp'],
        min: 1,
        max: 2,
      },
      async (ctx, args, opts) => {
        const f = flagsOf(opts);
        const stateful = opts.stateless !== true && !f.refresh;
        await copyInstance(ctx, args[0] ?? '', args[1] ?? '', f, {
          keepVolatile: f.refresh === true,
          ephemeral: opts.ephemeral ? 1 : 0,
          stateful,
          instanceOnly: opts.instanceOnly === true,
          mode: typeof opts.mode === 'string' && opts.mode ? opts.mode : 'pull',
          pool: (opts.storage as string | undefined) ?? '',
          move: false,
        });
      },
    ),
    'new',
  )
    .option('-e, --ephemeral', 'Ephemeral instance')
    .option('--mode <mode>', 'Transfer mode. One of pull, push or relay', 'pull')
    .option('--instance-only', 'Copy the instance without its snapshots')
    .option('--no-profiles', 'Create the instance with no profiles applied')
    .option('--refresh', 'Perform an incremental copy');

  transferFlags(
    app.leaf(
      program,
      'move',
      {
        usage: '[<remote>:]<instance>[/<snapshot>] [<remote>:][<instance>[/<snapshot>]]',
        summary: 'Move instances within or in between LXD servers',
        description: `Move instances within or in between LXD servers\n\n${modesHelp}\n\nOnly moves within one server are supported by lodge so far.`,
        aliases: ['mv'],
        min: 1,
        max: 2,
        examples:
          'lodge move [<remote>:]<source instance> [<remote>:][<destination instance>] [--instance-only]\n    Move an instance between two hosts, renaming it if destination name differs.\n\nlodge move <old name> <new name> [--instance-only]\n    Rename a local instance.\n\nlodge move <instance>/<old snapshot name> <instance>/<new snapshot name>\n    Rename a snapshot.',
      },
      async (ctx, args, opts, cmd) => {
        const f = flagsOf(opts);
        const storage = (opts.storage as string | undefined) ?? '';
        if (!f.target && !f.targetProject && !storage && args.length !== 2) {
          cmd.outputHelp();
          throw new Error('Invalid number of arguments');
        }
        const mode = typeof opts.mode === 'string' && opts.mode ? opts.mode : 'pull';
        const src = await ctx.ref(args[0] ?? '');
        const dst = args.length === 2 ? await ctx.ref(args[1] ?? '') : { remote: src.remote, name: '' };
        if (src.remote === dst.remote && !f.target && !storage && !f.targetProject) {
          await localMove(ctx, args[0] ?? '', args.length === 2 ? `${dst.remote}:${dst.name}` : `${src.remote}:`, opts);
          return;
        }
        const stateful = opts.stateless !== true;
        if (f.target) {
          if (src.remote === dst.remote) {
            if (opts.instanceOnly) throw new Error("The --instance-only flag can't be used with --target");
            if (storage) throw new Error("The --storage flag can't be used with --target");
            if (f.targetProject) throw new Error("The --target-project flag can't be used with --target");
            if (mode !== 'pull') throw new Error("The --mode flag can't be used with --target");
            const source = await ctx.client(src.remote);
            if (!(await source.serverInfo()).environment?.server_clustered) throw new Error('The source LXD server is not clustered');
          }
          const dest = await ctx.client(dst.remote);
          if (!(await dest.serverInfo()).environment?.server_clustered) throw new Error('The destination LXD server is not clustered');
        }
        if (src.remote === dst.remote && (storage || f.targetProject)) {
          const source = await ctx.client(src.remote);
          const ext = storage ? 'instance_pool_move' : 'instance_project_move';
          if (await source.hasExtension(ext)) {
            if (mode !== 'pull') throw new Error(`The --mode flag can't be used with ${storage ? '--storage' : '--target-project'}`);
            const name = dst.name || src.name;
            const body = { name, migration: true, live: stateful, instance_only: opts.instanceOnly === true, ...(storage ? { pool: storage } : { project: f.targetProject }) };
            try {
              await (await source.operation('POST', `/1.0/instances/${encodeURIComponent(src.name)}`, body)).wait();
            } catch (e) {
              throw new Error(`Migration operation failure: ${(e as Error).message}`);
            }
            return;
          }
        }
        // A move is a copy keeping the volatile keys, then a forced delete of the source.
        const sourceResource = args[0] ?? '';
        const destResource = args.length === 2 ? (args[1] ?? '') : sourceResource;
        await copyInstance(ctx, sourceResource, destResource, f, {
          keepVolatile: true,
          ephemeral: -1,
          stateful,
          instanceOnly: opts.instanceOnly === true,
          mode,
          pool: storage,
          move: true,
        });
        try {
          await deleteOne(ctx, await ctx.resolve(sourceResource), { force: true, forceProtected: true });
        } catch (e) {
          throw new Error(`Failed to delete original instance after copying it: ${(e as Error).message}`);
        }
      },
    ),
    'target',
  )
    .option('--no-profiles', 'Unset all profiles on the target instance')
    .option('--instance-only', 'Move the instance without its snapshots')
    .option('--mode <mode>', 'Transfer mode. One of pull, push or relay.', 'pull');
}
