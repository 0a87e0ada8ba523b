// Go-typed view of API JSON: lxc decodes into Go structs and re-encodes, so field order, zero values and omissions follow the struct.
export type Shape = 'string' | 'bool' | 'int' | 'time' | 'any' | ListShape | MapShape | PtrShape | StructShape;

export interface ListShape {
  list: Shape;
}
export interface MapShape {
  map: Shape;
}
export interface PtrShape {
  ptr: Shape;
}
export interface StructShape {
  fields: Field[];
}

export interface Field {
  /** JSON key (Go `json:` tag, or the field name when untagged). */
  json: string;
  /** YAML key; yaml.v2 lowercases untagged field names. Defaults to `json`. */
  yaml?: string;
  shape: Shape;
  omitempty?: boolean;
  /** omitempty on the YAML tag only (an untagged JSON field beside a tagged YAML one). */
  yamlOmitempty?: boolean;
  /** `yaml:"-"`: left out of YAML. */
  noYaml?: boolean;
}

/** A decoded Go value, ready for the JSON or YAML encoder. */
export type GoNode =
  | { t: 'struct'; fields: GoField[] }
  | { t: 'map'; entries: [string, GoNode][]; nil: boolean }
  | { t: 'list'; items: GoNode[]; nil: boolean }
  | { t: 'str'; v: string }
  | { t: 'int'; v: number }
  | { t: 'float'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'time'; v: string }
  | { t: 'null' };

export interface GoField {
  json: string;
  yaml: string;
  node: GoNode;
  omitJson: boolean;
  omitYaml: boolean;
}

export const zeroTime = '0001-01-01T00:00:00Z';

export function struct(...fields: Field[]): StructShape {
  return { fields };
}

export function field(json: string, shape: Shape, opts: { yaml?: string; omitempty?: boolean; yamlOmitempty?: boolean; noYaml?: boolean } = {}): Field {
  return { json, shape, ...opts };
}

/** Shorthand for a run of fields sharing one shape. */
export function fields(shape: Shape, ...names: string[]): Field[] {
  return names.map((n) => field(n, shape));
}

export const listOf = (s: Shape): ListShape => ({ list: s });
export const mapOf = (s: Shape): MapShape => ({ map: s });
export const ptrTo = (s: Shape): PtrShape => ({ ptr: s });

type Json = unknown;

function isRecord(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decodes JSON into the Go value lxc would hold for `shape`. */
export function toGo(shape: Shape, raw: Json): GoNode {
  if (shape === 'string') return { t: 'str', v: typeof raw === 'string' ? raw : raw == null ? '' : String(raw) };
  if (shape === 'bool') return { t: 'bool', v: raw === true };
  if (shape === 'int') return { t: 'int', v: typeof raw === 'number' ? Math.trunc(raw) : Number(raw ?? 0) || 0 };
  if (shape === 'time') return { t: 'time', v: goTime(typeof raw === 'string' ? raw : '') };
  if (shape === 'any') return anyToGo(raw);
  if ('list' in shape) {
    if (!Array.isArray(raw)) return { t: 'list', items: [], nil: true };
    return { t: 'list', items: raw.map((x) => toGo(shape.list, x)), nil: false };
  }
  if ('map' in shape) {
    if (!isRecord(raw)) return { t: 'map', entries: [], nil: true };
    return { t: 'map', entries: Object.entries(raw).map(([k, v]) => [k, toGo(shape.map, v)]), nil: false };
  }
  if ('ptr' in shape) return raw == null ? { t: 'null' } : toGo(shape.ptr, raw);
  const obj = isRecord(raw) ? raw : {};
  return {
    t: 'struct',
    fields: shape.fields.map((f) => {
      const node = toGo(f.shape, obj[f.json]);
      const omit = f.omitempty === true;
      const omitYaml = f.noYaml === true || ((omit || f.yamlOmitempty === true) && isZeroYaml(node));
      return { json: f.json, yaml: f.yaml ?? f.json, node, omitJson: omit && isEmptyJson(node), omitYaml };
    }),
  };
}

/** An interface{} value: JSON numbers become float64, objects map[string]interface{}. */
export function anyToGo(raw: Json): GoNode {
  if (raw === null || raw === undefined) return { t: 'null' };
  if (typeof raw === 'string') return { t: 'str', v: raw };
  if (typeof raw === 'number') return { t: 'float', v: raw };
  if (typeof raw === 'boolean') return { t: 'bool', v: raw };
  if (Array.isArray(raw)) return { t: 'list', items: raw.map(anyToGo), nil: false };
  if (isRecord(raw)) return { t: 'map', entries: Object.entries(raw).map(([k, v]) => [k, anyToGo(v)]), nil: false };
  return { t: 'str', v: String(raw) };
}

/** encoding/json omitempty: false, 0, "", nil, empty slice or map (structs are never empty). */
function isEmptyJson(n: GoNode): boolean {
  switch (n.t) {
    case 'str':
      return n.v === '';
    case 'int':
    case 'float':
      return n.v === 0;
    case 'bool':
      return !n.v;
    case 'null':
      return true;
    case 'list':
      return n.items.length === 0;
    case 'map':
      return n.entries.length === 0;
    default:
      return false;
  }
}

/** yaml.v2 omitempty: as JSON, plus structs whose fields are all zero and zero times. */
function isZeroYaml(n: GoNode): boolean {
  if (n.t === 'struct') return n.fields.every((f) => isZeroYaml(f.node));
  if (n.t === 'time') return n.v === zeroTime;
  return isEmptyJson(n);
}

const rfc3339 = /^(\d{4}-\d\d-\d\d)[Tt](\d\d:\d\d:\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)$/;

/** Formats a wire timestamp as Go's time.Time prints it (RFC 3339, trailing zeros of the fraction dropped). */
export function goTime(s: string): string {
  const m = rfc3339.exec(s);
  if (!m) return zeroTime;
  const frac = (m[3] ?? '').slice(0, 9).replace(/0+$/, '');
  const zone = m[4] === 'z' || m[4] === 'Z' || m[4] === '+00:00' ? 'Z' : (m[4] ?? 'Z');
  return `${m[1]}T${m[2]}${frac ? `.${frac}` : ''}${zone}`;
}
