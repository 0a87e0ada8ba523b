// The requests lodge and lxc print with --debug, for comparing what the two clients send.
import assert from 'node:assert/strict';

interface Request {
  method: string;
  path: string;
  body?: unknown;
}

/** The requests that change something (not GET), from lodge's or lxc's --debug output, hosts dropped. */
export function changes(debug: string): Request[] {
  const lines = debug.split('\n');
  const out: Request[] = [];
  lines.forEach((line, i) => {
    const m = /method=(POST|PUT|DELETE|PATCH) url="?([^"\s]+)"?/.exec(line);
    if (!m) return;
    const path = (m[2] ?? '').replace(/^https?:\/\/[^/]+/, '');
    const next = lines[i + 1] ?? '';
    const quoted = /msg="((?:[^"\\]|\\.)*)"$/.exec(next);
    const text = quoted ? (JSON.parse(`"${quoted[1]}"`) as string) : next.replace(/^DEBUG +\[[^\]]+\] /, '');
    let body: unknown;
    try {
      body = text.trim().startsWith('{') ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    // Uploads (a raw body) are logged by lodge only; lxc sends them outside its request log.
    if (m[1] === 'POST' && path.startsWith('/1.0/images') && !path.includes('/1.0/images/') && body === undefined && !next.includes('{')) return;
    out.push({ method: m[1] ?? '', path: path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>'), body });
  });
  return out;
}

/** Secrets, operation ids and the new instance's name (if any) vary between two runs: replaced by placeholders. */
function normalise(v: unknown, name: string): unknown {
  if (Array.isArray(v)) return v.map((x) => normalise(x, name));
  if (typeof v === 'string') return name !== '' && v === name ? '<name>' : v.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>');
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'secrets' && x && typeof x === 'object') out[k] = Object.fromEntries(Object.keys(x).map((s) => [s, '<secret>']));
    else if (k === 'secret' && typeof x === 'string' && x !== '') out[k] = '<secret>';
    else out[k] = normalise(x, name);
  }
  return out;
}

export function sameRequests(mine: string, theirs: string, names: [string, string], what: string): void {
  const a = changes(mine).map((r) => normalise(r, names[0]));
  const b = changes(theirs).map((r) => normalise(r, names[1]));
  assert.ok(a.length > 0, `${what}: no requests in\n${mine}`);
  assert.deepEqual(a, b, what);
}

