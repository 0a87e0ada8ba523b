// Number, size and date formatting as lxc prints them (Go's %.Nf rounding, LXD's byte units, Go time layouts).

/** fmt.Sprintf("%.*f"): exact decimal rounding with ties to even (JS toFixed rounds ties up). */
export function goFixed(x: number, precision: number): string {
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
  const exact = Math.abs(x).toFixed(Math.min(100, precision + 60));
  const [int = '0', frac = ''] = exact.split('.');
  const kept = frac.slice(0, precision);
  const rest = frac.slice(precision);
  let digits = BigInt(int + kept);
  const first = rest[0] ?? '0';
  const tie = first === '5' && /^0*$/.test(rest.slice(1));
  if (first > '5' || (first === '5' && !tie) || (tie && digits % 2n === 1n)) digits += 1n;
  let s = digits.toString().padStart(precision + 1, '0');
  if (precision > 0) s = `${s.slice(0, -precision)}.${s.slice(-precision)}`;
  return x < 0 || Object.is(x, -0) ? `-${s}` : s;
}

function scaled(n: number, base: number, units: string[], precision: number): string {
  if (n < base) return `${n}B`;
  let v = n;
  for (const unit of units) {
    v /= base;
    if (v < base) return `${goFixed(v, precision)}${unit}`;
  }
  return `${goFixed(v, precision)}EB`;
}

/** units.GetByteSizeString: SI units (kB, MB...). */
export function byteSize(n: number, precision = 2): string {
  return scaled(n, 1000, ['kB', 'MB', 'GB', 'TB', 'PB', 'EB'], precision);
}

/** units.GetByteSizeStringIEC: binary units (KiB, MiB...). */
export function byteSizeIEC(n: number, precision = 2): string {
  return scaled(n, 1024, ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'], precision);
}

/** lxc's image size column: MiB labelled "MB", two decimals. */
export function imageSize(bytes: number): string {
  return `${goFixed(bytes / 1024 / 1024, 2)}MB`;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function utc(s: string): Date {
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? new Date(Date.UTC(1, 0, 1)) : d;
}

/** Go layout "Jan 2, 2006 at 3:04pm (MST)" in UTC. */
export function longDate(s: string): string {
  const d = utc(s);
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${months[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()} at ${h12}:${mm}${h < 12 ? 'am' : 'pm'} (UTC)`;
}

/** Go layout "2006/01/02 15:04 UTC". */
export function shortDate(s: string): string {
  const d = utc(s);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${String(d.getUTCFullYear()).padStart(4, '0')}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} UTC`;
}
