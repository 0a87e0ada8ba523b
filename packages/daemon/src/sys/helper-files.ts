// lodge-helper file: stat, get, put and delete of a path resolved inside a container's root filesystem.
import { PassThrough, type Readable } from 'node:stream';
import { checkId, checkString, collect, FileError, parseFileError, runHelper, spawnHelper, type HelperOptions } from './helper.js';

const MAX_HEADER = 64 * 1024 * 1024;

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
