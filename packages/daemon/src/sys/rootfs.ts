// Path resolution confined to a root directory (like openat2 RESOLVE_IN_ROOT) for a stopped container's rootfs.
import { constants } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import { posix } from 'node:path';

const maxLinks = 40;

/**
 * Resolves path inside root, following symlinks as the container would see them: absolute links and ".."
 * never leave root. Returns the host path; the final component is resolved too unless keepLast is set.
 */
export async function resolveInRoot(root: string, path: string, keepLast = false): Promise<string> {
  const pending = path.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = posix.join(root, ...resolved, part);
    const st = await lstat(candidate).catch(() => undefined);
    if (st?.isSymbolicLink() && !(keepLast && pending.length === 0)) {
      if (++links > maxLinks) throw Object.assign(new Error(`Too many levels of symbolic links in "${path}"`), { code: 'ELOOP' });
      const target = await readlink(candidate);
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
      continue;
    }
    resolved.push(part);
  }
  return posix.join(root, ...resolved);
}

/** Writes a file inside root; the final component is never followed if it is a symlink (it is replaced). */
export async function writeInRoot(root: string, path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const target = await resolveInRoot(root, path);
  const fh = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK, mode);
  try {
    if (!(await fh.stat()).isFile()) throw new Error(`"${path}" is not a regular file`);
    await fh.writeFile(data);
  } finally {
    await fh.close();
  }
}
