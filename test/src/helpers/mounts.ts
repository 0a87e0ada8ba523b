// What is mounted where, from /proc/self/mountinfo (the daemon's own reader): the layered views of a test daemon's volumes.
import { mountAt, mountsUnder } from '../../../packages/daemon/dist/sys/overlay.js';
import { run } from './run.js';

export { mountsUnder };

/** The source of the topmost mount on path: lodge-view (daemon), lodge-ct (container), lodge-snap (snapshot). */
export async function mountSourceAt(path: string): Promise<string | undefined> {
  return (await mountAt(path))?.source;
}

/** Layered instance volumes stay mounted after the daemon stops (as LXD's pools do): unmounted before removal. */
export async function unmountUnder(dir: string): Promise<void> {
  for (const t of await mountsUnder(dir)) await run('umount', ['-l', t], { allowFail: true });
}
