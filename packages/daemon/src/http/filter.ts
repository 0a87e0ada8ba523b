// LXD's ?filter= language: "field eq value and not other ne x"; values match case-insensitive regexps.
import { ApiError } from '@lodge/api';

export interface Clause {
  prevLogical: 'and' | 'or';
  not: boolean;
  field: string;
  operator: 'eq' | 'ne';
  value: string;
}

export function parseFilter(s: string): Clause[] {
  const parts = s.split(/\s+/).filter((p) => p !== '');
  const clauses: Clause[] = [];
  let i = 0;
  let prevLogical: 'and' | 'or' = 'and';
  const need = (what: string): string => {
    const p = parts[i];
    if (p === undefined) throw ApiError.badRequest(`Invalid filter: ${what}`);
    return p;
  };
  while (i < parts.length) {
    let not = false;
    if (parts[i]?.toLowerCase() === 'not') {
      not = true;
      i++;
    }
    const field = need('incomplete not clause');
    i++;
    const operator = need('clause has no operator');
    if (operator !== 'eq' && operator !== 'ne') throw ApiError.badRequest(`Invalid filter: unknown operator "${operator}"`);
    i++;
    let value = need('clause has no value');
    if (value.startsWith('"')) {
      value = value.slice(1);
      while (!value.endsWith('"')) {
        i++;
        value += ` ${need('unterminated quote')}`;
      }
      value = value.slice(0, -1);
    }
    i++;
    clauses.push({ prevLogical, not, field, operator, value });
    if (i < parts.length) {
      const logical = parts[i];
      if (logical !== 'and' && logical !== 'or') throw ApiError.badRequest('Invalid filter: invalid clause composition');
      prevLogical = logical;
      i++;
      if (i === parts.length) throw ApiError.badRequest('Invalid filter: unterminated compound clause');
    }
  }
  return clauses;
}

function valueOf(obj: unknown, field: string): unknown {
  let cur: unknown = obj;
  const parts = field.split('.');
  for (let i = 0; i < parts.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const rec = cur as Record<string, unknown>;
    const key = parts[i] ?? '';
    // String maps (config, properties) take the whole rest as one key: "config.user.foo".
    const rest = parts.slice(i).join('.');
    if (i > 0 && rest in rec && typeof rec[rest] === 'string') return rec[rest];
    cur = rec[key];
  }
  return cur;
}

function clauseMatches(obj: unknown, c: Clause): boolean {
  const v = valueOf(obj, c.field);
  let m: boolean;
  if (typeof v === 'string') {
    const pattern = c.value.includes('^') || c.value.includes('$') ? c.value : `^${c.value}$`;
    try {
      m = new RegExp(pattern, 'i').test(v);
    } catch {
      m = v.toLowerCase() === c.value.toLowerCase();
    }
  } else m = v !== undefined && v !== null && String(v) === c.value;
  if (c.operator === 'ne') m = !m;
  return c.not ? !m : m;
}

export function matchFilter(obj: unknown, clauses: Clause[]): boolean {
  let match = true;
  for (const c of clauses) {
    const m = clauseMatches(obj, c);
    match = c.prevLogical === 'and' ? match && m : match || m;
  }
  return match;
}

/** Applies ?filter= (if any) to a list. */
export function applyFilter<T>(items: T[], filter: string | null): T[] {
  if (!filter || filter.trim() === '') return items;
  const clauses = parseFilter(filter);
  return items.filter((i) => matchFilter(i, clauses));
}
