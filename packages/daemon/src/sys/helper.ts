// lodge-helper: the native helper (packages/daemon/native) for what Node cannot do itself:
// exec in a container with a cwd, uid/gid and a clean environment, file operations that always
// resolve inside a container's root filesystem, mount hotplug, cgroup device rules, network
// state, the LXC hook notification, and (un)shifting the owners of a received container tree.
// See packages/daemon/native/README.md.
import type { InstanceStateNetwork } from '@lodge/api';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { PassThrough, type Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { IdmapEntry } from './idmap.js';
import { ProcessRunner, RunError, type Runner } from './runner.js';

/** `attach` exit code when the helper itself failed: the command never ran. */
export const ATTACH_FAILED = 125;

/** The helper binary: env LODGE_HELPER, else native/build/lodge-helper beside the compiled daemon. */
export function helperPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.LODGE_HELPER || fileURLToPath(new URL('../../native/build/lodge-helper', import.meta.url));
}

function checkId(what: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v < 0xffffffff)) throw new RangeError(`invalid ${what}: ${v}`);
}

function checkString(what: string, v: string): void {
  if (v.includes('\0')) throw new RangeError(`invalid ${what}: contains a NUL byte`);
}

// ---------------------------------------------------------------------------------------------
// Exec

export interface AttachOptions {
  /** LXC path (lxc-start -P) and container name. */
  lxcpath: string;
  name: string;
  /** The container's cgroup (lxc.cgroup.dir.container): the command joins it in every hierarchy. */
  cgroup: string;
  /** argv; no shell is involved. */
  command: string[];
  uid?: number;
  gid?: number;
  /** Working directory; default HOME from env (as LXD). A missing directory leaves the command in `/`. */
  cwd?: string;
  /** The complete environment: the container's process sees nothing else (plus container=lxc). */
  env?: Record<string, string>;
  /**
   * Interactive: the command runs on a pty of this size from the container's own devpts (its
   * controlling terminal, owned by uid/gid); the helper relays the pty to its own stdin/stdout.
   */
  pty?: { rows: number; cols: number };
  /** With pty: the helper's descriptor (3 and up) on which it reads resizeLine() lines. */
  controlFd?: number;
  /**
   * Without pty: the helper's descriptor (3 and up) it waits on, loaded and checked, before it runs the
   * command: one byte starts it, end of file calls it off (exit ATTACH_FAILED, nothing ran).
   */
  waitFd?: number;
}

function checkSize(what: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 0 && v <= 0xffff)) throw new RangeError(`invalid ${what}: ${v}`);
}

/** A window size change for the control descriptor of `attach --pty` (the kernel sends SIGWINCH). */
export function resizeLine(rows: number, cols: number): string {
  checkSize('rows', rows);
  checkSize('cols', cols);
  return `resize ${rows} ${cols}\n`;
}

/**
 * The argv to run a command in a running container. The daemon spawns it itself with pipes: they
 * are the command's stdio, or with `pty` the two ends of the relay to the command's pty. The
 * helper exits with the command's status, 128+N when it was killed by signal N, 126/127 when the
 * command is not executable / not found, ATTACH_FAILED otherwise.
 */
export function attachArgs(o: AttachOptions, env: NodeJS.ProcessEnv = process.env): { file: string; args: string[] } {
  if (o.command.length === 0) throw new RangeError('empty command');
  checkId('uid', o.uid);
  checkId('gid', o.gid);
  const args = ['attach', '--lxcpath', o.lxcpath, '--name', o.name, '--cgroup', o.cgroup];
  if (o.uid !== undefined) args.push('--uid', String(o.uid));
  if (o.gid !== undefined) args.push('--gid', String(o.gid));
  const cwd = o.cwd || o.env?.HOME;
  if (cwd) args.push('--cwd', cwd);
  if (o.pty) {
    checkSize('rows', o.pty.rows);
    checkSize('cols', o.pty.cols);
    args.push('--pty', `${o.pty.rows}x${o.pty.cols}`);
  }
  if (o.controlFd !== undefined) {
    if (!o.pty) throw new RangeError('controlFd needs pty');
    if (!(Number.isInteger(o.controlFd) && o.controlFd >= 3 && o.controlFd <= 0x7fffffff)) throw new RangeError(`invalid controlFd: ${o.controlFd}`);
    args.push('--control-fd', String(o.controlFd));
  }
  if (o.waitFd !== undefined) {
    if (o.pty) throw new RangeError('waitFd is for commands without pty');
    if (!(Number.isInteger(o.waitFd) && o.waitFd >= 3 && o.waitFd <= 0x7fffffff)) throw new RangeError(`invalid waitFd: ${o.waitFd}`);
    args.push('--wait-fd', String(o.waitFd));
  }
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (k === '' || k.includes('=')) throw new RangeError(`invalid environment variable name: ${JSON.stringify(k)}`);
    args.push('--env', `${k}=${v}`);
  }
  args.push('--', ...o.command);
  for (const a of args) checkString('argument', a);
  return { file: helperPath(env), args };
}

/** LXD's `return` value from how the helper process ended (Node's exit code and signal). */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? osConstants.signals[signal] : undefined;
  return n === undefined ? -1 : 128 + n;
}

/**
 * Delivers an exec "signal" control message. Signals sent to the helper are forwarded to the
 * command; SIGKILL cannot be, but killing the helper kills the command (parent-death signals);
 * SIGSTOP goes straight to the attached process.
 */
export function signalAttached(
  helperPid: number,
  signal: number,
  kill: (pid: number, sig: number) => void = (pid, sig) => process.kill(pid, sig),
): void {
  if (signal === osConstants.signals.SIGSTOP) {
    const child = attachedPid(helperPid);
    if (child !== undefined) kill(child, signal);
    return;
  }
  kill(helperPid, signal);
}

/**
 * The host pid of the command a helper attached, if it is there: the only child of the helper's
 * only child (the one that joined the container's cgroups and called liblxc).
 */
export function attachedPid(helperPid: number): number | undefined {
  const onlyChild = (pid: number): number | undefined => {
    try {
      const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
      return first ? Number(first) : undefined;
    } catch {
      return undefined;
    }
  };
  const middle = onlyChild(helperPid);
  return middle === undefined ? undefined : onlyChild(middle);
}

// ---------------------------------------------------------------------------------------------
// Files

/** A running container (its init's pid) or a stopped one (its rootfs directory on the host). */
export type FileTarget = { pid: number } | { root: string };
export type FileType = 'file' | 'directory' | 'symlink';

/** What `get`/`stat` report; uid/gid as seen inside the container, mode = permission bits. */
export interface FileHeader {
  type: FileType;
  uid: number;
  gid: number;
  mode: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Directories (get only): entry names without . and .. */
  entries?: string[];
  /** Symlinks: LXD's absolute target (relative targets joined to the link's directory, cleaned). */
  target?: string;
}

export interface FileGetResult {
  header: FileHeader;
  /** Regular files only. Errors while reading destroy it with a FileError; destroying it stops the helper. */
  content?: Readable;
}

export interface FilePutOptions {
  type?: FileType;
  /** Applied only when the file or directory is created (as LXD). */
  uid?: number;
  gid?: number;
  /** Permission bits; default 0o644 for files, 0o750 for directories. */
  mode?: number;
  /** Append to an existing file (never creates). */
  append?: boolean;
}

export interface HelperOptions {
  runner?: Runner;
  /** Environment used to find the binary (LODGE_HELPER). */
  env?: NodeJS.ProcessEnv;
}

// The first name of a number wins: EAGAIN (not EWOULDBLOCK), ENOTSUP, EDEADLK.
const errnoNames = new Map<number, string>();
for (const [name, n] of Object.entries(osConstants.errno)) if (!errnoNames.has(n)) errnoNames.set(n, name);

/** A failed file operation, with the errno the helper reported (0 when it did not say). */
export class FileError extends Error {
  readonly errno: number;
  readonly code: string;

  constructor(message: string, errno: number) {
    super(message);
    this.name = 'FileError';
    this.errno = errno;
    this.code = errnoNames.get(errno) ?? 'EUNKNOWN';
  }

  /** The HTTP status LXD gives: 404 missing, 403 permission, 400 bad request, else 500. */
  get status(): 400 | 403 | 404 | 500 {
    switch (this.code) {
      case 'ENOENT':
        return 404;
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        return 403;
      case 'EINVAL':
        return 400;
      default:
        return 500;
    }
  }
}

/** Turns the helper's stderr (one JSON line `{"error","errno"}` on failure) into a FileError. */
export function parseFileError(stderr: string, code: number | null, signal: NodeJS.Signals | null = null): FileError {
  const lines = stderr.trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && typeof (v as { error?: unknown }).error === 'string') {
        const { error, errno } = v as { error: string; errno?: unknown };
        return new FileError(error, typeof errno === 'number' ? errno : 0);
      }
    } catch {
      // not JSON: fall through
    }
  }
  const how = signal ? `killed by ${signal}` : `exit ${code}`;
  return new FileError(`lodge-helper failed (${how})${stderr.trim() ? `: ${stderr.trim()}` : ''}`, 0);
}

/** Parses and checks the header line of `get`/`stat`. */
export function parseFileHeader(line: string): FileHeader {
  const v = JSON.parse(line) as Partial<FileHeader>;
  const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (
    !v ||
    (v.type !== 'file' && v.type !== 'directory' && v.type !== 'symlink') ||
    !num(v.uid) ||
    !num(v.gid) ||
    !num(v.mode) ||
    !num(v.size) ||
    !num(v.mtime) ||
    (v.entries !== undefined && !(Array.isArray(v.entries) && v.entries.every((e) => typeof e === 'string'))) ||
    (v.target !== undefined && typeof v.target !== 'string')
  ) {
    throw new FileError(`lodge-helper: bad header ${line.slice(0, 200)}`, 0);
  }
  return v as FileHeader;
}

/** A byte range of a regular file for `get` (HTTP Range); the header keeps the whole size. */
export interface FileRange {
  offset: number;
  /** Bytes from offset; to the end when left out. */
  length?: number;
}

function checkCount(what: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new RangeError(`invalid ${what}: ${v}`);
}

/** The argv of a file operation. */
export function fileArgs(target: FileTarget, op: 'get' | 'stat' | 'put' | 'delete', path: string, opts: FilePutOptions = {}, range?: FileRange): string[] {
  if (path === '') throw new RangeError('empty path');
  checkString('path', path);
  const args = ['file'];
  if ('pid' in target) {
    if (!(Number.isInteger(target.pid) && target.pid > 1)) throw new RangeError(`invalid pid: ${target.pid}`);
    args.push('--pid', String(target.pid));
  } else {
    checkString('root', target.root);
    args.push('--root', target.root);
  }
  args.push(op, path);
  if (range) {
    if (op !== 'get') throw new RangeError('a range is only for get');
    checkCount('offset', range.offset);
    checkCount('length', range.length);
    if (range.offset > 0) args.push('--offset', String(range.offset));
    if (range.length !== undefined) args.push('--length', String(range.length));
  }
  if (op !== 'put') return args;
  args.push('--type', opts.type ?? 'file');
  checkId('uid', opts.uid);
  checkId('gid', opts.gid);
  if (opts.uid !== undefined) args.push('--uid', String(opts.uid));
  if (opts.gid !== undefined) args.push('--gid', String(opts.gid));
  if (opts.mode !== undefined) {
    if (!(Number.isInteger(opts.mode) && opts.mode >= 0 && opts.mode <= 0o7777)) throw new RangeError(`invalid mode: ${opts.mode}`);
    args.push('--mode', `0${opts.mode.toString(8)}`);
  }
  if (opts.append) {
    if ((opts.type ?? 'file') !== 'file') throw new RangeError('append is only for files');
    args.push('--append');
  }
  return args;
}

const defaultRunner = new ProcessRunner();
const MAX_HEADER = 64 * 1024 * 1024;

function collect(stream: Readable | null): () => string {
  const chunks: Buffer[] = [];
  stream?.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString();
}

function spawnHelper(args: string[], stdio: ['ignore' | 'pipe', 'ignore' | 'pipe', 'pipe'], o: HelperOptions): ChildProcess {
  return (o.runner ?? defaultRunner).spawn(helperPath(o.env), args, { stdio });
}

async function runHelper(args: string[], o: HelperOptions, timeoutMs?: number): Promise<string> {
  try {
    return (await (o.runner ?? defaultRunner).run(helperPath(o.env), args, { timeoutMs })).stdout;
  } catch (e) {
    if (e instanceof RunError) throw parseFileError(e.stderr, e.code);
    throw e;
  }
}

/** lstat-like metadata of a path (symlinks are not followed; directories without entries). */
export async function fileStat(target: FileTarget, path: string, o: HelperOptions = {}): Promise<FileHeader> {
  return parseFileHeader((await runHelper(fileArgs(target, 'stat', path), o)).split('\n')[0] ?? '');
}

/** Reads a path: the header, plus the content of a regular file (or of range of it) as a stream. */
export function fileGet(target: FileTarget, path: string, o: HelperOptions & { range?: FileRange } = {}): Promise<FileGetResult> {
  const args = fileArgs(target, 'get', path, {}, o.range);
  return new Promise((resolve, reject) => {
    const child = spawnHelper(args, ['ignore', 'pipe', 'pipe'], o);
    const stdout = child.stdout as Readable;
    const stderr = collect(child.stderr);
    const head: Buffer[] = [];
    let headLength = 0;
    let content: PassThrough | undefined;
    let settled = false;
    const fail = (e: Error): void => {
      if (!settled) reject(e);
      settled = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };

    const onHeader = (chunk: Buffer): void => {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        head.push(chunk);
        headLength += chunk.length;
        if (headLength > MAX_HEADER) fail(new FileError('lodge-helper: header too long', 0));
        return;
      }
      head.push(chunk.subarray(0, nl));
      stdout.off('data', onHeader);
      let header: FileHeader;
      try {
        header = parseFileHeader(Buffer.concat(head).toString());
      } catch (e) {
        fail(e as Error);
        return;
      }
      settled = true;
      if (header.type !== 'file') {
        stdout.resume();
        resolve({ header });
        return;
      }
      content = new PassThrough();
      content.on('close', () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      const rest = chunk.subarray(nl + 1);
      if (rest.length > 0) content.write(rest);
      stdout.pipe(content, { end: false });
      resolve({ header, content });
    };
    stdout.on('data', onHeader);
    child.on('error', (e) => fail(e));
    child.on('close', (code, signal) => {
      if (!settled) {
        settled = true;
        reject(code === 0 ? new FileError('lodge-helper: no header', 0) : parseFileError(stderr(), code, signal));
      } else if (content && !content.destroyed) {
        if (code === 0) content.end();
        else content.destroy(parseFileError(stderr(), code, signal));
      }
    });
  });
}

/**
 * Writes a path: the file content (or the symlink target) comes from body. LXD's semantics:
 * uid/gid/mode only when created, append never creates, an existing directory or an identical
 * symlink is a no-op.
 */
export function filePut(target: FileTarget, path: string, opts: FilePutOptions, body?: Readable | Buffer | string, o: HelperOptions = {}): Promise<void> {
  const args = fileArgs(target, 'put', path, opts);
  return new Promise((resolve, reject) => {
    const child = spawnHelper(args, ['pipe', 'ignore', 'pipe'], o);
    const stderr = collect(child.stderr);
    const stdin = child.stdin!;
    let bodyError: Error | undefined;
    stdin.on('error', () => undefined); // EPIPE when the helper fails before reading: its stderr says why
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
      stdin.end(body);
    } else {
      body.once('error', (e) => {
        bodyError = e;
        child.kill('SIGKILL');
      });
      body.pipe(stdin);
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (bodyError) reject(bodyError);
      else if (code === 0) resolve();
      else reject(parseFileError(stderr(), code, signal));
    });
  });
}

/** Removes a file, a symlink (not its target) or an empty directory. */
export async function fileDelete(target: FileTarget, path: string, o: HelperOptions = {}): Promise<void> {
  await runHelper(fileArgs(target, 'delete', path), o);
}

// ---------------------------------------------------------------------------------------------
// Mount hotplug (disk devices; unix-char/unix-block devices as a bind-mounted node) and cgroup

/** Errors of the operations below are FileErrors too: message, errno, code, HTTP status. */
export { FileError as HelperError };

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
const MOUNT_TIMEOUT_MS = 30_000;

export function checkPid(pid: number): void {
  if (!(Number.isInteger(pid) && pid > 1 && pid <= 0x7fffffff)) throw new RangeError(`invalid pid: ${pid}`);
}

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

// ---------------------------------------------------------------------------------------------
// Network state

export function netinfoArgs(pids: number[]): string[] {
  const unique = [...new Set(pids)];
  if (unique.length === 0) throw new RangeError('no pid');
  const args = ['netinfo'];
  for (const pid of unique) {
    checkPid(pid);
    args.push('--pid', String(pid));
  }
  return args;
}

function isNetwork(v: unknown): v is InstanceStateNetwork {
  if (!v || typeof v !== 'object') return false;
  const n = v as Partial<InstanceStateNetwork>;
  return (
    Array.isArray(n.addresses) &&
    n.addresses.every((a) => a && typeof a.family === 'string' && typeof a.address === 'string' && typeof a.netmask === 'string' && typeof a.scope === 'string') &&
    !!n.counters &&
    typeof n.counters === 'object' &&
    Object.values(n.counters).every((c) => typeof c === 'number') &&
    typeof n.hwaddr === 'string' &&
    typeof n.host_name === 'string' &&
    typeof n.mtu === 'number' &&
    typeof n.state === 'string' &&
    typeof n.type === 'string'
  );
}

function checkNetworks(v: unknown): Record<string, InstanceStateNetwork> {
  if (!v || typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every(isNetwork)) throw new FileError('lodge-helper netinfo: unexpected output', 0);
  return v as Record<string, InstanceStateNetwork>;
}

/** Parses netinfo's stdout for the pids asked (one pid: the bare interface map; several, or --serve: keyed by pid). */
export function parseNetinfo(stdout: string, pids: number[], keyed = new Set(pids).size > 1): Map<number, Record<string, InstanceStateNetwork>> {
  const unique = [...new Set(pids)];
  let v: unknown;
  try {
    v = JSON.parse(stdout);
  } catch {
    throw new FileError(`lodge-helper netinfo: not JSON: ${stdout.slice(0, 200)}`, 0);
  }
  const out = new Map<number, Record<string, InstanceStateNetwork>>();
  if (!keyed) {
    out.set(unique[0]!, checkNetworks(v));
    return out;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new FileError('lodge-helper netinfo: unexpected output', 0);
  for (const [k, nets] of Object.entries(v)) {
    const pid = Number(k);
    if (unique.includes(pid)) out.set(pid, checkNetworks(nets));
  }
  return out;
}

/**
 * The interfaces of running containers (by init pid) as LXD's state.network, in one helper
 * process however many pids (host_name is left "" for the caller to fill from volatile
 * config). Pids that could not be read (stopped meanwhile, not a container) are left out.
 */
export async function netInfo(pids: number[], h: HelperOptions = {}): Promise<Map<number, Record<string, InstanceStateNetwork>>> {
  if (pids.length === 0) return new Map();
  try {
    return parseNetinfo(await runHelper(netinfoArgs(pids), h, 10_000), pids);
  } catch (e) {
    // One pid reports its failure as the exit status; several leave failures out.
    if (e instanceof FileError && new Set(pids).size === 1 && e.errno !== 0) return new Map();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// LXC hook notification

export interface NotifyOptions {
  /** The daemon's unix socket. */
  socket: string;
  /** Absolute request path with an optional query, e.g. /internal/instances/p/c1/stopped. */
  url: string;
  /** Environment variables the hook adds as query parameters: { LXC_TARGET: 'target' }. */
  envQuery?: Record<string, string>;
  method?: string;
  /** Whole-request deadline; default 2000. */
  timeoutMs?: number;
  /** Exit 0 even when the daemon could not be told (so LXC still reboots a container while the daemon is down). */
  bestEffort?: boolean;
}

export function notifyArgs(o: NotifyOptions): string[] {
  checkString('socket', o.socket);
  checkString('url', o.url);
  if (!o.socket) throw new RangeError('empty socket');
  if (!/^\/[\x21-\x7e]*$/.test(o.url)) throw new RangeError(`invalid url: ${o.url}`);
  const args = ['notify', '--socket', o.socket, '--url', o.url];
  if (o.method !== undefined) {
    if (!/^[A-Za-z]+$/.test(o.method)) throw new RangeError(`invalid method: ${o.method}`);
    args.push('--method', o.method);
  }
  if (o.timeoutMs !== undefined) {
    if (!(Number.isInteger(o.timeoutMs) && o.timeoutMs > 0 && o.timeoutMs <= 600_000)) throw new RangeError(`invalid timeout: ${o.timeoutMs}`);
    args.push('--timeout-ms', String(o.timeoutMs));
  }
  for (const [env, param] of Object.entries(o.envQuery ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env) || param === '' || param.includes('\0')) throw new RangeError(`invalid env query ${env}=${param}`);
    args.push('--env-query', `${env}=${param}`);
  }
  if (o.bestEffort) args.push('--best-effort');
  return args;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The lxc.hook.post-stop value (LXC runs hooks through /bin/sh): the helper tells the daemon
 * synchronously in a few milliseconds and gives up after timeoutMs, so lxc-stop never hangs.
 */
export function notifyHookCommand(o: NotifyOptions, env: NodeJS.ProcessEnv = process.env): string {
  const line = [helperPath(env), ...notifyArgs(o)].map(shellQuote).join(' ');
  if (/[\n\r]/.test(line)) throw new RangeError('newline in hook command');
  return line;
}

/** rsync's remote shell (-e) for migration: the helper bridges rsync's stdio to the daemon's abstract socket. */
export function netcatShell(socket: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!/^@[A-Za-z0-9/_.-]+$/.test(socket)) throw new RangeError(`invalid abstract socket name: ${socket}`);
  return `${helperPath(env)} netcat ${socket}`;
}

// ---------------------------------------------------------------------------------------------
// Id shifting of a container tree (a container received from LXD with host-shifted ids)

/** Ids range over 0 .. 2^32 - 2: 2^32 - 1 is chown's "unchanged". */
const MAX_ID = 0xfffffffe;

export interface ShiftOptions {
  /** Container ids to host ids (LXD's shift); the default maps host ids to container ids (unshift). */
  reverse?: boolean;
}

export interface ShiftResult {
  /** Directory entries walked (the root included; every name of a hard-linked file counts). */
  entries: number;
  /** Inodes whose owner, ACL or capabilities changed. */
  changed: number;
}

/**
 * The argv of `shift`: one --map per entry, `b` for an entry that maps both uids and gids. Each
 * range must fit below 2^32 - 1 on both sides; overlapping ranges are refused by the helper.
 */
export function shiftArgs(root: string, maps: readonly IdmapEntry[], opts: ShiftOptions = {}): string[] {
  checkString('root', root);
  if (!root.startsWith('/')) throw new RangeError(`root must be an absolute path: ${root}`);
  if (root.split('/').includes('..')) throw new RangeError(`root may not contain "..": ${root}`);
  if (maps.length === 0) throw new RangeError('no id map');
  const args = ['shift', '--root', root];
  if (opts.reverse) args.push('--reverse');
  return [...args, ...mapFlags(maps)];
}

/** One `--map u|g|b:HOSTID:NSID:RANGE` per entry (`b` for an entry that maps both uids and gids), checked. */
export function mapFlags(maps: readonly IdmapEntry[]): string[] {
  const args: string[] = [];
  for (const e of maps) {
    const int = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
    if (!int(e.Hostid) || !int(e.Nsid) || !int(e.Maprange) || e.Maprange < 1 || e.Hostid + e.Maprange - 1 > MAX_ID || e.Nsid + e.Maprange - 1 > MAX_ID) {
      throw new RangeError(`invalid id map entry: ${JSON.stringify(e)}`);
    }
    if (!e.Isuid && !e.Isgid) throw new RangeError(`id map entry for neither uids nor gids: ${JSON.stringify(e)}`);
    const kind = e.Isuid && e.Isgid ? 'b' : e.Isuid ? 'u' : 'g';
    args.push('--map', `${kind}:${e.Hostid}:${e.Nsid}:${e.Maprange}`);
  }
  return args;
}

/** Parses shift's one-line summary. */
export function parseShiftResult(stdout: string): ShiftResult {
  let v: unknown;
  try {
    v = JSON.parse(stdout.trim().split('\n').pop() ?? '');
  } catch {
    throw new FileError(`lodge-helper shift: not JSON: ${stdout.slice(0, 200)}`, 0);
  }
  const r = v as Partial<ShiftResult> | null;
  if (!r || typeof r.entries !== 'number' || typeof r.changed !== 'number') throw new FileError(`lodge-helper shift: unexpected output ${stdout.slice(0, 200)}`, 0);
  return { entries: r.entries, changed: r.changed };
}

/**
 * Maps the owners of every file under root in place (LXD's UnshiftRootfs; ShiftRootfs with
 * reverse): ids in a map's host range become container ids, others stay. Setuid/setgid bits,
 * POSIX ACLs (their user/group ids mapped) and file capabilities (v3 rootid mapped) are kept.
 * Never follows a symlink nor crosses a mount point; hard links are shifted once. Stops at the
 * first error (a FileError naming the path), leaving the tree partly shifted.
 */
export async function shiftTree(root: string, maps: readonly IdmapEntry[], opts: ShiftOptions = {}, h: HelperOptions = {}): Promise<ShiftResult> {
  return parseShiftResult(await runHelper(shiftArgs(root, maps, opts), h));
}
