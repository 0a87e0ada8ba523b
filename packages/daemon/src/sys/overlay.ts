// Overlay mounts of layered volumes through lodge-helper, and what is mounted where (mountinfo).
import { readFile } from 'node:fs/promises';
import { runHelper } from './helper.js';
import { MOUNT_TIMEOUT_MS } from './helper-mount.js';
import { mapFlags } from './helper-shift.js';
import type { IdmapEntry } from './idmap.js';
import type { Runner } from './runner.js';

export interface OverlayMount {
  target: string;
  /** Lower layers, topmost first. */
  lowers: string[];
  /** Directory holding upper/ and work/; without it the overlay is read-only. */
  rw?: string;
  /** Idmapped layers (the container's view); none: the daemon's unshifted view. */
  maps?: readonly IdmapEntry[];
  /** The mount source shown in mountinfo: tells the views apart. */
  source: string;
  readonly?: boolean;
}

export function overlayArgs(o: OverlayMount): string[] {
  const args = ['overlay', '--target', o.target, '--source', o.source];
  for (const l of o.lowers) args.push('--lower', l);
  if (o.rw) args.push('--rw', o.rw);
  if (o.readonly) args.push('--readonly');
  if (o.maps && o.maps.length > 0) args.push(...mapFlags(o.maps));
  return args;
}

/** Errors are the helper's FileErrors (message, errno). */
export async function mountOverlay(runner: Runner, o: OverlayMount): Promise<void> {
  await runHelper(overlayArgs(o), { runner }, MOUNT_TIMEOUT_MS);
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

export interface MountEntry {
  target: string;
  fstype: string;
  source: string;
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (sep < 0 || fields.length < sep + 3) continue;
    out.push({ target: unescape(fields[4] ?? ''), fstype: fields[sep + 1] ?? '', source: unescape(fields[sep + 2] ?? '') });
  }
  return out;
}

/** The topmost mount on exactly this path, if any. */
export async function mountAt(path: string): Promise<MountEntry | undefined> {
  const all = parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  return all.filter((m) => m.target === path).pop();
}

/** Mount points strictly below dir, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const all = parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return [...new Set(all.map((m) => m.target).filter((t) => t.startsWith(prefix)))].sort((a, b) => b.length - a.length);
}

/** Unmounts everything stacked on path (lazily: a reader that still holds it keeps its view until it lets go). */
export async function unmountAll(runner: Runner, path: string): Promise<void> {
  for (let i = 0; i < 16 && (await mountAt(path)); i++) await runner.run('umount', ['-l', path]);
}
