// YAML in (edit commands, stdin): decoded into a Go struct shape the way yaml.v2 does, then sent as Go would marshal it.
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { zeroTime, type Shape } from './gotypes.js';

const yaml11True = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const yaml11False = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);

function kind(n: unknown): string {
  if (isMap(n)) return '!!map';
  if (isSeq(n)) return '!!seq';
  return '!!str';
}

/** A scalar's text as a Go string field receives it: plain scalars keep their source spelling ("1.0", "yes"). */
function scalarText(n: unknown, what: string): string | null {
  if (n === null || n === undefined) return null;
  if (!isScalar(n)) throw new Error(`yaml: cannot unmarshal ${kind(n)} into ${what}`);
  if (n.value === null) return null;
  if (n.type === 'PLAIN' && typeof n.source === 'string') return n.source;
  return String(n.value);
}

function decodeBool(n: unknown): boolean {
  const s = scalarText(n, 'bool');
  if (s === null) return false;
  if (yaml11True.has(s)) return true;
  if (yaml11False.has(s)) return false;
  throw new Error(`yaml: cannot unmarshal !!str \`${s}\` into bool`);
}

function decodeInt(n: unknown): number {
  const s = scalarText(n, 'int');
  if (s === null) return 0;
  const v = Number(s.replace(/_/g, ''));
  if (!Number.isInteger(v)) throw new Error(`yaml: cannot unmarshal !!str \`${s}\` into int64`);
  return v;
}

/** An interface{} value: YAML 1.1 typing, maps and lists recursively. */
function decodeAny(n: unknown): unknown {
  if (n === null || n === undefined) return null;
  if (isMap(n)) return Object.fromEntries(n.items.map((p) => [String(scalarText(p.key, 'string') ?? ''), decodeAny(p.value)]));
  if (isSeq(n)) return n.items.map(decodeAny);
  return isScalar(n) ? n.value : null;
}

function decode(shape: Shape, n: unknown): unknown {
  if (shape === 'string') return scalarText(n, 'string') ?? '';
  if (shape === 'bool') return decodeBool(n);
  if (shape === 'int') return decodeInt(n);
  if (shape === 'time') return scalarText(n, 'time.Time') || zeroTime;
  if (shape === 'any') return decodeAny(n);
  if ('list' in shape) {
    if (n === null || n === undefined || (isScalar(n) && n.value === null)) return null;
    if (!isSeq(n)) throw new Error(`yaml: cannot unmarshal ${kind(n)} into a list`);
    return n.items.map((i) => decode(shape.list, i));
  }
  if ('map' in shape) {
    if (n === null || n === undefined || (isScalar(n) && n.value === null)) return null;
    if (!isMap(n)) throw new Error(`yaml: cannot unmarshal ${kind(n)} into a map`);
    return Object.fromEntries(n.items.map((p) => [scalarText(p.key, 'string') ?? '', decode(shape.map, p.value)]));
  }
  if ('ptr' in shape) return n === null || n === undefined || (isScalar(n) && n.value === null) ? null : decode(shape.ptr, n);
  const byKey = new Map<string, unknown>();
  if (isMap(n)) for (const p of n.items) byKey.set(scalarText(p.key, 'string') ?? '', p.value);
  else if (n !== null && n !== undefined && !(isScalar(n) && n.value === null)) throw new Error(`yaml: cannot unmarshal ${kind(n)} into an object`);
  return Object.fromEntries(shape.fields.map((f) => [f.json, decode(f.shape, byKey.get(f.yaml ?? f.json))]));
}

/** Parses YAML text into the JSON body lxc would send for `shape` (every field present, Go zero values). */
export function decodeYaml(shape: Shape, text: string): unknown {
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: false });
  const err = doc.errors[0];
  if (err) throw new Error(`yaml: ${(err.message.split('\n')[0] ?? err.message).replace(/:$/, '')}`);
  return decode(shape, doc.contents as Node | null);
}
