// dnsmasq for a bridge: its arguments, static host entries and lease file (pure), and the process itself.
// dnsmasq daemonizes (so it outlives lodged, like containers do) and is found again through its pid file.
import { readFile, rm } from 'node:fs/promises';
import { isTrue } from '../config/validators.js';
import type { Runner } from '../sys/runner.js';
import { addressString, canonicalIp, formatIp, nthAddress, parseCidr } from '../util/ip.js';

export interface DnsmasqFiles {
  /** networks/<name> */
  dir: string;
  pidFile: string;
  leaseFile: string;
  hostsDir: string;
  rawFile: string;
  logFile: string;
}

export function dnsmasqFiles(dir: string, logFile: string): DnsmasqFiles {
  return { dir, pidFile: `${dir}/dnsmasq.pid`, leaseFile: `${dir}/dnsmasq.leases`, hostsDir: `${dir}/dnsmasq.hosts`, rawFile: `${dir}/dnsmasq.raw`, logFile };
}

export interface DnsmasqUser {
  user?: string;
  group?: string;
}

const has = (v: string | undefined): v is string => v !== undefined && v !== '' && v !== 'none';

/** Whether a bridge with this config needs dnsmasq at all (LXD: any address, DHCP or DNS). */
export function usesDnsmasq(config: Record<string, string>): boolean {
  return has(config['ipv4.address']) || has(config['ipv6.address']);
}

/** The dnsmasq command line for a bridge, as LXD 5.0 builds it (quiet unless debug). */
export function dnsmasqArgs(bridge: string, config: Record<string, string>, files: DnsmasqFiles, opts: DnsmasqUser & { debug?: boolean } = {}): string[] {
  const args = ['--strict-order', '--bind-interfaces', '--except-interface=lo', `--pid-file=${files.pidFile}`, '--no-ping', `--interface=${bridge}`, '--dhcp-rapid-commit'];
  if (!opts.debug) args.push('--quiet-dhcp', '--quiet-dhcp6', '--quiet-ra');
  const dhcpFiles = ['--dhcp-no-override', '--dhcp-authoritative', `--dhcp-leasefile=${files.leaseFile}`, `--dhcp-hostsfile=${files.hostsDir}`];
  let dhcpAdded = false;
  const addDhcpFiles = () => {
    if (!dhcpAdded) args.push(...dhcpFiles);
    dhcpAdded = true;
  };
  const mtu = config['bridge.mtu'] || '1500';
  const v4 = has(config['ipv4.address']) ? parseCidr(config['ipv4.address']) : undefined;
  if (v4) {
    args.push(`--listen-address=${addressString(v4)}`);
    if (config['ipv4.dhcp'] === undefined || isTrue(config['ipv4.dhcp'])) {
      addDhcpFiles();
      if (config['ipv4.dhcp.gateway']) args.push(`--dhcp-option-force=3,${config['ipv4.dhcp.gateway']}`);
      if (mtu !== '1500') args.push(`--dhcp-option-force=26,${mtu}`);
      if (config['dns.search']) args.push(`--dhcp-option-force=119,${config['dns.search'].trim()}`);
      const expiry = config['ipv4.dhcp.expiry'] || '1h';
      const ranges = config['ipv4.dhcp.ranges'];
      if (ranges) {
        for (const r of ranges.split(',')) args.push('--dhcp-range', `${r.trim().replace('-', ',')},${expiry}`);
      } else {
        args.push('--dhcp-range', `${formatIp(4, nthAddress(v4, 2))},${formatIp(4, nthAddress(v4, -2))},${expiry}`);
      }
    }
  }
  const v6 = has(config['ipv6.address']) ? parseCidr(config['ipv6.address']) : undefined;
  if (v6) {
    args.push(`--listen-address=${addressString(v6)}`, '--enable-ra');
    if (config['ipv6.dhcp'] === undefined || isTrue(config['ipv6.dhcp'])) {
      addDhcpFiles();
      const expiry = config['ipv6.dhcp.expiry'] || '1h';
      if (isTrue(config['ipv6.dhcp.stateful'])) {
        const ranges = config['ipv6.dhcp.ranges'];
        if (ranges) {
          for (const r of ranges.split(',')) args.push('--dhcp-range', `${r.trim().replace('-', ',')},${v6.prefix},${expiry}`);
        } else {
          args.push('--dhcp-range', `${formatIp(6, nthAddress(v6, 2))},${formatIp(6, nthAddress(v6, -1))},${v6.prefix},${expiry}`);
        }
      } else {
        args.push('--dhcp-range', `::,constructor:${bridge},ra-stateless,ra-names`);
      }
    } else {
      args.push('--dhcp-range', `::,constructor:${bridge},ra-only`);
    }
  }
  const domain = config['dns.domain'] || 'lxd';
  if (config['dns.mode'] !== 'none') {
    args.push('-s', domain, '--interface-name', `_gateway.${domain},${bridge}`, '-S', `/${domain}/`);
  }
  args.push(`--conf-file=${files.rawFile}`, `--log-facility=${files.logFile}`);
  if (opts.user) args.push('-u', opts.user);
  if (opts.group) args.push('-g', opts.group);
  return args;
}

/** The file name of a nic's static entry in the hosts directory (LXD: project_instance.device). */
export function staticFileName(project: string, instance: string, device: string): string {
  // Device names may contain "/", which must not reach the path.
  return `${project}_${instance}.${device.replace(/[^A-Za-z0-9_.:-]/g, '-')}`;
}

/** The DNS name of an instance (LXD: the name, or name.project outside the default project). */
export function dnsName(project: string, instance: string): string {
  return project === 'default' ? instance : `${instance}.${project}`;
}

/** One dhcp-host line: MAC, the static addresses, and the instance's DNS name when dns.mode is managed. */
export function hostsLine(netConfig: Record<string, string>, hwaddr: string, ipv4: string | undefined, ipv6: string | undefined, name: string): string | undefined {
  let line = hwaddr.toLowerCase();
  if (ipv4) line += `,${ipv4}`;
  if (ipv6) line += `,[${ipv6}]`;
  const mode = netConfig['dns.mode'] ?? '';
  if (mode === '' || mode === 'managed') line += `,${name}`;
  return line === hwaddr.toLowerCase() ? undefined : `${line}\n`;
}

export interface Lease {
  hwaddr: string;
  address: string;
  hostname: string;
  expiry: number;
}

/** Parses a dnsmasq lease file: "expiry mac ip hostname clientid" (IPv6 lines carry an IAID, not a MAC). */
export function parseLeases(text: string): Lease[] {
  const out: Lease[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || f[0] === 'duid') continue;
    const address = canonicalIp(f[2]!);
    if (!address) continue;
    let mac = f[1]!.includes(':') ? f[1]!.toLowerCase() : '';
    if (mac.length < 17 && f[4]!.length >= 17) mac = f[4]!.slice(-17).toLowerCase();
    if (address.includes(':')) mac = '';
    out.push({ expiry: Number(f[0]), hwaddr: mac, address, hostname: f[3] === '*' ? '' : f[3]!, });
  }
  return out;
}

// ---- the process ----

async function cmdline(pid: number): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw.split('\0').filter((s) => s !== '');
}

/** The pid of this bridge's dnsmasq if it runs (checked against its command line, so a reused pid is not mistaken). */
export async function runningDnsmasq(files: DnsmasqFiles, bridge: string): Promise<{ pid: number; args: string[] } | undefined> {
  const pid = Number((await readFile(files.pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const argv = await cmdline(pid);
  if (!argv[0]?.endsWith('dnsmasq') || !argv.includes(`--interface=${bridge}`) || !argv.includes(`--pid-file=${files.pidFile}`)) return undefined;
  return { pid, args: argv.slice(1) };
}

/** A process that exists and is not a zombie (a daemonized dnsmasq is reaped by init, possibly late). */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
}

/** Starts dnsmasq; it forks into the background once its sockets are bound, and reports bad options by its exit code. */
export async function startDnsmasq(runner: Runner, files: DnsmasqFiles, bridge: string, args: string[]): Promise<number> {
  await runner.run('dnsmasq', args, { timeoutMs: 30_000 });
  for (let i = 0; i < 50; i++) {
    const running = await runningDnsmasq(files, bridge);
    if (running) return running.pid;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`dnsmasq for ${bridge} did not write its pid file`);
}

/** Stops this bridge's dnsmasq (TERM, then KILL), if it runs; the pid file goes too. */
export async function stopDnsmasq(files: DnsmasqFiles, bridge: string): Promise<void> {
  const running = await runningDnsmasq(files, bridge);
  if (running) {
    process.kill(running.pid, 'SIGTERM');
    for (let i = 0; i < 100 && (await alive(running.pid)); i++) await new Promise((r) => setTimeout(r, 20));
    if (await alive(running.pid)) process.kill(running.pid, 'SIGKILL');
    for (let i = 0; i < 50 && (await alive(running.pid)); i++) await new Promise((r) => setTimeout(r, 20));
  }
  await rm(files.pidFile, { force: true });
}

/** Makes dnsmasq re-read its hosts directory (SIGHUP). */
export async function reloadDnsmasq(files: DnsmasqFiles, bridge: string): Promise<boolean> {
  const running = await runningDnsmasq(files, bridge);
  if (!running) return false;
  process.kill(running.pid, 'SIGHUP');
  return true;
}

/** The unprivileged user and group dnsmasq drops to (as LXD: nobody, and nogroup where it exists). */
export async function dnsmasqUser(): Promise<DnsmasqUser> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const group = await readFile('/etc/group', 'utf8').catch(() => '');
  const out: DnsmasqUser = {};
  if (/^nobody:/m.test(passwd)) out.user = 'nobody';
  if (/^nogroup:/m.test(group)) out.group = 'nogroup';
  return out;
}
