// Request body shapes: the JSON types LXD's Go structs would accept; anything else is a 400 naming the field.
import { ApiError } from '@lodge/api';

export type Kind = 'string' | 'bool' | 'int' | 'number' | 'stringMap' | 'stringList' | 'devices' | 'any';
export type Shape = { [field: string]: Kind | Shape };

const kindName: Record<Kind, string> = {
  string: 'a string',
  bool: 'a boolean',
  int: 'an integer',
  number: 'a number',
  stringMap: 'a map of strings',
  stringList: 'a list of strings',
  devices: 'a map of device maps',
  any: 'a value',
};

function isStringMap(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

function fits(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'stringMap':
      return isStringMap(v);
    case 'stringList':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'devices':
      return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((d) => d === null || isStringMap(d));
    case 'any':
      return true;
  }
}

/** Checks a decoded body against a shape; null is accepted anywhere (Go decodes it as the zero value). */
export function checkShape(value: unknown, shape: Shape, path = ''): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'object' || Array.isArray(value)) throw ApiError.badRequest(`Invalid request: ${path || 'body'} must be a JSON object`);
  for (const [field, spec] of Object.entries(shape)) {
    const v = (value as Record<string, unknown>)[field];
    if (v === null || v === undefined) continue;
    const where = path ? `${path}.${field}` : field;
    if (typeof spec === 'string') {
      if (!fits(spec, v)) throw ApiError.badRequest(`Invalid request: "${where}" must be ${kindName[spec]}`);
    } else checkShape(v, spec, where);
  }
}
