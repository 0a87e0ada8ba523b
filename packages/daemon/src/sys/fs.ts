// Small filesystem helpers with the durability and cleanup the daemon needs.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Writes a file atomically: temp file, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dirname(path));
}

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function ensureDir(path: string, mode = 0o711): Promise<void> {
  await mkdir(path, { recursive: true, mode });
}

export function tempName(dir: string, prefix: string): string {
  return join(dir, `${prefix}${randomBytes(8).toString('hex')}`);
}

/** Ancestors of dir that others cannot enter (no o+x): an unprivileged container root could not reach its rootfs. */
export async function untraversableParents(dir: string): Promise<string[]> {
  const out: string[] = [];
  let cur = dirname(dir);
  for (;;) {
    const st = await stat(cur).catch(() => undefined);
    if (st && (st.mode & 0o001) === 0) out.push(cur);
    const up = dirname(cur);
    if (up === cur) return out;
    cur = up;
  }
}
