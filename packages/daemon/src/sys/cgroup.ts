// cgroup v1 access for one container: read usage counters, write limits, find the init process.
import { readdirSync, readFileSync, rmdirSync, type Dirent } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const root = '/sys/fs/cgroup';

/** In cgroup v1 each file lives under the controller its name starts with. */
function controllerOf(key: string): string {
  return key.split('.')[0] ?? key;
}

export function cgroupFile(dir: string, key: string): string {
  return join(root, controllerOf(key), dir, key);
}

/**
 * Reads a small kernel file synchronously. These live in memory and read in microseconds, while each
 * fs/promises read is four thread-pool round trips; `lxc list` reads hundreds of them.
 */
export function readKernelFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export async function readCgroup(dir: string, key: string): Promise<string | undefined> {
  return readKernelFile(cgroupFile(dir, key))?.trim();
}

export async function readCgroupNumber(dir: string, key: string): Promise<number> {
  const v = await readCgroup(dir, key);
  const n = v === undefined ? Number.NaN : Number(v);
  return Number.isFinite(n) ? n : 0;
}

/** Writes a limit; a missing file (controller not enabled, e.g. no swap accounting) is skipped. */
export async function writeCgroup(dir: string, key: string, value: string): Promise<boolean> {
  try {
    await writeFile(cgroupFile(dir, key), value);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new Error(`Failed to set ${key}=${value}: ${(e as Error).message}`);
  }
}

/** Pids in the container's cgroup (all of its processes). */
export async function cgroupPids(dir: string): Promise<number[]> {
  const text = readKernelFile(join(root, 'pids', dir, 'cgroup.procs')) ?? '';
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
}

/** True when the process exists and lives in the given cgroup (guards against pid reuse). */
export async function processInCgroup(pid: number, dir: string): Promise<boolean> {
  const text = readKernelFile(`/proc/${pid}/cgroup`) ?? '';
  return text.split('\n').some((l) => l.endsWith(`:/${dir}`) || l.includes(`:/${dir}/`));
}

export async function onlineCpus(): Promise<number> {
  const text = readKernelFile('/sys/devices/system/cpu/online') ?? '0';
  let n = 0;
  for (const part of text.trim().split(',')) {
    const [a, b] = part.split('-').map(Number);
    n += b === undefined ? 1 : b - (a ?? 0) + 1;
  }
  return n;
}

/**
 * Removes an empty cgroup (and its empty children) from every hierarchy; busy or missing ones are left alone.
 * Synchronous: cgroupfs answers at once, and a start runs this every time (a few hundred microseconds,
 * where the same through the thread pool took 5 ms).
 */
export function removeCgroup(dir: string): void {
  const prune = (path: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) prune(join(path, e.name));
    try {
      rmdirSync(path);
    } catch {
      // busy: a process is still in it
    }
  };
  let hierarchies: string[] = [];
  try {
    hierarchies = readdirSync(root);
  } catch {
    return;
  }
  for (const h of hierarchies) prune(join(root, h, dir));
}
