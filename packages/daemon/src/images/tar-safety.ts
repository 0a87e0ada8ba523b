// Tar entry checks: refuse anything that would land or point outside the extraction target.
import { posix } from 'node:path';

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo' | 'other';

export interface TarEntryInfo {
  name: string;
  type: TarEntryType;
  linkname?: string | null;
}

export class UnsafeTarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeTarError';
  }
}

/**
 * Returns the container root a path lies in ("rootfs" for "rootfs/etc/passwd"), or undefined
 * when the path is not part of a container filesystem.
 */
export type RootOf = (path: string) => string | undefined;

export const imageRootOf: RootOf = (path) => (path === 'rootfs' || path.startsWith('rootfs/') ? 'rootfs' : undefined);

/** Normalises an archive member name; refuses absolute names and ".." components. */
export function normalizeMember(name: string): string {
  if (name.startsWith('/')) throw new UnsafeTarError(`Archive entry "${name}" has an absolute path`);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new UnsafeTarError(`Archive entry "${name}" contains ".."`);
    parts.push(part);
  }
  return parts.join('/');
}

/** Resolves a relative link target against a directory; undefined if it climbs above "base". */
function resolveWithin(base: string, dir: string, target: string): string | undefined {
  const joined = posix.normalize(posix.join(dir, target));
  if (joined === '..' || joined.startsWith('../')) return undefined;
  if (base === '') return joined === '.' ? '' : joined;
  return joined === base || joined.startsWith(`${base}/`) ? joined : undefined;
}

/** Checks entries in archive order; keeps what it saw so later entries cannot use earlier links. */
export class TarSafety {
  private readonly symlinks = new Set<string>();
  private readonly seen = new Set<string>();

  constructor(private readonly rootOf: RootOf = imageRootOf) {}

  /** Returns the normalised path of a safe entry; throws UnsafeTarError otherwise. */
  check(entry: TarEntryInfo): string {
    const path = normalizeMember(entry.name);
    if (path === '') return path;
    this.checkAncestors(entry.name, path);
    if (this.symlinks.has(path) && entry.type !== 'symlink') {
      throw new UnsafeTarError(`Archive entry "${entry.name}" replaces a symbolic link`);
    }
    const root = this.rootOf(path);
    if (entry.type === 'symlink') this.checkSymlink(entry, path, root);
    else if (entry.type === 'link') this.checkHardlink(entry);
    else if (entry.type === 'character-device' || entry.type === 'block-device' || entry.type === 'fifo') {
      if (root === undefined) throw new UnsafeTarError(`Archive entry "${entry.name}" is a special file outside a root filesystem`);
    } else if (entry.type === 'other') {
      throw new UnsafeTarError(`Archive entry "${entry.name}" has an unsupported type`);
    }
    if (entry.type === 'symlink') this.symlinks.add(path);
    else this.symlinks.delete(path);
    this.seen.add(path);
    return path;
  }

  private checkAncestors(name: string, path: string): void {
    let i = path.indexOf('/');
    while (i !== -1) {
      const prefix = path.slice(0, i);
      if (this.symlinks.has(prefix)) throw new UnsafeTarError(`Archive entry "${name}" goes through the symbolic link "${prefix}"`);
      i = path.indexOf('/', i + 1);
    }
  }

  private checkSymlink(entry: TarEntryInfo, path: string, root: string | undefined): void {
    const target = entry.linkname ?? '';
    if (target === '') throw new UnsafeTarError(`Symbolic link "${entry.name}" has no target`);
    if (target.startsWith('/')) {
      // Inside a container root an absolute link resolves within the container; elsewhere it points at the host.
      if (root === undefined) throw new UnsafeTarError(`Symbolic link "${entry.name}" points outside the archive (${target})`);
      return;
    }
    if (resolveWithin(root ?? '', posix.dirname(path), target) === undefined) {
      throw new UnsafeTarError(`Symbolic link "${entry.name}" points outside the archive (${target})`);
    }
  }

  private checkHardlink(entry: TarEntryInfo): void {
    const raw = entry.linkname ?? '';
    let target: string;
    try {
      target = normalizeMember(raw);
    } catch {
      throw new UnsafeTarError(`Hard link "${entry.name}" points outside the archive (${raw})`);
    }
    if (!this.seen.has(target) || this.symlinks.has(target)) {
      throw new UnsafeTarError(`Hard link "${entry.name}" points to "${raw}", which is not an earlier file of the archive`);
    }
    this.checkAncestors(raw, target);
  }
}
