// Snapshot expiry expressions ("1d 2H", units M H d w m y) and snapshot name patterns ("snap%d").
import { ApiError } from '@lodge/api';

/** The time an expression like "2w 3d" points to after `from`; undefined for an empty expression. */
export function expiryFrom(from: Date, expr: string): Date | undefined {
  const parts = expr.trim().split(/\s+/).filter((p) => p !== '');
  if (parts.length === 0) return undefined;
  const d = new Date(from.getTime());
  for (const p of parts) {
    const m = /^(\d+)([MHdwmy])$/.exec(p);
    if (!m) throw ApiError.badRequest(`Invalid expiry expression "${expr}"`);
    const n = Number(m[1]);
    switch (m[2]) {
      case 'M':
        d.setUTCMinutes(d.getUTCMinutes() + n);
        break;
      case 'H':
        d.setUTCHours(d.getUTCHours() + n);
        break;
      case 'd':
        d.setUTCDate(d.getUTCDate() + n);
        break;
      case 'w':
        d.setUTCDate(d.getUTCDate() + 7 * n);
        break;
      case 'm':
        d.setUTCMonth(d.getUTCMonth() + n);
        break;
      case 'y':
        d.setUTCFullYear(d.getUTCFullYear() + n);
        break;
    }
  }
  return d;
}

/**
 * The next free snapshot name for a pattern: "%d" takes the lowest unused number (LXD: snap0, snap1...);
 * a pattern without "%d" gets "-N" appended when the plain name is taken.
 */
export function nextSnapshotName(pattern: string, existing: Iterable<string>, now: Date): string {
  const taken = new Set(existing);
  const base = pattern.replace(/\{\{\s*creation_date\s*(?:\|\s*date:\s*["']([^"']*)["']\s*)?\}\}/g, (_m, fmt: string | undefined) => goDate(now, fmt ?? '2006-01-02T15:04:05Z07:00'));
  if (base.includes('%d')) {
    for (let i = 0; ; i++) {
      const name = base.replace('%d', String(i));
      if (!taken.has(name)) return name;
    }
  }
  if (!taken.has(base)) return base;
  for (let i = 1; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

/** The Go reference-date layout subset used in snapshot patterns, replaced in one pass. */
function goDate(d: Date, layout: string): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const tokens: Record<string, string> = {
    '2006': String(d.getUTCFullYear()),
    '01': p(d.getUTCMonth() + 1),
    '02': p(d.getUTCDate()),
    '15': p(d.getUTCHours()),
    '04': p(d.getUTCMinutes()),
    '05': p(d.getUTCSeconds()),
    'Z07:00': 'Z',
  };
  return layout.replace(/2006|Z07:00|01|02|15|04|05/g, (t) => tokens[t] ?? t);
}
