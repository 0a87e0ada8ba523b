// What is mounted where, from /proc/self/mountinfo: the layered views of a test daemon's volumes.
import { readFile } from 'node:fs/promises';
import { run } from './run.js';

interface Mount {
  target: string;
  source: string;
}

async function mounts(): Promise<Mount[]> {
  return (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const f = l.split(' ');
      return { target: f[4] ?? '', source: f[f.indexOf('-') + 2] ?? '' };
    });
}

/** Mount points strictly below dir, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  return (await mounts())
    .map((m) => m.target)
    .filter((t) => t.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** The source of the topmost mount on path: lodge-view (daemon), lodge-ct (container), lodge-snap (snapshot). */
export async function mountSourceAt(path: string): Promise<string | undefined> {
  return (await mounts()).filter((m) => m.target === path).pop()?.source;
}

/** Layered instance volumes stay mounted after the daemon stops (as LXD's pools do): unmounted before removal. */
export async function unmountUnder(dir: string): Promise<void> {
  for (const t of await mountsUnder(dir)) await run('umount', ['-l', t], { allowFail: true });
}
