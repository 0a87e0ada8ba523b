// Instance backups: tarballs in LXD's layout (backup/index.yaml, backup/container, backup/snapshots/<s>).
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { InstanceBackup, InstanceBackupsPost, Profile } from '@lodge/api';
import { ApiError, formatTime, zeroTime } from '@lodge/api';
import type { BackupRecord } from '../db/records.js';
import { globalScope } from '../db/store.js';
import type { LifecycleOptions } from '../events/hub.js';
import { seg } from '../util/url.js';
import { renderBackupYaml, renderIndex, type BackupConfig } from './backup-format.js';
import type { InstanceContext } from './context.js';
import { snapshotScope, snapshotVolume } from './naming.js';
import { listSnapshots, snapshotToApi } from './snapshots.js';
import { loadView, toApi } from './view.js';
import { runtimeState } from './runtime.js';

export function backupUrl(name: string, backup: string): string {
  return `/1.0/instances/${seg(name)}/backups/${seg(backup)}`;
}

export function toApiBackup(rec: BackupRecord): InstanceBackup {
  return { name: rec.name, created_at: rec.created_at, expires_at: rec.expires_at, instance_only: rec.instance_only, container_only: rec.instance_only, optimized_storage: rec.optimized_storage };
}

export function backupFile(ctx: InstanceContext, project: string, name: string, backup: string): string {
  return join(ctx.paths.instanceBackups(snapshotScope(project, name)), backup);
}

export function validateBackupName(name: string): string {
  if (name.includes('/')) throw ApiError.badRequest('Backup names may not contain slashes');
  if (name === '' || name === '.' || name === '..' || /[\x00-\x1f\x7f]/.test(name)) throw ApiError.badRequest(`Invalid backup name "${name}"`);
  return name;
}

const compressors: Record<string, string[] | 'gzip' | null> = { gzip: 'gzip', xz: ['xz', '-c', '-T0'], bzip2: ['bzip2', '-c'], zstd: ['zstd', '-c', '-q'], none: null };

/** The backup.yaml content: the instance, its snapshots, pool, the project's profiles, volume records. */
export async function backupConfig(ctx: InstanceContext, project: string, name: string, withSnapshots: boolean): Promise<BackupConfig> {
  const view = await ctx.store.read((tx) => loadView(ctx, tx, project, name));
  const status = (await runtimeState(ctx, view)).status;
  const snaps = withSnapshots ? await listSnapshots(ctx, project, name) : [];
  const pool = await ctx.store.read((tx) => tx.pools.must(globalScope, view.rec.pool));
  const profiles: Profile[] = (await ctx.profiles.list(project)).map((p) => ({ ...p, used_by: [] }));
  return {
    container: toApi(view, status),
    snapshots: await Promise.all(snaps.map((s) => snapshotToApi(ctx, project, s))),
    pool: { name: pool.name, driver: pool.driver, description: pool.description, config: pool.config, used_by: [], status: 'Created', locations: ['none'] },
    profiles,
    volume: { config: {}, description: '', name, type: 'container', used_by: [], location: 'none', content_type: 'filesystem', project, created_at: zeroTime },
    volume_snapshots: snaps.map((s) => ({ description: '', expires_at: s.expires_at, name: s.name, config: {}, content_type: 'filesystem', created_at: s.created_at })),
  };
}

function compressedTo(ctx: InstanceContext, input: Readable, algorithm: string, out: string): Promise<void> {
  const c = compressors[algorithm.split(' ')[0] ?? 'gzip'];
  if (c === undefined) throw ApiError.badRequest(`Unsupported compression algorithm "${algorithm}"`);
  if (c === null) return pipeline(input, createWriteStream(out, { mode: 0o600 }));
  if (c === 'gzip') return pipeline(input, createGzip(), createWriteStream(out, { mode: 0o600 }));
  const [bin, ...args] = c as [string, ...string[]];
  const child = ctx.runner.spawn(bin, args, { stdio: ['pipe', 'pipe', 'ignore'] });
  const done = new Promise<void>((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} failed (exit ${code})`)))));
  input.pipe(child.stdin!);
  return Promise.all([pipeline(child.stdout!, createWriteStream(out, { mode: 0o600 })), done]).then(() => undefined);
}

/**
 * Packs the tarball. Volumes are bind-mounted (with what is mounted in them: a layered rootfs) into a staging
 * tree inside a private mount namespace (gone when tar exits), so member names come out as backup/container/... without renaming rules.
 */
async function writeTarball(ctx: InstanceContext, opts: { volume: string; snapshots: [string, string][]; index: string; algorithm: string; out: string }): Promise<void> {
  const stage = await mkdtemp(join(ctx.paths.tmp, 'backup-'));
  try {
    await mkdir(join(stage, 'backup', 'snapshots'), { recursive: true });
    await writeFile(join(stage, 'backup', 'index.yaml'), opts.index);
    const members = ['backup/index.yaml', ...(opts.snapshots.length > 0 ? ['backup/snapshots'] : []), 'backup/container'];
    const script =
      'set -e; s=$1; c=$2; m=$3; shift 3; mkdir -p "$s/backup/container"; mount --rbind "$c" "$s/backup/container"; ' +
      'while [ $# -gt 0 ]; do mkdir -p "$s/backup/snapshots/$1"; mount --rbind "$2" "$s/backup/snapshots/$1"; shift 2; done; ' +
      'exec tar -C "$s" --numeric-owner --xattrs --xattrs-include="*" -cf - $m';
    const tar = ctx.runner.spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', stage, opts.volume, members.join(' '), ...opts.snapshots.flat()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const err: Buffer[] = [];
    tar.stderr?.on('data', (b: Buffer) => err.push(b));
    const exited = new Promise<void>((resolve, reject) => tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`Failed to pack the backup: ${Buffer.concat(err).toString().trim()}`)))));
    await Promise.all([compressedTo(ctx, tar.stdout!, opts.algorithm, opts.out), exited]);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

export async function createBackup(ctx: InstanceContext, project: string, name: string, req: InstanceBackupsPost, lc: LifecycleOptions): Promise<string> {
  const scope = snapshotScope(project, name);
  const existing = await ctx.store.read(async (tx) => {
    await tx.instances.must(project, name);
    return tx.backups.names(scope);
  });
  const backup = req.name ? validateBackupName(req.name) : `backup${Math.max(-1, ...existing.map((n) => /^backup(\d+)$/.exec(n)).filter((m) => m).map((m) => Number(m![1]))) + 1}`;
  if (existing.includes(backup)) throw ApiError.conflict(`Backup "${name}/${backup}" already exists`);
  const instanceOnly = req.instance_only === true || req.container_only === true;
  const algorithm = req.compression_algorithm || (await ctx.store.read((tx) => tx.serverConfig()))['backups.compression_algorithm'] || 'gzip';
  const view = await ctx.store.read((tx) => loadView(ctx, tx, project, name));
  const config = await backupConfig(ctx, project, name, !instanceOnly);
  const snaps = instanceOnly ? [] : config.snapshots.map((s) => s.name);
  const volume = await ctx.pools.mountPath(view.rec.pool, 'containers', view.names.volume);
  const snapPaths: [string, string][] = await Promise.all(snaps.map(async (s) => [s, await ctx.pools.mountPath(view.rec.pool, 'containers-snapshots', snapshotVolume(project, name, s))] as [string, string]));
  // LXD keeps backup.yaml inside the volume; an importer (LXD's too) reads it from backup/container/.
  await writeFile(join(volume, 'backup.yaml'), renderBackupYaml(config), { mode: 0o400 });
  const index = renderIndex({ name, backend: 'dir', pool: view.rec.pool, ...(instanceOnly ? {} : { snapshots: snaps }), optimized: false, optimized_header: false, type: 'container', config });
  const dir = ctx.paths.instanceBackups(scope);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const out = join(dir, `.${backup}.partial`);
  try {
    // A running instance's volume is read through a view of its own (a layered rootfs is shown shifted to the container).
    await ctx.pools.withReadView(view.rec.pool, 'containers', view.names.volume, (volume) => writeTarball(ctx, { volume, snapshots: snapPaths, index, algorithm, out }));
    await rename(out, join(dir, backup));
  } catch (e) {
    await rm(out, { force: true });
    throw e;
  }
  const rec: BackupRecord = {
    name: backup,
    created_at: formatTime(new Date(Math.floor(Date.now() / 1000) * 1000)),
    expires_at: req.expires_at && Date.parse(req.expires_at) > 0 ? formatTime(new Date(req.expires_at)) : zeroTime,
    instance_only: instanceOnly,
    optimized_storage: false,
    compression: algorithm,
  };
  try {
    await ctx.store.tx((tx) => tx.backups.create(scope, backup, rec));
  } catch (e) {
    await rm(join(dir, backup), { force: true });
    throw e;
  }
  ctx.events.lifecycle(project, 'instance-backup-created', backupUrl(name, backup), lc);
  return backup;
}

export async function listBackups(ctx: InstanceContext, project: string, name: string): Promise<BackupRecord[]> {
  return ctx.store.read(async (tx) => {
    await tx.instances.must(project, name);
    return (await tx.backups.list(snapshotScope(project, name))).sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  });
}

export async function getBackup(ctx: InstanceContext, project: string, name: string, backup: string): Promise<BackupRecord> {
  return ctx.store.read(async (tx) => {
    await tx.instances.must(project, name);
    const rec = await tx.backups.get(snapshotScope(project, name), backup);
    if (!rec) throw ApiError.notFound('Instance backup not found');
    return rec;
  });
}

export async function renameBackup(ctx: InstanceContext, project: string, name: string, backup: string, to: string, lc: LifecycleOptions): Promise<void> {
  validateBackupName(to);
  const scope = snapshotScope(project, name);
  await ctx.store.tx(async (tx) => {
    const rec = await tx.backups.must(scope, backup);
    await tx.backups.rename(scope, backup, to, { ...rec, name: to });
  });
  await rename(backupFile(ctx, project, name, backup), backupFile(ctx, project, name, to));
  ctx.events.lifecycle(project, 'instance-backup-renamed', backupUrl(name, to), { ...lc, context: { old_name: `${name}/${backup}` } });
}

export async function deleteBackup(ctx: InstanceContext, project: string, name: string, backup: string, lc: LifecycleOptions): Promise<void> {
  await ctx.store.tx((tx) => tx.backups.delete(snapshotScope(project, name), backup));
  await rm(backupFile(ctx, project, name, backup), { force: true });
  ctx.events.lifecycle(project, 'instance-backup-deleted', backupUrl(name, backup), lc);
}

export async function deleteAllBackups(ctx: InstanceContext, project: string, name: string): Promise<void> {
  const scope = snapshotScope(project, name);
  await ctx.store.tx(async (tx) => {
    for (const n of await tx.backups.names(scope)) await tx.backups.delete(scope, n);
  });
  await rm(ctx.paths.instanceBackups(scope), { recursive: true, force: true });
}

/** The tarball as a download. */
export async function openBackup(ctx: InstanceContext, project: string, name: string, backup: string): Promise<{ stream: Readable; size: number; mtime: Date }> {
  await getBackup(ctx, project, name, backup);
  const file = backupFile(ctx, project, name, backup);
  const st = await stat(file);
  return { stream: createReadStream(file), size: st.size, mtime: st.mtime };
}
