// `monitor --pretty`: events turned into log records and printed like logrus' TextFormatter (lxc's pretty format).

export interface LogRecord {
  time: string;
  level: string;
  msg: string;
  ctx: [string, unknown][];
}

export const logLevels = ['panic', 'fatal', 'error', 'warning', 'info', 'debug', 'trace'];

/** logrus.ParseLevel: the index in logLevels (lower is more severe). */
export function parseLevel(l: string): number {
  const s = l.toLowerCase();
  const i = logLevels.indexOf(s === 'warn' ? 'warning' : s === 'dbug' ? 'debug' : s);
  if (i < 0) throw new Error(`not a valid logrus Level: "${l}"`);
  return i;
}

type Json = Record<string, unknown>;
const asRecord = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});

/** api.Event.ToLogging. */
export function eventToRecord(ev: { type: string; timestamp: string; metadata: unknown }): LogRecord {
  const md = asRecord(ev.metadata);
  if (ev.type === 'logging') {
    return { time: ev.timestamp, level: String(md.level ?? ''), msg: String(md.message ?? ''), ctx: Object.entries(asRecord(md.context)) };
  }
  if (ev.type === 'lifecycle') {
    const req = asRecord(md.requestor);
    const base = `Action: ${String(md.action ?? '')}, Source: ${String(md.source ?? '')}`;
    const msg = md.requestor ? `${base}, Requestor: ${String(req.protocol ?? '')}/${String(req.username ?? '')} (${String(req.address ?? '')})` : base;
    return { time: ev.timestamp, level: 'info', msg, ctx: Object.entries(asRecord(md.context)) };
  }
  if (ev.type === 'operation') {
    const keys: [string, string][] = [
      ['CreatedAt', 'created_at'],
      ['UpdatedAt', 'updated_at'],
      ['Status', 'status'],
      ['StatusCode', 'status_code'],
      ['Resources', 'resources'],
      ['Metadata', 'metadata'],
      ['MayCancel', 'may_cancel'],
      ['Err', 'err'],
      ['Location', 'location'],
    ];
    const msg = `ID: ${String(md.id ?? '')}, Class: ${String(md.class ?? '')}, Description: ${String(md.description ?? '')}`;
    return { time: ev.timestamp, level: 'info', msg, ctx: keys.map(([k, f]) => [k, md[f]]) };
  }
  throw new Error(`Not supported event type: ${ev.type}`);
}

/** fmt's %v, close enough for log fields (maps print as map[k:v], nil as <nil>). */
export function goSprint(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(goSprint).join(' ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, x]) => `${k}:${goSprint(x)}`).join(' ')}]`;
  }
  return String(v);
}

function needsQuoting(s: string): boolean {
  return !/^[A-Za-z0-9\-._/@^+]*$/.test(s);
}

function quoteValue(s: string): string {
  return needsQuoting(s) ? JSON.stringify(s) : s;
}

/** time.RFC3339 (whole seconds) of an event timestamp. */
function rfc3339(ts: string): string {
  return ts.replace(/\.\d+(?=Z|[+-]\d\d:\d\d$)/, '');
}

const colors: Record<string, number> = { debug: 37, trace: 37, warning: 33, error: 31, fatal: 31, panic: 31, info: 36 };

/** One formatted line; `color` reproduces logrus' terminal layout. */
export function formatRecord(r: LogRecord, color: boolean): string {
  const level = logLevels[parseLevel(r.level)] ?? 'info';
  const fields = [...r.ctx].map(([k, v]) => [k, goSprint(v)] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const time = rfc3339(r.time);
  if (!color) {
    const parts = [`time=${quoteValue(time)}`, `level=${level}`, ...(r.msg ? [`msg=${quoteValue(r.msg)}`] : []), ...fields.map(([k, v]) => `${k}=${quoteValue(v)}`)];
    return `${parts.join(' ')}\n`;
  }
  const c = colors[level] ?? 36;
  const head = `\x1b[${c}m${level.toUpperCase().padEnd(7)}\x1b[0m[${time}] ${r.msg.replace(/\n$/, '').padEnd(44)} `;
  return `${head}${fields.map(([k, v]) => ` \x1b[${c}m${k}\x1b[0m=${quoteValue(v)}`).join('')}\n`;
}
