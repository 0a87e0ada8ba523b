// Test images built once per test process from Debian's busybox-static (unified and split forms).
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

export function busyboxImage(): Promise<BusyboxImage> {
  built ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lodge-img-'));
    const img = { unified: join(dir, 'busybox.tar.gz'), meta: join(dir, 'meta.tar.xz'), rootfs: join(dir, 'rootfs.squashfs') };
    await run(join(scriptsDir, 'build-busybox-image.sh'), [img.unified, '--split', img.meta, img.rootfs]);
    return img;
  })();
  return built;
}
