// Test images built once per test process from Debian's busybox-static (unified and split forms).
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scriptsDir } from './paths.js';
import { run } from './run.js';

export interface BusyboxImage {
  unified: string;
  meta: string;
  rootfs: string;
}

let built: Promise<BusyboxImage> | undefined;
const dirs: string[] = [];

process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export function busyboxImage(): Promise<BusyboxImage> {
  built ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lodge-img-'));
    dirs.push(dir);
    const img = { unified: join(dir, 'busybox.tar.gz'), meta: join(dir, 'meta.tar.xz'), rootfs: join(dir, 'rootfs.squashfs') };
    await run(join(scriptsDir, 'build-busybox-image.sh'), [img.unified, '--split', img.meta, img.rootfs]);
    return img;
  })();
  return built;
}

export interface DebianImage {
  meta: string;
  rootfs: string;
}

let debian: Promise<DebianImage> | undefined;

/** Debian bookworm with systemd (debootstrap cached in /var/cache/lodge-test; about a minute the first time). */
export function debianImage(): Promise<DebianImage> {
  debian ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lodge-img-'));
    dirs.push(dir);
    const img = { meta: join(dir, 'meta.tar.xz'), rootfs: join(dir, 'rootfs.squashfs') };
    await run(join(scriptsDir, 'build-debian-image.sh'), [img.meta, img.rootfs], { timeoutMs: 15 * 60_000 });
    return img;
  })();
  return debian;
}
