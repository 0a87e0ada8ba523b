// Where the benchmark daemons keep their state: a temp dir on the host's filesystem, or a fresh loop-backed btrfs.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './proc.mjs';

/**
 * The same filesystem holds both daemons' pools, so the comparison stays side by side. On btrfs the dir pools can
 * share blocks between copies (reflinks) where ext4 has to copy every byte; LXD's dir driver copies with rsync either way.
 */
export async function scratchBase(fs) {
  const base = await mkdtemp(join(tmpdir(), 'lodge-bench-'));
  // Unprivileged container roots must traverse to their rootfs.
  await chmod(base, 0o711);
  if (fs === 'host') return { base, cleanup: () => rm(base, { recursive: true, force: true }) };
  if (fs !== 'btrfs') throw new Error(`--fs must be host or btrfs, not ${fs}`);
  const image = `${base}.img`;
  await run('truncate', ['-s', '20G', image]);
  await run('mkfs.btrfs', ['-q', image]);
  // mount sets up the loop device with autoclear: it goes away with the unmount.
  await run('mount', ['-o', 'loop', image, base]);
  await chmod(base, 0o711);
  return {
    base,
    cleanup: async () => {
      // Lazily if something still holds it: the loop device is released once the last user goes.
      if ((await run('umount', [base], { allowFail: true })).code !== 0) await run('umount', ['-l', base], { allowFail: true });
      await rm(image, { force: true });
      await rm(base, { recursive: true, force: true });
    },
  };
}
