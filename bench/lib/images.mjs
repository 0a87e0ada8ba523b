// Builds the benchmark images once: busybox (unified) and Debian bookworm (split, squashfs).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './proc.mjs';

const scripts = fileURLToPath(new URL('../../scripts', import.meta.url));

export async function imageFiles(dir, { debian }) {
  const busybox = join(dir, 'busybox.tar.gz');
  await run(join(scripts, 'build-busybox-image.sh'), [busybox]);
  if (!debian) return { busybox };
  const meta = join(dir, 'debian-meta.tar.xz');
  const rootfs = join(dir, 'debian-rootfs.squashfs');
  await run(join(scripts, 'build-debian-image.sh'), [meta, rootfs], { timeoutMs: 1_800_000 });
  return { busybox, debian: { meta, rootfs } };
}
