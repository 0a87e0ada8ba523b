// Small helpers several nouns share: the --format flag and the server's clustered flag (which changes columns).
import type { Command } from 'commander';
import type { LodgeClient } from '@lodge/client';
import { parseKeyValues } from '../args.js';
import type { Context, Resource } from '../context.js';

export function withFormat(cmd: Command, formats = 'csv|json|table|yaml|compact', fallback = 'table'): Command {
  return cmd.option('-f, --format <format>', `Format (${formats})`, fallback);
}

export function formatOf(opts: Record<string, unknown>): string {
  return typeof opts.format === 'string' ? opts.format : 'table';
}

export async function isClustered(client: LodgeClient): Promise<boolean> {
  return (await client.serverInfo()).environment?.server_clustered === true;
}

/** "YES"/"NO" as lxc's list columns print booleans. */
export const yesNo = (b: boolean): string => (b ? 'YES' : 'NO');

/** An object with a string config map that `set`/`unset` edit (profiles, projects; instances later). */
export interface ConfigHost<P extends { config: Record<string, string> }> {
  load(r: Resource): Promise<{ put: P; etag?: string }>;
  store(r: Resource, put: P, etag?: string): Promise<void>;
}

/** `X set <name> k=v...` (or the legacy `k v`): read, change, write back with the ETag. */
export async function setConfigKeys<P extends { config: Record<string, string> }>(ctx: Context, r: Resource, args: string[], host: ConfigHost<P>): Promise<void> {
  const keys = await parseKeyValues(args, ctx.stdinReader());
  const { put, etag } = await host.load(r);
  for (const [k, v] of keys) put.config[k] = v;
  await host.store(r, put, etag);
}
