// Name rules shared with LXD: instances follow hostname rules, other objects forbid "/" and dot names.
import { ApiError } from '@lodge/api';

/** Instance names are hostnames: 1-63 of [A-Za-z0-9-], no leading digit or hyphen, no trailing hyphen. */
export function instanceNameProblem(name: string): string | undefined {
  if (name.includes('/')) return 'The character "/" is reserved for snapshots';
  if (name.length < 1 || name.length > 63) return 'Name must be 1-63 characters long';
  if (name.startsWith('-')) return 'Name must not start with "-" character';
  if (name.endsWith('-')) return 'Name must not end with "-" character';
  if (/^\d/.test(name)) return 'Name must not start with a number';
  if (!/^[-a-zA-Z0-9]+$/.test(name)) return 'Name can only contain alphanumeric and hyphen characters';
  return undefined;
}

export function validateInstanceName(name: string | undefined): string {
  if (!name) throw ApiError.badRequest('No name provided');
  const problem = instanceNameProblem(name);
  if (problem) throw ApiError.badRequest(`Invalid instance name: ${problem}`);
  return name;
}

export function validateSnapshotName(name: string): string {
  if (!name) throw ApiError.badRequest('No snapshot name provided');
  if (/[ /]/.test(name)) throw ApiError.badRequest('Invalid instance snapshot name: Cannot contain space or / characters');
  if (name === '.' || name === '..') throw ApiError.badRequest(`Invalid instance snapshot name "${name}"`);
  if (name.length > 255) throw ApiError.badRequest('Invalid instance snapshot name: too long');
  return name;
}

/**
 * Profiles, storage pools and networks, with LXD's rule: no "/", not "." or "..". Spaces are allowed as in
 * LXD; control characters are refused because they break every listing that shows the name.
 */
export function validateObjectName(kind: string, name: string | undefined): string {
  if (!name) throw ApiError.badRequest('No name provided');
  if (name.includes('/')) throw ApiError.badRequest(`${kind} names may not contain slashes`);
  if (name === '.' || name === '..') throw ApiError.badRequest(`Invalid ${kind.toLowerCase()} name "${name}"`);
  if (/[\x00-\x1f\x7f]/.test(name)) throw ApiError.badRequest(`${kind} names may not contain control characters`);
  return name;
}

export function validateProjectName(name: string | undefined): string {
  if (!name) throw ApiError.badRequest('No name provided');
  if (name.includes('/')) throw ApiError.badRequest('Project names may not contain slashes');
  if (/\s/.test(name)) throw ApiError.badRequest('Project names may not contain spaces');
  if (name.includes('_')) throw ApiError.badRequest('Project names may not contain underscores');
  if (name.includes("'") || name.includes('"')) throw ApiError.badRequest('Project names may not contain quotes');
  if (name === '*') throw ApiError.badRequest('Reserved project name');
  if (name === '.' || name === '..') throw ApiError.badRequest(`Invalid project name "${name}"`);
  if (/[\x00-\x1f\x7f]/.test(name) || name.length > 63) throw ApiError.badRequest(`Invalid project name "${name}"`);
  return name;
}
