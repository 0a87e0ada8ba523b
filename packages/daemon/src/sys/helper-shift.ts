// lodge-helper shift: (un)shifts the owners, ACLs and file capabilities of a container tree received with host-shifted ids.
import type { IdmapEntry } from './idmap.js';
import { checkString, FileError, runHelper, type HelperOptions } from './helper.js';

/** Ids range over 0 .. 2^32 - 2: 2^32 - 1 is chown's "unchanged". */
const MAX_ID = 0xfffffffe;

export interface ShiftOptions {
  /** Container ids to host ids (LXD's shift); the default maps host ids to container ids (unshift). */
  reverse?: boolean;
}

export interface ShiftResult {
  /** Directory entries walked (the root included; every name of a hard-linked file counts). */
  entries: number;
  /** Inodes whose owner, ACL or capabilities changed. */
  changed: number;
}

/**
 * The argv of `shift`: one --map per entry, `b` for an entry that maps both uids and gids. Each
 * range must fit below 2^32 - 1 on both sides; overlapping ranges are refused by the helper.
 */
export function shiftArgs(root: string, maps: readonly IdmapEntry[], opts: ShiftOptions = {}): string[] {
  checkString('root', root);
  if (!root.startsWith('/')) throw new RangeError(`root must be an absolute path: ${root}`);
  if (root.split('/').includes('..')) throw new RangeError(`root may not contain "..": ${root}`);
  if (maps.length === 0) throw new RangeError('no id map');
  const args = ['shift', '--root', root];
  if (opts.reverse) args.push('--reverse');
  return [...args, ...mapFlags(maps)];
}

/** One `--map u|g|b:HOSTID:NSID:RANGE` per entry (`b` for an entry that maps both uids and gids), checked. */
export function mapFlags(maps: readonly IdmapEntry[]): string[] {
  const args: string[] = [];
  for (const e of maps) {
    const int = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
    if (!int(e.Hostid) || !int(e.Nsid) || !int(e.Maprange) || e.Maprange < 1 || e.Hostid + e.Maprange - 1 > MAX_ID || e.Nsid + e.Maprange - 1 > MAX_ID) {
      throw new RangeError(`invalid id map entry: ${JSON.stringify(e)}`);
    }
    if (!e.Isuid && !e.Isgid) throw new RangeError(`id map entry for neither uids nor gids: ${JSON.stringify(e)}`);
    const kind = e.Isuid && e.Isgid ? 'b' : e.Isuid ? 'u' : 'g';
    args.push('--map', `${kind}:${e.Hostid}:${e.Nsid}:${e.Maprange}`);
  }
  return args;
}

/** Parses shift's one-line summary. */
export function parseShiftResult(stdout: string): ShiftResult {
  let v: unknown;
  try {
    v = JSON.parse(stdout.trim().split('\n').pop() ?? '');
  } catch {
    throw new FileError(`lodge-helper shift: not JSON: ${stdout.slice(0, 200)}`, 0);
  }
  const r = v as Partial<ShiftResult> | null;
  if (!r || typeof r.entries !== 'number' || typeof r.changed !== 'number') throw new FileError(`lodge-helper shift: unexpected output ${stdout.slice(0, 200)}`, 0);
  return { entries: r.entries, changed: r.changed };
}

/**
 * Maps the owners of every file under root in place (LXD's UnshiftRootfs; ShiftRootfs with
 * reverse): ids in a map's host range become container ids, others stay. Setuid/setgid bits,
 * POSIX ACLs (their user/group ids mapped) and file capabilities (v3 rootid mapped) are kept.
 * Never follows a symlink nor crosses a mount point; hard links are shifted once. Stops at the
 * first error (a FileError naming the path), leaving the tree partly shifted.
 */
export async function shiftTree(root: string, maps: readonly IdmapEntry[], opts: ShiftOptions = {}, h: HelperOptions = {}): Promise<ShiftResult> {
  return parseShiftResult(await runHelper(shiftArgs(root, maps, opts), h));
}
