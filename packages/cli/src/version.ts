// The client's version (from its package.json) and the User-Agent it sends.
import { readFileSync } from 'node:fs';
import { arch, release } from 'node:os';

let cached: string | undefined;

export function clientVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
      cached = pkg.version ?? 'unknown';
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}

export function userAgent(): string {
  return `lodge ${clientVersion()} (Linux; ${arch()}; ${release()})`;
}
