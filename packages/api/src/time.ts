// Time formats on the wire: RFC 3339 with nanoseconds, and LXD's two "unset" spellings.
export const epochTime = '1970-01-01T00:00:00Z';
export const zeroTime = '0001-01-01T00:00:00Z';

/** RFC 3339 in UTC as Go prints it (fractional seconds only when non-zero). */
export function formatTime(d: Date | number): string {
  const date = typeof d === 'number' ? new Date(d) : d;
  return date.toISOString().replace(/\.000Z$/, 'Z');
}

/** True for LXD's "no time" values (zero Go time, Unix epoch, empty). */
export function isUnsetTime(s: string | null | undefined): boolean {
  if (!s) return true;
  const t = Date.parse(s);
  return Number.isNaN(t) || t <= 0;
}
