// encoding/json output for Go values: compact, struct order kept, map keys sorted, HTML characters escaped.
import type { GoNode } from './gotypes.js';

const escapes: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

export function goJsonString(s: string): string {
  return `"${s.replace(/["\\\n\r\t<>&\u2028\u2029\u0000-\u001f]/g, (c) => escapes[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/** Go sorts map keys by their UTF-8 bytes. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function goJson(n: GoNode): string {
  switch (n.t) {
    case 'str':
    case 'time':
      return goJsonString(n.v);
    case 'int':
    case 'float':
      return String(n.v);
    case 'bool':
      return n.v ? 'true' : 'false';
    case 'null':
      return 'null';
    case 'list':
      return n.nil ? 'null' : `[${n.items.map(goJson).join(',')}]`;
    case 'map': {
      if (n.nil) return 'null';
      const entries = [...n.entries].sort((a, b) => byteOrder(a[0], b[0]));
      return `{${entries.map(([k, v]) => `${goJsonString(k)}:${goJson(v)}`).join(',')}}`;
    }
    case 'struct':
      return `{${n.fields
        .filter((f) => !f.omitJson)
        .map((f) => `${goJsonString(f.json)}:${goJson(f.node)}`)
        .join(',')}}`;
  }
}
