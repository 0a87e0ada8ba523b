// Cron schedules for snapshots.schedule: five fields (lists, ranges, steps, names) and LXD's @-aliases.
const aliases: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@annually': '0 0 1 1 *',
  '@yearly': '0 0 1 1 *',
};

const monthNames = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const dayNames = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface Field {
  min: number;
  max: number;
  names?: string[];
  nameBase?: number;
}

const fields: Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: monthNames, nameBase: 1 },
  { min: 0, max: 7, names: dayNames, nameBase: 0 },
];

function value(s: string, f: Field): number {
  const idx = f.names?.indexOf(s.toLowerCase()) ?? -1;
  const n = idx >= 0 ? idx + (f.nameBase ?? 0) : Number(s);
  if (!Number.isInteger(n) || n < f.min || n > f.max) throw new Error(`Invalid cron value "${s}"`);
  return n;
}

function parseField(spec: string, f: Field): Set<number> {
  const out = new Set<number>();
  for (const part of spec.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`Invalid cron step "${part}"`);
    let lo = f.min;
    let hi = f.max;
    if (range !== '*') {
      const [a, b] = range.split('-') as [string, string | undefined];
      lo = value(a, f);
      hi = b === undefined ? (stepText === undefined ? lo : f.max) : value(b, f);
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

export interface Schedule {
  matches(d: Date): boolean;
  /** @startup: taken when the daemon starts. */
  startup: boolean;
}

/** Parses "m h dom mon dow", "@hourly", "@startup", "@never", or a comma-separated list of them. */
export function parseSchedule(spec: string): Schedule {
  const parts = spec.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const matchers: ((d: Date) => boolean)[] = [];
  let startup = false;
  // A comma list of whole specs only exists with aliases ("@daily, @startup"); five-field specs keep their commas.
  const specs = parts.every((p) => p.startsWith('@')) ? parts : [spec.trim()];
  for (const s of specs) {
    if (s === '@startup') startup = true;
    else if (s === '@never' || s === '') continue;
    else matchers.push(cronMatcher(aliases[s] ?? s));
  }
  return { startup, matches: (d) => matchers.some((m) => m(d)) };
}

function cronMatcher(expr: string): (d: Date) => boolean {
  const f = expr.trim().split(/\s+/);
  if (f.length !== 5) throw new Error(`Invalid cron expression "${expr}"`);
  const [mi, h, dom, mon, dow] = f.map((x, i) => parseField(x, fields[i]!)) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  const domAny = f[2] === '*';
  const dowAny = f[4] === '*';
  return (d) => {
    if (!mi.has(d.getMinutes()) || !h.has(d.getHours()) || !mon.has(d.getMonth() + 1)) return false;
    const dayOk = dom.has(d.getDate());
    const wdOk = dow.has(d.getDay()) || (d.getDay() === 0 && dow.has(7));
    // Cron's rule: when both day fields are restricted, either may match.
    if (domAny || dowAny) return (domAny || dayOk) && (dowAny || wdOk);
    return dayOk || wdOk;
  };
}
