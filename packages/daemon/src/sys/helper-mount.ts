// lodge-helper mount, umount and cgroup-set: hotplug of disk and unix devices into a running container, and its cgroup device rules.
import { checkPid, checkString, FileError, runHelper, type HelperOptions } from './helper.js';

export type Propagation = 'private' | 'shared' | 'slave' | 'unbindable' | 'rprivate' | 'rshared' | 'rslave' | 'runbindable';
const propagations: readonly string[] = ['private', 'shared', 'slave', 'unbindable', 'rprivate', 'rshared', 'rslave', 'runbindable'];

export interface MountOptions {
  /** Host path: a directory, a file, or a device node (made by the daemon with the owner and mode it wants). */
  source: string;
  /** Absolute path inside the container; created (as the container's root) when missing. */
  target: string;
  readonly?: boolean;
  /** Take the mounts below the source too (rbind). */
  recursive?: boolean;
  /** Idmapped with the container's user namespace: host ids appear unshifted (0 is the container's root). */
  shift?: boolean;
  /** Default private. The container's copy never propagates back to the host: "shared" behaves as "slave" towards the host. */
  propagation?: Propagation;
}

/** Mounts and umounts can block on a filesystem the container serves (FUSE): never wait forever. */
export const MOUNT_TIMEOUT_MS = 30_000;

function checkTarget(target: string): void {
  checkString('target', target);
  if (!target.startsWith('/')) throw new RangeError(`target must be absolute: ${target}`);
  if (target.split('/').includes('..')) throw new RangeError(`target may not contain "..": ${target}`);
  if (target.split('/').every((c) => c === '' || c === '.')) throw new RangeError('target may not be the container root');
}

export function mountArgs(pid: number, o: MountOptions): string[] {
  checkPid(pid);
  checkString('source', o.source);
  if (!o.source.startsWith('/')) throw new RangeError(`source must be an absolute host path: ${o.source}`);
  checkTarget(o.target);
  const args = ['mount', '--pid', String(pid), '--source', o.source, '--target', o.target];
  if (o.readonly) args.push('--readonly');
  if (o.recursive) args.push('--recursive');
  if (o.shift) args.push('--shift');
  if (o.propagation !== undefined) {
    if (!propagations.includes(o.propagation)) throw new RangeError(`invalid propagation: ${String(o.propagation)}`);
    args.push('--propagation', o.propagation);
  }
  return args;
}

export function umountArgs(pid: number, target: string): string[] {
  checkPid(pid);
  checkTarget(target);
  return ['umount', '--pid', String(pid), '--target', target];
}

/** Hot-plugs a host path into the running container whose init is pid (see native/README.md for the guarantees). */
export async function mountInto(pid: number, o: MountOptions, h: HelperOptions = {}): Promise<void> {
  await runHelper(mountArgs(pid, o), h, MOUNT_TIMEOUT_MS);
}

/**
 * Removes what mountInto put at target. Resolves false when nothing is mounted there (already
 * removed, or the path is gone), like LXD, which ignores those cases.
 */
export async function umountFrom(pid: number, target: string, h: HelperOptions = {}): Promise<boolean> {
  try {
    await runHelper(umountArgs(pid, target), h, MOUNT_TIMEOUT_MS);
    return true;
  } catch (e) {
    if (e instanceof FileError && (e.code === 'EINVAL' || e.code === 'ENOENT') && /not a mount point|No such file/.test(e.message)) return false;
    throw e;
  }
}

/** A cgroup device rule ("c 10:200 rwm"); "*" for any major or minor. */
export function deviceRule(kind: 'c' | 'b', major: number | '*', minor: number | '*', access = 'rwm'): string {
  const num = (v: number | '*'): string => {
    if (v !== '*' && !(Number.isInteger(v) && v >= 0 && v < 2 ** 20)) throw new RangeError(`invalid device number: ${v}`);
    return String(v);
  };
  if (!/^[rwm]{1,3}$/.test(access)) throw new RangeError(`invalid access: ${access}`);
  return `${kind} ${num(major)}:${num(minor)} ${access}`;
}

export function cgroupSetArgs(lxcpath: string, name: string, key: string, value: string): string[] {
  for (const [what, v] of [['lxcpath', lxcpath], ['name', name], ['key', key], ['value', value]] as const) {
    checkString(what, v);
    if (v === '') throw new RangeError(`empty ${what}`);
  }
  if (!/^[a-z0-9_]+\.[a-z0-9_.]+$/.test(key)) throw new RangeError(`invalid cgroup key: ${key}`);
  if (value.startsWith('--')) throw new RangeError(`invalid cgroup value: ${value}`);
  return ['cgroup-set', '--lxcpath', lxcpath, '--name', name, key, value];
}

/**
 * One cgroup setting of a running container through liblxc, for device rules: cgroupSet(p, n,
 * 'devices.allow', deviceRule('c', 10, 200)) before hot-plugging a node ('devices.deny' when it
 * goes). Works on cgroup1 (devices.allow file) and cgroup2 (liblxc updates the BPF program).
 */
export async function cgroupSet(lxcpath: string, name: string, key: string, value: string, h: HelperOptions = {}): Promise<void> {
  await runHelper(cgroupSetArgs(lxcpath, name, key, value), h, MOUNT_TIMEOUT_MS);
}
