// A read-only view of a host's /proc, /sys, /dev and /run below a root path, so the readers also run on fixture trees.
import type { Dirent } from 'node:fs';
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { machine, release } from 'node:os';
import { join } from 'node:path';

export interface Uname {
  /** e.g. x86_64 (the CPU architecture LXD reports). */
  machine: string;
  /** Kernel release: the driver version of built-in drivers. */
  release: string;
}

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/**
 * Every method takes a host path ("/sys/class/net") and never throws: hardware that is
 * missing or unreadable reads as undefined / false / [], so the inventory degrades to empty
 * values instead of failing the request.
 *
 * Plain sysfs and procfs attributes are read synchronously: they are answered from kernel
 * memory in microseconds, and a thread-pool round trip per tiny file made the inventory ten
 * times slower (hundreds of memory blocks on a big host). The few reads that can wait on
 * hardware or a kernel lock (VPD, opening a disk, link state under RTNL) are the async
 * methods, so they never stall the daemon.
 */
export class Host {
  constructor(
    readonly root = '/',
    readonly uname: Uname = { machine: machine(), release: release() },
  ) {}

  /** The path on this machine's filesystem. */
  real(path: string): string {
    return this.root === '/' ? path : join(this.root, path);
  }

  text(path: string): string | undefined {
    return attempt(() => readFileSync(this.real(path), 'utf8'));
  }

  buffer(path: string): Buffer | undefined {
    return attempt(() => readFileSync(this.real(path)));
  }

  trimmed(path: string): string | undefined {
    return this.text(path)?.trim();
  }

  /** A decimal (or, with radix 16, hexadecimal) unsigned number; undefined when missing or malformed. */
  uint(path: string, radix: 10 | 16 = 10): number | undefined {
    return parseUnsigned(this.trimmed(path), radix);
  }

  int(path: string): number | undefined {
    const s = this.trimmed(path);
    return s !== undefined && /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
  }

  /** lstat semantics, as LXD's sysfsExists: a dangling link still exists. */
  exists(path: string): boolean {
    return attempt(() => lstatSync(this.real(path))) !== undefined;
  }

  isDir(path: string): boolean {
    return attempt(() => statSync(this.real(path)).isDirectory()) ?? false;
  }

  /** Entry names sorted bytewise, as Go's os.ReadDir (the order LXD reports devices in). */
  list(path: string): string[] {
    return this.entries(path).map((d) => d.name);
  }

  entries(path: string): Dirent[] {
    const list = attempt(() => readdirSync(this.real(path), { withFileTypes: true })) ?? [];
    return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The fully resolved host path (symlinks followed); undefined if it does not resolve inside the root. */
  resolve(path: string): string | undefined {
    const r = attempt(() => realpathSync(this.real(path)));
    if (r === undefined || this.root === '/') return r;
    const root = this.root.replace(/\/+$/, '');
    if (r === root) return '/';
    return r.startsWith(`${root}/`) ? r.slice(root.length) : undefined;
  }

  link(path: string): string | undefined {
    return attempt(() => readlinkSync(this.real(path)));
  }

  /** For attributes whose read can wait on the device or a kernel lock. */
  async slowText(path: string): Promise<string | undefined> {
    return readFile(this.real(path), 'utf8').catch(() => undefined);
  }

  async slowBuffer(path: string): Promise<Buffer | undefined> {
    return readFile(this.real(path)).catch(() => undefined);
  }

  /** Whether the node opens read-only (LXD only asks a disk for its block size when it can open it). */
  async opens(path: string): Promise<boolean> {
    try {
      const fh = await open(this.real(path), 'r');
      await fh.close();
      return true;
    } catch {
      return false;
    }
  }
}

export function parseUnsigned(s: string | undefined, radix: 10 | 16 = 10): number | undefined {
  if (s === undefined) return undefined;
  const re = radix === 16 ? /^[0-9a-fA-F]+$/ : /^\d+$/;
  return re.test(s) ? Number.parseInt(s, radix) : undefined;
}
