// The bridge driver: a Linux bridge with addresses and routes, one dnsmasq for DHCP and DNS, nftables rules.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { NetworkState } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { bridgeSchema } from '../../config/network.js';
import { isTrue } from '../../config/validators.js';
import type { Runner } from '../../sys/runner.js';
import { contains, overlaps, parseCidr, parseRange, subnetString, type Cidr } from '../../util/ip.js';
import { dnsmasqArgs, dnsmasqFiles, parseLeases, reloadDnsmasq, runningDnsmasq, startDnsmasq, stopDnsmasq, usesDnsmasq, type DnsmasqFiles, type Lease } from '../dnsmasq.js';
import { interfaceState } from '../host.js';
import { IpTool, sysctl } from '../netlink.js';
import { applyRules, hasRules, removeRules, renderRuleset } from '../nftables.js';
import { chooseSubnetV4, chooseSubnetV6 } from '../subnet.js';
import type { NetworkDriver, NetworkSurroundings } from './driver.js';

export interface BridgeDriverOptions {
  runner: Runner;
  /** DIR/networks */
  networksDir: string;
  /** DIR/logs */
  logsDir: string;
  /** Seeds the stable MAC address of bridges without bridge.hwaddr. */
  macSeed: string;
  debug?: boolean;
  /** Unprivileged user and group dnsmasq drops to. */
  dnsmasqUser?: string;
  dnsmasqGroup?: string;
}

const has = (v: string | undefined): v is string => v !== undefined && v !== '' && v !== 'none';

function subnetOf(config: Record<string, string>, family: 4 | 6): Cidr | undefined {
  const v = config[`ipv${family}.address`];
  return has(v) && v !== 'auto' ? parseCidr(v) : undefined;
}

export class BridgeDriver implements NetworkDriver {
  readonly type = 'bridge';
  readonly schema = bridgeSchema;
  private readonly ip: IpTool;

  constructor(private readonly o: BridgeDriverOptions) {
    this.ip = new IpTool(o.runner);
  }

  files(name: string): DnsmasqFiles {
    return dnsmasqFiles(`${this.o.networksDir}/${name}`, `${this.o.logsDir}/dnsmasq.${name}.log`);
  }

  fillConfig(name: string, input: Record<string, string>, env: NetworkSurroundings, creating: boolean): Record<string, string> {
    const config = { ...input };
    if (creating) {
      config['ipv4.address'] ??= 'auto';
      if (config['ipv4.address'] === 'auto') config['ipv4.nat'] ??= 'true';
      if (config['ipv6.address'] === undefined && env.ipv6) config['ipv6.address'] = 'auto';
      if (config['ipv6.address'] === 'auto') config['ipv6.nat'] ??= 'true';
    }
    const taken = [
      ...env.routes.filter((r) => r.dev !== name).map((r) => r.dest),
      ...env.others.flatMap((o) => [subnetOf(o.config, 4), subnetOf(o.config, 6)].filter((c): c is Cidr => c !== undefined)),
    ];
    if (config['ipv4.address'] === 'auto') {
      const s = chooseSubnetV4(taken);
      if (!s) throw ApiError.badRequest('Failed to automatically find an unused IPv4 subnet, manual configuration required');
      config['ipv4.address'] = s;
    }
    if (config['ipv6.address'] === 'auto') {
      const s = chooseSubnetV6(taken);
      if (!s) throw ApiError.badRequest('Failed to automatically find an unused IPv6 subnet, manual configuration required');
      config['ipv6.address'] = s;
    }
    return config;
  }

  validate(name: string, config: Record<string, string>, env: NetworkSurroundings): void {
    const mtu = config['bridge.mtu'];
    if (mtu && has(config['ipv6.address']) && Number(mtu) < 1280) throw ApiError.badRequest('The minimum MTU for an IPv6 network is 1280');
    for (const family of [4, 6] as const) {
      const subnet = subnetOf(config, family);
      if (!subnet) {
        for (const k of [`ipv${family}.dhcp.ranges`, `ipv${family}.routes`, `ipv${family}.nat.address`]) {
          if (config[k] && config[`ipv${family}.address`] === 'none') throw ApiError.badRequest(`"${k}" needs "ipv${family}.address"`);
        }
        continue;
      }
      for (const r of (config[`ipv${family}.dhcp.ranges`] ?? '').split(',').filter((x) => x.trim())) {
        const range = parseRange(r)!;
        if (!contains(subnet, family, range.start) || !contains(subnet, family, range.end)) {
          throw ApiError.badRequest(`DHCP range "${r.trim()}" is not inside the network's subnet ${subnetString(subnet)}`);
        }
      }
      for (const o of env.others) {
        const theirs = subnetOf(o.config, family);
        if (theirs && overlaps(subnet, theirs)) throw ApiError.badRequest(`Subnet ${subnetString(subnet)} overlaps with network "${o.name}" (${subnetString(theirs)})`);
        for (const route of (o.config[`ipv${family}.routes`] ?? '').split(',').filter((x) => x.trim())) {
          if (overlaps(subnet, parseCidr(route.trim())!)) throw ApiError.badRequest(`Subnet ${subnetString(subnet)} overlaps with a route of network "${o.name}" (${route.trim()})`);
        }
      }
      const managed = new Set([name, ...env.others.map((o) => o.name)]);
      for (const r of env.routes) {
        if (!r.connected || r.dest.prefix === 0 || managed.has(r.dev) || r.dest.family !== family) continue;
        if (overlaps(subnet, r.dest)) throw ApiError.badRequest(`Subnet ${subnetString(subnet)} overlaps with ${subnetString(r.dest)} on interface "${r.dev}"`);
      }
    }
  }

  interfaceExists(name: string): Promise<boolean> {
    return this.ip.exists(name);
  }

  private stableMac(name: string): string {
    const h = createHash('sha256').update(`${this.o.macSeed}/${name}`).digest();
    return `00:16:3e:${[h[0]!, h[1]!, h[2]!].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
  }

  async start(name: string, config: Record<string, string>): Promise<void> {
    const files = this.files(name);
    await mkdir(files.dir, { recursive: true, mode: 0o711 });
    await mkdir(files.hostsDir, { recursive: true, mode: 0o755 });
    if (!(await this.ip.exists(name))) await this.ip.ip(['link', 'add', 'dev', name, 'type', 'bridge']);
    const v6 = subnetOf(config, 6);
    if (v6) {
      await sysctl(`net/ipv6/conf/${name}/disable_ipv6`, '0');
      await sysctl(`net/ipv6/conf/${name}/autoconf`, '0');
      await sysctl(`net/ipv6/conf/${name}/accept_dad`, '0');
    } else {
      await sysctl(`net/ipv6/conf/${name}/disable_ipv6`, '1', true);
    }
    await this.ip.setMtu(name, config['bridge.mtu'] || '1500');
    await this.ip.setHwaddr(name, (config['bridge.hwaddr'] || this.stableMac(name)).toLowerCase());
    await this.ip.setUp(name);
    for (const iface of (config['bridge.external_interfaces'] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      if (await this.ip.exists(iface)) await this.ip.setMaster(iface, name);
    }
    await this.syncAddresses(name, config);
    for (const family of [4, 6] as const) await this.syncRoutes(name, family, config[`ipv${family}.routes`]);
    await this.forwarding(config);
    await applyRules(this.o.runner, name, config);
    await this.syncDnsmasq(name, config, files);
  }

  /** Global addresses of the bridge become exactly ipv4.address and ipv6.address. */
  private async syncAddresses(name: string, config: Record<string, string>): Promise<void> {
    const want = [config['ipv4.address'], config['ipv6.address']].filter(has).map((a) => {
      const c = parseCidr(a)!;
      return { key: `${c.family}/${c.address}/${c.prefix}`, text: a };
    });
    const current = ((await this.ip.addrs(name))[0]?.addr_info ?? []).filter((a) => a.scope === 'global');
    const currentKeys = new Map(current.map((a) => {
      const c = parseCidr(`${a.local}/${a.prefixlen}`)!;
      return [`${c.family}/${c.address}/${c.prefix}`, `${a.local}/${a.prefixlen}`];
    }));
    for (const [key, text] of currentKeys) if (!want.some((w) => w.key === key)) await this.ip.delAddr(name, text);
    for (const w of want) if (!currentKeys.has(w.key)) await this.ip.addAddr(name, w.text);
  }

  private async syncRoutes(name: string, family: 4 | 6, routes: string | undefined): Promise<void> {
    const want = (routes ?? '').split(',').map((r) => r.trim()).filter(Boolean).map((r) => subnetString(parseCidr(r)!));
    for (const cur of await this.ip.staticRoutes(name, family)) {
      const c = parseCidr(cur.includes('/') ? cur : `${cur}/${family === 4 ? 32 : 128}`);
      if (c && !want.includes(subnetString(c))) await this.ip.delRoute(name, cur, family).catch(() => undefined);
    }
    for (const r of want) await this.ip.addRoute(name, r, family);
  }

  /** As LXD: forwarding on for the namespace when a routed subnet exists (IPv6: accept_ra=2 first where it was 1). */
  private async forwarding(config: Record<string, string>): Promise<void> {
    if (subnetOf(config, 4) && (config['ipv4.routing'] === undefined || isTrue(config['ipv4.routing']))) await sysctl('net/ipv4/ip_forward', '1');
    if (subnetOf(config, 6) && (config['ipv6.routing'] === undefined || isTrue(config['ipv6.routing']))) {
      const entries = await readdir('/proc/sys/net/ipv6/conf').catch(() => [] as string[]);
      for (const e of entries) {
        const ra = await readFile(`/proc/sys/net/ipv6/conf/${e}/accept_ra`, 'utf8').catch(() => '');
        if (ra.trim() === '1') await sysctl(`net/ipv6/conf/${e}/accept_ra`, '2', true);
      }
      for (const e of entries) await sysctl(`net/ipv6/conf/${e}/forwarding`, '1', true);
    }
  }

  /** Keeps a running dnsmasq whose command line and raw config are unchanged (leases stay); otherwise restarts it. */
  private async syncDnsmasq(name: string, config: Record<string, string>, files: DnsmasqFiles): Promise<void> {
    if (!usesDnsmasq(config)) {
      await stopDnsmasq(files, name);
      await rm(files.leaseFile, { force: true });
      return;
    }
    const args = dnsmasqArgs(name, config, files, { user: this.o.dnsmasqUser, group: this.o.dnsmasqGroup, debug: this.o.debug });
    const raw = `${config['raw.dnsmasq'] ?? ''}\n`;
    const oldRaw = await readFile(files.rawFile, 'utf8').catch(() => undefined);
    const running = await runningDnsmasq(files, name);
    if (running && oldRaw === raw && JSON.stringify(running.args) === JSON.stringify(args)) {
      await reloadDnsmasq(files, name);
      return;
    }
    await stopDnsmasq(files, name);
    await writeFile(files.rawFile, raw, { mode: 0o644 });
    await writeFile(files.logFile, '', { flag: 'a', mode: 0o640 });
    try {
      await startDnsmasq(this.o.runner, files, name, args);
    } catch (e) {
      const log = await readFile(files.logFile, 'utf8').catch(() => '');
      const detail = (e as Error).message + (log.trim() ? ` (${log.trim().split('\n').slice(-3).join('; ')})` : '');
      throw ApiError.badRequest(`The DNS and DHCP service failed to start: ${detail}`);
    }
  }

  async sweep(known: string[]): Promise<string[]> {
    const left = (await readdir(this.o.networksDir).catch(() => [] as string[])).filter((n) => !known.includes(n));
    for (const name of left) await this.delete(name);
    return left;
  }

  async attach(name: string, interfaces: string[]): Promise<void> {
    for (const iface of interfaces) {
      const link = await this.ip.link(iface);
      if (link && link.master !== name) await this.ip.setMaster(iface, name);
    }
  }

  async delete(name: string): Promise<void> {
    const files = this.files(name);
    await stopDnsmasq(files, name);
    await removeRules(this.o.runner, name);
    await this.ip.deleteLink(name);
    await rm(files.dir, { recursive: true, force: true });
  }

  async state(name: string): Promise<NetworkState> {
    const s = await interfaceState(this.ip, name);
    if (!s) throw ApiError.notFound(`Network interface "${name}" not found`);
    return s;
  }

  async leases(name: string): Promise<Lease[]> {
    return parseLeases(await readFile(this.files(name).leaseFile, 'utf8').catch(() => ''));
  }

  async setStaticHosts(name: string, config: Record<string, string>, hosts: Map<string, string>): Promise<void> {
    const files = this.files(name);
    await mkdir(files.hostsDir, { recursive: true, mode: 0o755 });
    let changed = false;
    for (const f of await readdir(files.hostsDir)) {
      if (hosts.has(f)) continue;
      await rm(`${files.hostsDir}/${f}`, { force: true });
      changed = true;
    }
    for (const [f, line] of hosts) {
      if ((await readFile(`${files.hostsDir}/${f}`, 'utf8').catch(() => undefined)) === line) continue;
      await writeFile(`${files.hostsDir}/${f}`, line, { mode: 0o644 });
      changed = true;
    }
    if (changed && usesDnsmasq(config)) await reloadDnsmasq(files, name);
  }

  async healthy(name: string, config: Record<string, string>): Promise<boolean> {
    if (!(await this.ip.exists(name))) return false;
    if (usesDnsmasq(config) && !(await runningDnsmasq(this.files(name), name))) return false;
    if (renderRuleset(name, config) !== undefined && !(await hasRules(this.o.runner, name))) return false;
    return true;
  }
}
