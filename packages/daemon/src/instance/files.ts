// File access inside an instance: the helper's target (running: init pid; stopped: rootfs) and LXD's header rules.
import { ApiError } from '@lodge/api';
import { FileError } from '../sys/helper.js';
import type { FileTarget } from '../sys/helper-files.js';
import type { InstanceContext } from './context.js';
import { runtimeState } from './runtime.js';
import type { InstanceView } from './view.js';

export async function fileTarget(ctx: InstanceContext, view: InstanceView): Promise<FileTarget> {
  // The pid is read right before each call so a restarted container is never confused with its old init.
  const rt = await runtimeState(ctx, view);
  if (rt.status !== 'Stopped' && rt.pid > 1) return { pid: rt.pid };
  return { root: `${await ctx.pools.mountPath(view.rec.pool, 'containers', view.names.volume)}/rootfs` };
}

/** LXD's file mode parsing: base auto-detected (a leading 0 means octal, "644" is decimal). */
export function parseMode(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(v)) n = Number.parseInt(v.slice(2), 16);
  else if (/^0[oO]?[0-7]+$/.test(v)) n = Number.parseInt(v.replace(/^0[oO]?/, '') || '0', 8);
  else if (/^\d+$/.test(v)) n = Number.parseInt(v, 10);
  else throw ApiError.badRequest(`Invalid mode "${v}"`);
  return n & 0o7777;
}

export function parseId(v: string | undefined, what: string): number | undefined {
  if (v === undefined || v === '' || v === '-1') return undefined;
  if (!/^\d+$/.test(v)) throw ApiError.badRequest(`Invalid ${what} "${v}"`);
  return Number(v);
}

/** Paths are absolute inside the instance; LXD adds the leading slash when missing. */
export function instancePath(path: string | null): string {
  if (!path) throw ApiError.badRequest('Missing path argument');
  return path.startsWith('/') ? path : `/${path}`;
}

export function fileErrorToApi(e: unknown): unknown {
  if (e instanceof FileError) {
    const status = e.status;
    return new ApiError(status, status === 404 ? 'Not Found' : status === 403 ? 'Forbidden' : e.message);
  }
  return e;
}

/** "2026-11-21 14:37:37 +0000 UTC", as Go prints times in X-LXD-modified. */
export function goTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
}
