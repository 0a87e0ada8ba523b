// `lodge copy` (and the copy half of `lodge move` between servers), as lxc: the source's writable fields with the
// overrides, then a local copy or LXD's migration in pull, push or relay mode (the client library's copyInstance).
import type { Command } from 'commander';
import type { Devices, Instance, InstancePut, Operation } from '@lodge/api';
import { copyInstance, copyInstanceSnapshot, isSameServer, type RemoteOperation, type TransferOperation } from '@lodge/client';
import type { App } from '../app.js';
import { collect } from '../args.js';
import type { Context } from '../context.js';
import { Progress } from '../progress.js';
import { splitSnapshot } from '../remotes.js';
import { writable } from './instance-common.js';
import { isClustered } from './common.js';
import { configFlags, parseDeviceOverrides } from './launch.js';
import { registerMove } from './move.js';

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

/** Waits for a copy with lxc's progress line (a terminal only) and returns the final operation. */
async function waitTransfer(ctx: Context, op: TransferOperation | RemoteOperation, format: string): Promise<Operation> {
  const progress = new Progress(ctx.io.stdout, format, ctx.quiet);
  op.onUpdate((o) => progress.updateOp(o));
  try {
    return await op.wait();
  } finally {
    progress.done('');
  }
}

/** lxc's copyInstance, shared by copy and move: the client library picks a local copy or a migration. */
export async function copyCommand(ctx: Context, sourceResource: string, destResource: string, f: CopyFlags, a: CopyArgs): Promise<void> {
  const src = await ctx.ref(sourceResource);
  const dst = await ctx.ref(destResource);
  let destName = dst.name;
  if (src.name === '') throw new Error('You must specify a source instance name');
  if (destName === '' && f.target) throw new Error('You must specify a destination instance name when using --target');
  if (f.refresh && f.noProfiles) throw new Error('--no-profiles cannot be used with --refresh');
  if (destName === '' && destResource !== '') destName = src.name;

  const source = await ctx.client(src.remote);
  let dest = src.remote === dst.remote ? source : await ctx.client(dst.remote);
  if (f.targetProject) dest = dest.useProject(f.targetProject);
  if (f.target) {
    if (!(await isClustered(dest))) throw new Error('To use --target, the destination remote must be a cluster');
    throw new Error('--target is not supported by lodge: clustering is not implemented');
  }
  const config = configFlags(f.config ?? []);
  const devices = parseDeviceOverrides(f.device ?? []);
  const overrides = { config, devices, profiles: f.profile, noProfiles: f.noProfiles, ephemeral: a.ephemeral, pool: a.pool, keepVolatile: a.keepVolatile };

  let op: TransferOperation;
  let writableAfter: InstancePut | undefined;
  let start = false;
  const { parent, snapshot } = splitSnapshot(src.name);
  if (snapshot !== undefined) {
    if (a.instanceOnly) throw new Error("--instance-only can't be passed when the source is a snapshot");
    if (f.refresh) throw new Error('--refresh can only be used with instances');
    const { snapshot: snap } = await source.instances.snapshot(parent, snapshot);
    const entry = writable(snap);
    applyOverrides(entry, overrides);
    op = await copyInstanceSnapshot(dest, source, parent, { ...entry, name: snap.name, stateful: snap.stateful }, { name: destName, mode: a.mode, live: a.stateful });
  } else {
    const { instance } = await source.instances.get(src.name);
    const entry = writable(instance);
    applyOverrides(entry, overrides);
    op = await copyInstance(dest, source, { ...entry, name: instance.name, type: instance.type, status_code: instance.status_code }, {
      name: destName,
      live: a.stateful,
      instanceOnly: a.instanceOnly,
      mode: a.mode,
      refresh: f.refresh === true,
      allowInconsistent: f.allowInconsistent === true,
    });
    // lxc starts the copy after a stateless move only (the target boots a live one). Within one server lodged never
    // copies live, so a moved running instance is always started again there.
    if (instance.status_code === running && a.move && (!a.stateful || (await isSameServer(dest, source)))) start = true;
    writableAfter = entry;
  }
  const final = await waitTransfer(ctx, op, 'Transferring instance: %s');

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
    const res = final.resources ?? {};
    let urls = res.instances ?? [];
    if (urls.length !== 1) urls = res.containers ?? [];
    if (urls.length !== 1) throw new Error('Failed to get the new instance name');
    const u = urls[0] ?? '';
    ctx.println(`Instance name is: ${decodeURIComponent(u.slice(u.lastIndexOf('/') + 1).replace(/\?.*$/, ''))}`);
  }
  if (start) await (await dest.instances.setState(destName, { action: 'start', timeout: 0, force: false, stateful: false })).wait();
}

export function transferFlags(cmd: Command, target: 'new' | 'target'): Command {
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

export function flagsOf(opts: Record<string, unknown>): CopyFlags {
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

export const modesHelp = `Transfer modes (--mode):
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
        description: `Copy instances within or in between LXD servers\n\n${modesHelp}`,
        aliases: ['cp'],
        min: 1,
        max: 2,
      },
      async (ctx, args, opts) => {
        const f = flagsOf(opts);
        const stateful = opts.stateless !== true && !f.refresh;
        await copyCommand(ctx, args[0] ?? '', args[1] ?? '', f, {
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

  registerMove(program, app);
}
