// `lodge info`: an instance (status, resources, snapshots, backups, --show-log) or the server as YAML.
import type { Command } from 'commander';
import type { InstanceFull, Server } from '@lodge/api';
import type { App } from '../app.js';
import type { Context, Resource } from '../context.js';
import { server as serverShape } from '../format/shapes.js';
import { renderTable, toYaml } from '../output.js';
import { byteSize, byteSizeIEC } from '../format/units.js';
import { timeIsSet } from './list-columns.js';

/** Go layout "2006/01/02 15:04 MST" in the local time zone. */
export function localDate(s: string, env: NodeJS.ProcessEnv = process.env): string {
  const d = new Date(s);
  const p = (n: number): string => String(n).padStart(2, '0');
  const zone =
    new Intl.DateTimeFormat('en-US', { timeZoneName: 'short', timeZone: env.TZ || undefined }).formatToParts(d).find((x) => x.type === 'timeZoneName')?.value ?? 'UTC';
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())} ${zone}`;
}

/** The text lxc prints for `info <instance>` (maps in name order, where lxc's order is random). */
export function instanceInfoText(inst: InstanceFull, clustered: boolean, env: NodeJS.ProcessEnv = process.env): string {
  const out: string[] = [];
  const state = inst.state;
  out.push(`Name: ${inst.name}`);
  out.push(`Status: ${(inst.status ?? '').toUpperCase()}`);
  const type = inst.type || 'container';
  out.push(inst.ephemeral ? `Type: ${type} (ephemeral)` : `Type: ${type}`);
  out.push(`Architecture: ${inst.architecture}`);
  if (inst.location && clustered) out.push(`Location: ${inst.location}`);
  const pid = state?.pid ?? 0;
  if (pid !== 0) out.push(`PID: ${pid}`);
  if (timeIsSet(inst.created_at)) out.push(`Created: ${localDate(inst.created_at, env)}`);
  if (timeIsSet(inst.last_used_at)) out.push(`Last Used: ${localDate(inst.last_used_at, env)}`);
  if (state && pid !== 0) {
    out.push('', 'Resources:', `  Processes: ${state.processes}`);
    const disks = Object.entries(state.disk ?? {})
      .filter(([, d]) => d.usage !== 0)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    if (disks.length) out.push('  Disk usage:', ...disks.map(([k, d]) => `    ${k}: ${byteSizeIEC(d.usage, 2)}`));
    if (state.cpu.usage !== 0) out.push('  CPU usage:', `    CPU usage (in seconds): ${Math.floor(state.cpu.usage / 1e9)}`);
    const mem: string[] = [];
    const m = state.memory;
    if (m.usage !== 0) mem.push(`    Memory (current): ${byteSizeIEC(m.usage, 2)}`);
    if (m.usage_peak !== 0) mem.push(`    Memory (peak): ${byteSizeIEC(m.usage_peak, 2)}`);
    if (m.swap_usage !== 0) mem.push(`    Swap (current): ${byteSizeIEC(m.swap_usage, 2)}`);
    if (m.swap_usage_peak !== 0) mem.push(`    Swap (peak): ${byteSizeIEC(m.swap_usage_peak, 2)}`);
    if (mem.length) out.push('  Memory usage:', ...mem);
    const nets = Object.entries(state.network ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    if (nets.length) {
      out.push('  Network usage:');
      for (const [name, n] of nets) {
        out.push(`    ${name}:`, `      Type: ${n.type}`, `      State: ${(n.state ?? '').toUpperCase()}`);
        if (n.host_name) out.push(`      Host interface: ${n.host_name}`);
        if (n.hwaddr) out.push(`      MAC address: ${n.hwaddr}`);
        if (n.mtu) out.push(`      MTU: ${n.mtu}`);
        out.push(
          `      Bytes received: ${byteSize(n.counters.bytes_received, 2)}`,
          `      Bytes sent: ${byteSize(n.counters.bytes_sent, 2)}`,
          `      Packets received: ${n.counters.packets_received}`,
          `      Packets sent: ${n.counters.packets_sent}`,
          '      IP addresses:',
        );
        for (const a of n.addresses ?? []) out.push(`        ${a.family}:${a.family === 'inet' ? '  ' : ' '}${a.address}/${a.netmask} (${a.scope})`);
      }
    }
  }
  let text = `${out.join('\n')}\n`;
  const snaps = inst.snapshots ?? [];
  if (snaps.length > 0) {
    const rows = snaps.map((s) => [
      s.name.split('/').pop() ?? s.name,
      timeIsSet(s.created_at) ? localDate(s.created_at, env) : ' ',
      timeIsSet(s.expires_at) ? localDate(s.expires_at, env) : ' ',
      s.stateful ? 'YES' : 'NO',
    ]);
    text += `\nSnapshots:\n${renderTable(['Name', 'Taken at', 'Expires at', 'Stateful'], rows)}`;
  }
  const backups = inst.backups ?? [];
  if (backups.length > 0) {
    const rows = backups.map((b) => [
      b.name,
      timeIsSet(b.created_at) ? localDate(b.created_at, env) : ' ',
      timeIsSet(b.expires_at) ? localDate(b.expires_at, env) : ' ',
      b.instance_only ? 'YES' : 'NO',
      b.optimized_storage ? 'YES' : 'NO',
    ]);
    text += `\nBackups:\n${renderTable(['Name', 'Taken at', 'Expires at', 'Instance Only', 'Optimized Storage'], rows)}`;
  }
  return text;
}

async function instanceInfo(ctx: Context, r: Resource, opts: { showLog?: boolean; target?: string }): Promise<void> {
  if (opts.target) throw new Error('--target cannot be used with instances');
  const inst = await r.client.instances.full(r.name);
  const srv = await r.client.get<Server>('/1.0');
  ctx.print(instanceInfoText(inst, srv.environment?.server_clustered === true, ctx.io.env));
  if (opts.showLog) {
    const type = inst.type || 'container';
    let file: string;
    if (type === 'container') file = 'lxc.log';
    else if (type === 'virtual-machine') file = 'qemu.log';
    else throw new Error(`Unsupported instance type: ${type}`);
    const log = await r.client.instances.logFile(r.name, file);
    ctx.print(`\nLog:\n\n${log.toString()}\n`);
  }
}

async function serverInfo(ctx: Context, r: Resource, opts: { resources?: boolean; target?: string }): Promise<void> {
  const srv = await r.client.get<Server>('/1.0');
  if (opts.target && !srv.environment?.server_clustered) throw new Error('To use --target, the destination remote must be a cluster');
  if (opts.resources) {
    if (!(srv.api_extensions ?? []).includes('resources_v2')) throw new Error("The server doesn't implement the newer v2 resources API");
    throw new Error('Server resources are not supported by lodge yet');
  }
  ctx.print(toYaml(serverShape, srv));
}

export function registerInfo(program: Command, app: App): void {
  const cmd = app.leaf(
    program,
    'info',
    {
      usage: '[<remote>:][<instance>]',
      summary: 'Show instance or server information',
      max: 1,
      examples: 'lodge info [<remote>:]<instance> [--show-log]\n    For instance information.\n\nlodge info [<remote>:] [--resources]\n    For server information.',
    },
    async (ctx, args, opts) => {
      const r = await ctx.resolve(args[0] ?? '');
      if (r.name !== '') await instanceInfo(ctx, r, opts);
      else await serverInfo(ctx, r, opts);
    },
  );
  cmd.option('--show-log', "Show the instance's last 100 log lines?");
  cmd.option('--resources', 'Show the resources available to the server');
  cmd.option('--target <member>', 'Cluster member name');
}
