// Pure rules of `lodge file`: `[remote:]instance/path` targets, Go's path cleaning, --mode parsing, recursive mkdir steps.
import { posix } from 'node:path';

/** Go's path.Clean: no trailing slash (except "/"), "." for empty. */
export function goClean(p: string): string {
  if (p === '') return '.';
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Splits `[remote:]instance/path` at the first slash; undefined when there is none. */
export function splitInstancePath(arg: string): { instance: string; path: string } | undefined {
  const slash = arg.indexOf('/');
  if (slash < 0) return undefined;
  return { instance: arg.slice(0, slash), path: arg.slice(slash + 1) };
}

/** The push target: instance, absolute cleaned path, and whether it names a directory (trailing slash). */
export function pushTarget(target: string): { instance: string; path: string; isDir: boolean } {
  const spec = splitInstancePath(target);
  if (!spec) throw new Error(`Invalid target ${target}`);
  const path = goClean(`/${spec.path}`);
  return { instance: spec.instance, path, isDir: target.endsWith('/') || path.endsWith('/') };
}

/**
 * --mode as lxc reads it: three digits get a leading 0, then Go's ParseInt with base 0
 * ("0644" octal, "0x1a4" hex, "420" decimal when four digits without 0 are given).
 */
export function parseMode(flag: string): number {
  const s = flag.length === 3 ? `0${flag}` : flag;
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]*|0[bB][01_]+|[1-9][0-9_]*)$/.exec(s);
  if (!m) throw new Error(`strconv.ParseInt: parsing "${s}": invalid syntax`);
  const body = (m[2] ?? '').replace(/_/g, '');
  let v: number;
  if (/^0[xX]/.test(body)) v = Number.parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) v = Number.parseInt(body.slice(2), 2);
  else if (/^0[oO]/.test(body)) v = Number.parseInt(body.slice(2), 8);
  else if (body.startsWith('0')) v = body.length === 1 ? 0 : Number.parseInt(body.slice(1), 8);
  else v = Number.parseInt(body, 10);
  return m[1] === '-' ? -v : v;
}

/** The prefixes recursiveMkdir probes, longest first (relative, as lxc asks for them). */
export function mkdirProbes(p: string): string[] {
  const parts = goClean(p).split('/');
  const out: string[] = [];
  for (let i = parts.length; i >= 1; i--) out.push(parts.slice(0, i).filter((x) => x !== '').join('/'));
  return out;
}

/** The directories to create once the deepest existing one (`existing` parts deep, 0 if none) is known. */
export function mkdirSteps(p: string, existing: number): string[] {
  const parts = goClean(p).split('/');
  const out: string[] = [];
  for (let i = existing; i <= parts.length; i++) {
    const cur = parts.slice(0, i).filter((x) => x !== '').join('/');
    if (cur !== '') out.push(`/${cur}`);
  }
  return out;
}

/** Where a pulled file goes: inside the target when it is a directory. */
export function pullTargetPath(target: string, targetIsDir: boolean, remotePath: string): string {
  return targetIsDir ? posix.join(target, posix.basename(remotePath)) : target;
}

/** A symlink target read back for `-` or `-r` pulls: relative targets resolve against the link's directory. */
export function followLink(linkPath: string, linkTarget: string): string {
  const t = linkTarget.replace(/\n$/, '');
  return t.startsWith('/') ? t : goClean(posix.join(posix.dirname(linkPath), t));
}
