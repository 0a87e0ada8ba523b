// Devices at start: disk bind mounts and unix device nodes as LXC mount entries plus cgroup device rules.
import { lstat, mkdir, rm, stat, chown } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Devices } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { isTrue } from '../config/validators.js';
import type { IdmapEntry } from '../sys/idmap.js';
import type { Runner } from '../sys/runner.js';

export interface RenderedDevices {
  mountEntries: string[];
  devicesAllow: string[];
}

/** A path inside the container as LXC wants it: relative, normalised, never climbing out. */
export function containerPath(path: string, device: string): string {
  if (!path.startsWith('/')) throw ApiError.badRequest(`Device "${device}": path "${path}" must be absolute`);
  const norm = posix.normalize(path);
  if (norm.split('/').includes('..')) throw ApiError.badRequest(`Device "${device}": path "${path}" may not contain ".."`);
  return norm.replace(/^\/+/, '');
}

export function hostId(map: IdmapEntry[], id: number, uid: boolean): number {
  for (const e of map) {
    if ((uid ? e.Isuid : e.Isgid) && id >= e.Nsid && id < e.Nsid + e.Maprange) return e.Hostid + (id - e.Nsid);
  }
  return id;
}

async function diskEntry(name: string, dev: Record<string, string>): Promise<string | undefined> {
  const source = dev.source ?? '';
  const optional = dev.required === 'false' || isTrue(dev.optional);
  const st = await stat(source).catch(() => undefined);
  if (!st) {
    if (optional) return undefined;
    throw ApiError.badRequest(`Device "${name}": source path "${source}" doesn't exist`);
  }
  if (!source.startsWith('/')) throw ApiError.badRequest(`Device "${name}": source must be an absolute host path`);
  const target = containerPath(dev.path ?? '', name);
  const opts = [isTrue(dev.recursive) ? 'rbind' : 'bind', st.isDirectory() ? 'create=dir' : 'create=file'];
  if (isTrue(dev.readonly)) opts.push('ro');
  if (dev.propagation) opts.push(dev.propagation);
  if (isTrue(dev.shift)) opts.push('idmap=container');
  if (optional) opts.push('optional');
  return `${source} ${target} none ${opts.join(',')} 0 0`;
}

export interface UnixNodeContext {
  runner: Runner;
  /** Directory for this instance's device nodes on the host. */
  nodesDir: string;
  idmap: IdmapEntry[];
}

export interface UnixNode {
  node: string;
  /** Path inside the container, without the leading slash. */
  target: string;
  rule: string;
}

/** Makes the host node for a unix-char/unix-block device; undefined when an optional source is missing. */
export async function prepareUnixNode(name: string, dev: Record<string, string>, ctx: UnixNodeContext): Promise<UnixNode | undefined> {
  const kind = dev.type === 'unix-block' ? 'b' : 'c';
  let major = dev.major;
  let minor = dev.minor;
  if (dev.source && (major === undefined || minor === undefined)) {
    const st = await lstat(dev.source).catch(() => undefined);
    if (!st) {
      if (dev.required === 'false') return undefined;
      throw ApiError.badRequest(`Device "${name}": source "${dev.source}" doesn't exist`);
    }
    if (kind === 'c' ? !st.isCharacterDevice() : !st.isBlockDevice()) throw ApiError.badRequest(`Device "${name}": "${dev.source}" is not a ${dev.type} device`);
    major ??= String(Math.floor(st.rdev / 256) & 0xfff);
    minor ??= String((st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00));
  }
  if (major === undefined || minor === undefined) throw ApiError.badRequest(`Device "${name}": needs a "source" or "major" and "minor"`);
  const target = containerPath(dev.path ?? dev.source ?? '', name);
  // Our own node with the requested owner and mode, bind-mounted: unprivileged containers cannot mknod.
  const node = unixNodePath(ctx.nodesDir, name);
  await mkdir(ctx.nodesDir, { recursive: true, mode: 0o711 });
  await rm(node, { force: true });
  const mode = dev.mode ? dev.mode.replace(/^0(?=\d{3,})/, '') : '660';
  await ctx.runner.run('mknod', ['-m', mode, node, kind, major, minor]);
  await chown(node, hostId(ctx.idmap, Number(dev.uid ?? 0), true), hostId(ctx.idmap, Number(dev.gid ?? 0), false));
  return { node, target, rule: `${kind} ${major}:${minor} rwm` };
}

export function unixNodePath(nodesDir: string, name: string): string {
  return join(nodesDir, `unix.${name.replace(/\//g, '-')}`);
}

/** Everything the devices contribute to the LXC config (nics are rendered by the network code). */
export async function renderDevices(devices: Devices, ctx: UnixNodeContext): Promise<RenderedDevices> {
  const out: RenderedDevices = { mountEntries: [], devicesAllow: [] };
  for (const [name, dev] of Object.entries(devices).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (dev.type === 'disk' && dev.path !== '/') {
      const e = await diskEntry(name, dev);
      if (e) out.mountEntries.push(e);
    } else if (dev.type === 'unix-char' || dev.type === 'unix-block') {
      const u = await prepareUnixNode(name, dev, ctx);
      if (u) {
        out.mountEntries.push(`${u.node} ${u.target} none bind,create=file 0 0`);
        out.devicesAllow.push(u.rule);
      }
    }
  }
  return out;
}

/** Semantic checks before anything is created (sources exist, paths stay inside). */
export async function checkDevices(devices: Devices): Promise<void> {
  for (const [name, dev] of Object.entries(devices)) {
    if (dev.type === 'disk' && dev.path !== '/') {
      containerPath(dev.path ?? '', name);
      if (!dev.source?.startsWith('/')) throw ApiError.badRequest(`Device "${name}": source must be an absolute host path (custom volumes are not supported yet)`);
      const optional = dev.required === 'false' || isTrue(dev.optional);
      if (!optional && !(await stat(dev.source).catch(() => undefined))) throw ApiError.badRequest(`Device "${name}": source path "${dev.source}" doesn't exist`);
    }
    if ((dev.type === 'unix-char' || dev.type === 'unix-block') && (dev.path ?? dev.source)) containerPath(dev.path ?? dev.source ?? '', name);
    if (dev.type === 'disk' && dev.path === '/' && dev.size) {
      throw ApiError.badRequest(`Device "${name}": root disk size limits need a storage driver with quotas; the dir driver here has none`);
    }
  }
}
