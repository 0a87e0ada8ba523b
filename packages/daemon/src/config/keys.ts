// Config key tables: one rule per key (plus prefix patterns) drives validation, defaults and help.
import { ApiError } from '@lodge/api';
import type { Validator } from './validators.js';

export interface KeyRule {
  validate: Validator;
  default?: string;
  doc: string;
  /** Applied to a running instance (or live server) without a restart. */
  live?: boolean;
  /** Set when lodge knows the key but cannot honour it; setting it is refused with this reason. */
  unsupported?: string;
}

export interface PatternRule {
  /** Key prefix such as "user."; `suffixes` narrows it to keys ending in one of them. */
  prefix: string;
  suffixes?: string[];
  validate: Validator;
  doc: string;
  live?: boolean;
}

export interface KeySchema {
  /** What the config belongs to, for error messages ("server", "instance", "project"). */
  subject: string;
  keys: Record<string, KeyRule>;
  patterns: PatternRule[];
}

export function findRule(schema: KeySchema, key: string): KeyRule | PatternRule | undefined {
  const rule = schema.keys[key];
  if (rule) return rule;
  return schema.patterns.find(
    (p) =>
      key.startsWith(p.prefix) &&
      key.length > p.prefix.length &&
      (!p.suffixes || p.suffixes.some((s) => key.endsWith(s))),
  );
}

/** Validates every key and value; throws a 400 that names the offending key. */
export function validateConfig(schema: KeySchema, config: Record<string, unknown> | null | undefined): void {
  if (!config) return;
  for (const [key, value] of Object.entries(config)) {
    if (typeof value !== 'string') {
      throw ApiError.badRequest(`Invalid value for ${schema.subject} config key "${key}": must be a string`);
    }
    const rule = findRule(schema, key);
    if (!rule) throw ApiError.badRequest(`Unknown ${schema.subject} configuration key: ${key}`);
    if ('unsupported' in rule && rule.unsupported) {
      throw ApiError.badRequest(`${schema.subject} configuration key "${key}" is not supported: ${rule.unsupported}`);
    }
    try {
      rule.validate(value);
    } catch (e) {
      throw ApiError.badRequest(`Invalid value for ${schema.subject} config key "${key}": ${(e as Error).message}`);
    }
  }
}

/** The value of a key, falling back to its documented default. */
export function configValue(schema: KeySchema, config: Record<string, string>, key: string): string {
  return config[key] ?? schema.keys[key]?.default ?? '';
}

/** Drops empty values: setting a key to "" unsets it, as in LXD. */
export function withoutEmpty(config: Record<string, string> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config ?? {})) if (v !== '') out[k] = v;
  return out;
}
