// Group lookup for the socket's --group flag.
import { execFileSync } from 'node:child_process';

export function groupId(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const out = execFileSync('getent', ['group', name]).toString().split(':');
  const gid = Number(out[2]);
  if (!Number.isInteger(gid)) throw new Error(`Unknown group "${name}"`);
  return gid;
}
