// `lodge list`: one GET (recursion=2 when a column needs state or snapshots, else 1) with server-side filters, the rest here.
import type { Command } from 'commander';
import type { InstanceFull } from '@lodge/api';
import type { App } from '../app.js';
import type { Context } from '../context.js';
import { listOf } from '../format/gotypes.js';
import { sortRows } from '../format/natural.js';
import { instanceFull } from '../format/shapes.js';
import { renderList } from '../output.js';
import { formatOf, isClustered, withFormat } from './common.js';
import { defaultColumns, parseColumns, shouldShow, splitFilters } from './list-columns.js';

const description = `List instances

Default column layout: ns46tS
Fast column layout: nsacPt

A single keyword like "web" which will list any instance with a name starting by "web".
A regular expression on the instance name. (e.g. .*web.*01$).
A key/value pair referring to a configuration item. For those, the
namespace can be abbreviated to the smallest unambiguous identifier.
A key/value pair where the key is a shorthand. Multiple values must be delimited by ','. Available shorthands:
  - type={instance type}
  - status={instance current lifecycle status}
  - architecture={instance architecture}
  - location={location name}
  - ipv4={ip or CIDR}
  - ipv6={ip or CIDR}

When multiple filters are passed, they are added one on top of the other,
selecting instances which satisfy them all.

Pre-defined column shorthand chars:
  4 - IPv4 address
  6 - IPv6 address
  a - Architecture
  b - Storage pool
  c - Creation date
  d - Description
  D - disk usage
  e - Project name
  l - Last used date
  m - Memory usage
  M - Memory usage (%)
  n - Name
  N - Number of Processes
  p - PID of the instance's init process
  P - Profiles
  s - State
  S - Number of snapshots
  t - Type (persistent or ephemeral)
  u - CPU usage (in seconds)
  L - Location of the instance (e.g. its cluster member)
  f - Base Image Fingerprint (short)
  F - Base Image Fingerprint (long)

Custom columns are defined with "[config:|devices:]key[:name][:maxWidth]"`;

async function list(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  if (ctx.flags.project && opts.allProjects) throw new Error("Can't specify --project with --all-projects");
  let remoteArg = '';
  let filters = [...args];
  let name = '';
  const first = args[0];
  if (first !== undefined) {
    if (first.includes(':') && !first.includes('=')) {
      const ref = await ctx.ref(first);
      remoteArg = `${ref.remote}:`;
      name = ref.name;
      filters = args.slice(1);
    } else if (!first.includes('=')) {
      name = first;
    }
  }
  if (name !== '') filters.push(name);
  const r = await ctx.resolve(remoteArg);
  const { columns, needsData } = parseColumns({
    columns: typeof opts.columns === 'string' ? opts.columns : defaultColumns,
    fast: opts.fast === true,
    allProjects: opts.allProjects === true,
    clustered: opts.columns !== undefined && String(opts.columns).includes('L') ? await isClustered(r.client) : false,
  });
  const format = formatOf(opts);
  const { server, client } = splitFilters(filters);
  const path = `/1.0/instances?${new URLSearchParams({
    ...(opts.allProjects ? { 'all-projects': 'true' } : {}),
    filter: server
      .map((f) => {
        const eq = f.indexOf('=');
        return `${f.slice(0, eq)} eq ${f.slice(eq + 1)}`;
      })
      .join(' and '),
    recursion: needsData ? '2' : '1',
  }).toString()}`;
  const instances = await r.client.get<InstanceFull[]>(path);
  const shown = (instances ?? []).filter((i) => shouldShow(client, i));
  if (!needsData) for (const i of shown) Object.assign(i, { backups: null, state: null, snapshots: null });
  const rows = sortRows(shown.map((i) => columns.map((c) => c.data(i))));
  ctx.print(renderList(format, columns.map((c) => c.name), rows, shown, listOf(instanceFull)));
}

export function registerList(program: Command, app: App): void {
  const cmd = app.leaf(
    program,
    'list',
    {
      usage: '[<remote>:] [<filter>...]',
      summary: 'List instances',
      description,
      aliases: ['ls'],
      max: -1,
      examples:
        'lodge list -c nFs46,volatile.eth0.hwaddr:MAC,config:image.os,devices:eth0.parent:ETHP\n  Show instances using the "NAME", "BASE IMAGE", "STATE", "IPV4", "IPV6" and "MAC" columns.\n\nlodge list -c ns,user.comment:comment\n  List instances with their running state and user comment.',
    },
    list,
  );
  cmd.option('-c, --columns <columns>', 'Columns', defaultColumns);
  withFormat(cmd);
  cmd.option('--fast', 'Fast mode (same as --columns=nsacPt)');
  cmd.option('--all-projects', 'Display instances from all projects');
}
