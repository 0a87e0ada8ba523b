// lodge-helper: how lodged runs the native helper (packages/daemon/native), for what Node cannot do
// itself, and the errors it reports. The commands: helper-attach.ts (exec), helper-files.ts (file
// operations resolved inside a container's root), helper-mount.ts (hotplug, cgroup device rules),
// helper-netinfo.ts (network state), helper-notify.ts (the LXC hook, rsync's remote shell) and
// helper-shift.ts (owners of a received container tree). See packages/daemon/native/README.md.
import type { ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ProcessRunner, RunError, type Runner } from './runner.js';

/** The helper binary: env LODGE_HELPER, else native/build/lodge-helper beside the compiled daemon. */
export function helperPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.LODGE_HELPER || fileURLToPath(new URL('../../native/build/lodge-helper', import.meta.url));
}

export function checkId(what: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v < 0xffffffff)) throw new RangeError(`invalid ${what}: ${v}`);
}

/** A container's init (or any process) pid: 2 and up. */
export function checkPid(pid: number): void {
  if (!(Number.isInteger(pid) && pid > 1 && pid <= 0x7fffffff)) throw new RangeError(`invalid pid: ${pid}`);
}

export function checkString(what: string, v: string): void {
  if (v.includes('\0')) throw new RangeError(`invalid ${what}: contains a NUL byte`);
}

export interface HelperOptions {
  runner?: Runner;
  /** Environment used to find the binary (LODGE_HELPER). */
  env?: NodeJS.ProcessEnv;
}

// The first name of a number wins: EAGAIN (not EWOULDBLOCK), ENOTSUP, EDEADLK.
const errnoNames = new Map<number, string>();
for (const [name, n] of Object.entries(osConstants.errno)) if (!errnoNames.has(n)) errnoNames.set(n, name);

/** A failed helper operation (files, mounts, network state, shifting), with the errno it reported (0 when it did not say). */
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

const defaultRunner = new ProcessRunner();

export function collect(stream: Readable | null): () => string {
  const chunks: Buffer[] = [];
  stream?.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString();
}

export function spawnHelper(args: string[], stdio: ['ignore' | 'pipe', 'ignore' | 'pipe', 'pipe'], o: HelperOptions): ChildProcess {
  return (o.runner ?? defaultRunner).spawn(helperPath(o.env), args, { stdio });
}

export async function runHelper(args: string[], o: HelperOptions, timeoutMs?: number): Promise<string> {
  try {
    return (await (o.runner ?? defaultRunner).run(helperPath(o.env), args, { timeoutMs })).stdout;
  } catch (e) {
    if (e instanceof RunError) throw parseFileError(e.stderr, e.code);
    throw e;
  }
}
