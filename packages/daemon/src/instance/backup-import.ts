// Backup import (POST /1.0/instances with a tarball): LXD's and lodge's layouts, checked entry by entry, nothing left on failure.
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ApiError, epochTime, formatTime, zeroTime } from '@lodge/api';
import { validateDevices } from '../config/devices.js';
import { instanceSchema } from '../config/instance.js';
import { validateConfig } from '../config/keys.js';
import { validateInstanceName } from '../config/names.js';
import type { InstanceRecord } from '../db/records.js';
import { globalScope } from '../db/store.js';
import type { LifecycleOptions } from '../events/hub.js';
import { detectCompression, type Compression } from '../images/compression.js';
import { inspectTarball } from '../images/inspect.js';
import { shiftTarOwners, type IdShift } from '../images/retar.js';
import { UnsafeTarError, type RootOf } from '../images/tar-safety.js';
import type { IdmapEntry } from '../sys/idmap.js';
import { intoChildStdin } from '../util/child-stdin.js';
import { Reverter } from '../util/reverter.js';
import { seg } from '../util/url.js';
import { parseBackupYaml, parseIndex, type ImportedConfig } from './backup-format.js';
import type { InstanceContext } from './context.js';
import { expand, rootDisk } from './expand.js';
import { chooseIdmap } from './idmap.js';
import { hostNames, snapshotScope, snapshotVolume } from './naming.js';
import { snapshotUrl } from './snapshots.js';

export interface ImportRequest {
  project: string;
  /** The uploaded tarball, already on disk. */
  file: string;
  name?: string;
  pool?: string;
  lc: LifecycleOptions;
}

const backupRootOf: RootOf = (path) => /^backup\/(container|snapshots\/[^/]+)\/rootfs(?=\/|$)/.exec(path)?.[0];

/** Host ids in an LXD backup are shifted by volatile.last_state.idmap; lodge keeps container ids on disk. */
export function unshifter(config: Record<string, string>): IdShift | undefined {
  let map: IdmapEntry[];
  try {
    map = JSON.parse(config['volatile.last_state.idmap'] || '[]') as IdmapEntry[];
  } catch {
    throw ApiError.badRequest('Invalid backup: volatile.last_state.idmap is not valid JSON');
  }
  if (!Array.isArray(map) || map.length === 0) return undefined;
  return (id, isUid) => {
    for (const e of map) {
      if ((isUid ? e.Isuid : e.Isgid) && id >= e.Hostid && id < e.Hostid + e.Maprange) return e.Nsid + (id - e.Hostid);
    }
    return id;
  };
}

function decompressed(ctx: InstanceContext, file: string, c: Compression): { stream: Readable; done: Promise<void> } {
  const input = createReadStream(file);
  if (!c.decompress) return { stream: input, done: Promise.resolve() };
  if (c.decompress[0] === 'gzip') return { stream: input.pipe(createGunzip()), done: Promise.resolve() };
  const [bin, ...args] = c.decompress as [string, ...string[]];
  const child = ctx.runner.spawn(bin, args, { stdio: ['pipe', 'pipe', 'ignore'] });
  input.pipe(child.stdin!);
  return { stream: child.stdout!, done: new Promise((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} failed (exit ${code})`))))) };
}

async function readBackup(ctx: InstanceContext, file: string): Promise<{ compression: Compression; index: ReturnType<typeof parseIndex>; config: ImportedConfig }> {
  const compression = await detectCompression(file);
  if (!compression?.tar) throw ApiError.badRequest('Unsupported compression (the upload is not a tarball)');
  let files: Map<string, Buffer>;
  try {
    files = (await inspectTarball({ path: file, compression, runner: ctx.runner, capture: (p) => p === 'backup/index.yaml' || p === 'backup/container/backup.yaml', rootOf: backupRootOf })).files;
  } catch (e) {
    if (e instanceof UnsafeTarError) throw ApiError.badRequest(e.message);
    throw e;
  }
  const index = files.get('backup/index.yaml');
  if (!index) throw ApiError.badRequest('Backup is missing index.yaml');
  const yaml = files.get('backup/container/backup.yaml');
  if (!yaml) throw ApiError.badRequest('Backup is missing backup/container/backup.yaml');
  return { compression, index: parseIndex(index.toString('utf8')), config: parseBackupYaml(yaml.toString('utf8')) };
}

/** Imports a backup as a new, stopped instance (with its snapshots); returns the instance name. */
export async function importBackup(ctx: InstanceContext, req: ImportRequest): Promise<string> {
  const { compression, index, config } = await readBackup(ctx, req.file);
  if (!req.name && index.name !== config.name) {
    throw ApiError.badRequest(`Instance name requested "${index.name}" doesn't match instance name in backup config "${config.name}"`);
  }
  const name = validateInstanceName(req.name || index.name);
  const project = req.project;
  const shift = unshifter(config.config);
  const snapshots = config.snapshots.filter((s) => (index.snapshots ?? []).includes(s.name));
  const revert = new Reverter();
  try {
    const rec = await ctx.store.tx(async (tx) => {
      if (await tx.instances.exists(project, name)) throw ApiError.conflict(`Instance "${name}" already exists`);
      const pool = req.pool || ((await tx.pools.exists(globalScope, index.pool)) ? index.pool : undefined) || rootDisk(expand(await ctx.profiles.records(tx, project, ['default']), { config: {}, devices: {} }).devices)?.device.pool;
      if (!pool || !(await tx.pools.exists(globalScope, pool))) throw ApiError.notFound(`Storage pool "${pool ?? ''}" not found`);
      const profiles = await ctx.profiles.records(tx, project, config.profiles);
      const own: Record<string, string> = { ...config.config, 'volatile.last_state.idmap': '[]' };
      delete own['volatile.idmap.current'];
      const devices = Object.fromEntries(Object.entries(config.devices).map(([n, d]) => [n, d.type === 'disk' && d.path === '/' ? { ...d, pool } : d]));
      const expanded = expand(profiles, { config: own, devices });
      validateConfig(instanceSchema, expanded.config);
      validateDevices(expanded.devices);
      const idmap = await chooseIdmap(tx, ctx.subids, { project, name }, expanded.config);
      const r: InstanceRecord = {
        name,
        type: 'container',
        architecture: config.architecture || ctx.host.architecture,
        description: config.description,
        config: { ...own, 'volatile.idmap.base': String(idmap.base), 'volatile.idmap.next': JSON.stringify(idmap.map) },
        devices,
        profiles: config.profiles,
        ephemeral: config.ephemeral,
        stateful: false,
        created_at: config.created_at && Date.parse(config.created_at) > 0 ? config.created_at : formatTime(new Date()),
        last_used_at: config.last_used_at || epochTime,
        pool,
        creating: true,
      };
      await tx.instances.create(project, name, r);
      return r;
    });
    revert.add(() => ctx.store.tx(async (tx) => tx.instances.delete(project, name)));
    const names = hostNames(ctx.daemonId, project, name);
    await mkdir(ctx.paths.instanceLogs(names.lxc), { recursive: true, mode: 0o700 });
    revert.add(() => rm(ctx.paths.instanceLogs(names.lxc), { recursive: true, force: true }));
    await extractInto(ctx, { file: req.file, compression, shift, pool: rec.pool, volume: names.volume, project, name, snapshots: snapshots.map((s) => s.name), revert });
    await ctx.store.tx(async (tx) => {
      for (const s of snapshots) {
        tx.snapshots.put(snapshotScope(project, name), s.name, {
          name: s.name,
          architecture: s.architecture || rec.architecture,
          description: '',
          config: s.config,
          devices: s.devices,
          profiles: s.profiles.length > 0 ? s.profiles : rec.profiles,
          ephemeral: s.ephemeral,
          stateful: false,
          created_at: s.created_at || rec.created_at,
          expires_at: s.expires_at && Date.parse(s.expires_at) > 0 ? s.expires_at : zeroTime,
          last_used_at: zeroTime,
          size: 0,
        });
      }
      const cur = await tx.instances.must(project, name);
      delete cur.creating;
      tx.instances.put(project, name, cur);
    });
    revert.success();
  } finally {
    await revert.run((e) => ctx.log.warn('Failed to undo part of a backup import', { err: String(e) }));
  }
  ctx.events.lifecycle(project, 'instance-created', `/1.0/instances/${seg(name)}`, { ...req.lc, context: { 'storage-pool': (await ctx.store.read((tx) => tx.instances.must(project, name))).pool, type: 'container' } });
  for (const s of snapshots) ctx.events.lifecycle(project, 'instance-snapshot-created', snapshotUrl(name, s.name), req.lc);
  return name;
}

interface Extraction {
  file: string;
  compression: Compression;
  shift?: IdShift;
  pool: string;
  volume: string;
  project: string;
  name: string;
  snapshots: string[];
  revert: Reverter;
}

/** Unpacks into a staging directory inside the pool, then moves the volumes into place. */
async function extractInto(ctx: InstanceContext, x: Extraction): Promise<void> {
  const containers = await ctx.pools.mountPath(x.pool, 'containers', '');
  const stage = await mkdtemp(join(containers, '.import-'));
  try {
    const { stream, done } = decompressed(ctx, x.file, x.compression);
    const input = x.shift ? shiftTarOwners(stream, x.shift) : stream;
    const tar = ctx.runner.spawn('tar', ['-xf', '-', '-C', stage, '--numeric-owner', '--xattrs', '--xattrs-include=*', '--same-permissions', '--same-owner', '--delay-directory-restore'], { stdio: ['pipe', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    tar.stderr?.on('data', (b: Buffer) => err.push(b));
    const exited = new Promise<void>((resolve, reject) => tar.on('close', (code) => (code === 0 ? resolve() : reject(ApiError.badRequest(`Failed to unpack the backup: ${Buffer.concat(err).toString().trim()}`)))));
    await Promise.all([pipeline(input, intoChildStdin(tar.stdin!)), exited, done]);
    const target = await ctx.pools.mountPath(x.pool, 'containers', x.volume);
    await rename(join(stage, 'backup', 'container'), target);
    x.revert.add(() => rm(target, { recursive: true, force: true }));
    for (const s of x.snapshots) {
      const dst = await ctx.pools.mountPath(x.pool, 'containers-snapshots', snapshotVolume(x.project, x.name, s));
      await mkdir(join(dst, '..'), { recursive: true, mode: 0o711 });
      await rename(join(stage, 'backup', 'snapshots', s), dst);
    }
    if (x.snapshots.length > 0) x.revert.add(() => ctx.pools.deleteVolume(x.pool, 'containers-snapshots', snapshotScope(x.project, x.name)));
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
