// NetworkService: managed network records and their drivers, host interfaces, used_by, leases, projects, restore at start.
import { readFile } from 'node:fs/promises';
import type { Devices, Network, NetworkLease, NetworkPut, NetworkState, NetworksPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { withoutEmpty } from '../config/keys.js';
import { lxdNetworkTypes, networkNameProblem, networkTypes, validateNetworkConfig } from '../config/network.js';
import { isTrue } from '../config/validators.js';
import type { NetworkRecord } from '../db/records.js';
import { globalScope, type Store, type Tx } from '../db/store.js';
import type { EventHub, LifecycleOptions } from '../events/hub.js';
import { expand } from '../instance/expand.js';
import type { ProfileService } from '../profiles/service.js';
import type { ProjectService } from '../projects/service.js';
import type { Logger } from '../sys/log.js';
import type { Runner } from '../sys/runner.js';
import { etagOf } from '../util/etag.js';
import { canonicalIp, eui64, formatIp, parseCidr } from '../util/ip.js';
import { KeyedLock } from '../util/lock.js';
import { apiUrl, seg } from '../util/url.js';
import { dnsName, hostsLine, staticFileName } from './dnsmasq.js';
import type { NetworkDriver, NetworkSurroundings } from './drivers/driver.js';
import { interfaceState, unmanagedType } from './host.js';
import { IpTool } from './netlink.js';
import { localRoutes } from './subnet.js';

export const defaultNetworkName = 'lodgebr0';

/** The cluster member name of a server that is not in a cluster, as LXD names it (the only valid ?target=). */
export const localMember = 'none';

/** LXD's answer to anything about a network that does not exist, or not in the request's project. */
const failedLoading = () => ApiError.notFound('Failed loading network: Network not found');

/** A nic device of an instance or profile that refers to a network (by network= or by a bridged/macvlan parent). */
export function nicUsesNetwork(dev: Record<string, string>, network: string): boolean {
  if (dev.type !== 'nic') return false;
  if (dev.network) return dev.network === network;
  return (dev.nictype === 'bridged' || dev.nictype === 'macvlan') && dev.parent === network;
}

export interface NicOnNetwork {
  project: string;
  instance: string;
  device: string;
  nic: Record<string, string>;
  /** The instance's own config (volatile keys). */
  config: Record<string, string>;
}

export class NetworkService {
  /** One lock for every change: subnet overlap checks and names need a consistent view. */
  private readonly lock = new KeyedLock();
  private readonly ip: IpTool;
  private refreshing?: Promise<void>;
  private refreshAgain = false;

  constructor(
    private readonly store: Store,
    private readonly events: EventHub,
    private readonly log: Logger,
    runner: Runner,
    private readonly profiles: ProfileService,
    private readonly projects: ProjectService,
    private readonly drivers: Record<string, NetworkDriver>,
  ) {
    this.ip = new IpTool(runner);
    // As LXD, the default project lists its networks among what it uses.
    projects.addUsage(async (tx, project) => (project === 'default' ? (await tx.networks.list(globalScope)).map((r) => `/1.0/networks/${seg(r.name)}`) : []));
    // Static DHCP entries follow instance changes (created, renamed, deleted, updated) without hooks in that code.
    events.subscribe({
      types: new Set(['lifecycle']),
      project: 'default',
      allProjects: true,
      send: (e) => {
        const action = (e.metadata as { action?: string }).action ?? '';
        if (/^instance-(created|renamed|deleted|updated)$/.test(action)) void this.refreshStaticHosts();
      },
    });
  }

  driver(type: string): NetworkDriver {
    const d = this.drivers[type];
    if (d) return d;
    if (!lxdNetworkTypes.includes(type)) throw ApiError.badRequest('Unknown driver');
    throw ApiError.badRequest(`Network type "${type}" is not supported by lodge (it supports ${networkTypes.join(', ')})`);
  }

  async record(tx: Tx, name: string): Promise<NetworkRecord | undefined> {
    return tx.networks.get(globalScope, name);
  }

  /**
   * The project whose networks a project sees (LXD's network project): its own with features.networks=true, else
   * default's. Every type lodge has (bridge, macvlan) lives in the default project only, as in LXD.
   */
  async networkProject(tx: Tx, project: string): Promise<string> {
    return this.projects.effective(tx, project, 'features.networks');
  }

  /** A managed network as a project sees it: none from a project with its own (necessarily empty) network list. */
  async recordIn(tx: Tx, project: string, name: string): Promise<NetworkRecord | undefined> {
    return (await this.networkProject(tx, project)) === 'default' ? this.record(tx, name) : undefined;
  }

  private async mustIn(project: string, name: string): Promise<NetworkRecord> {
    const rec = await this.store.read((tx) => this.recordIn(tx, project, name));
    if (!rec) throw failedLoading();
    return rec;
  }

  async records(): Promise<NetworkRecord[]> {
    return this.store.read((tx) => tx.networks.list(globalScope));
  }

  // ---- reading ----

  async list(project: string): Promise<Network[]> {
    // Host interfaces, like managed networks, belong to the default project's list only.
    if ((await this.store.read((tx) => this.networkProject(tx, project))) !== 'default') return [];
    const recs = await this.records();
    const out = await this.store.read(async (tx) => Promise.all(recs.map((r) => this.toApi(tx, r))));
    const managed = new Set(recs.map((r) => r.name));
    for (const link of await this.ip.links()) {
      if (managed.has(link.ifname) || link.ifname.startsWith('veth')) continue;
      out.push(await this.store.read((tx) => this.unmanaged(tx, link.ifname, undefined)));
    }
    return out;
  }

  async get(project: string, name: string): Promise<{ network: Network; etag: string }> {
    if ((await this.store.read((tx) => this.networkProject(tx, project))) !== 'default') throw ApiError.notFound('Network not found');
    const rec = await this.store.read((tx) => this.record(tx, name));
    if (rec) return { network: await this.store.read((tx) => this.toApi(tx, rec)), etag: etag(rec) };
    if (name.startsWith('veth')) throw ApiError.notFound('Network not found');
    const link = await this.ip.link(name);
    if (!link) throw ApiError.notFound('Network not found');
    const network = await this.store.read((tx) => this.unmanaged(tx, name, undefined));
    return { network, etag: etagOf(network.name, false, network.type, '', {}) };
  }

  private async unmanaged(tx: Tx, name: string, type: string | undefined): Promise<Network> {
    const link = await this.ip.link(name);
    const t = type ?? (link ? await unmanagedType(link) : 'unknown');
    return { name, description: '', type: t, managed: false, config: {}, status: '', locations: null, used_by: t === 'loopback' ? [] : await this.usedBy(tx, name) };
  }

  private async toApi(tx: Tx, rec: NetworkRecord): Promise<Network> {
    const healthy = await this.driver(rec.type).healthy(rec.name, rec.config).catch(() => false);
    return {
      name: rec.name,
      description: rec.description,
      type: rec.type,
      managed: true,
      config: rec.config,
      status: healthy ? 'Created' : 'Unavailable',
      locations: ['none'],
      used_by: await this.usedBy(tx, rec.name),
    };
  }

  /**
   * Profiles and instances whose devices refer to the network (instances through their expanded devices). As in LXD,
   * only those of projects that see the default project's networks: a project with features.networks=true has a
   * network list of its own, so a bridged nic there naming the bridge as its parent does not count.
   */
  async usedBy(tx: Tx, name: string): Promise<string[]> {
    const ownNetworks = new Set((await tx.projects.list(globalScope)).filter((p) => p.name !== 'default' && isTrue(p.config['features.networks'])).map((p) => p.name));
    const out: string[] = [];
    for (const { scope, value } of await tx.profiles.all()) {
      if (ownNetworks.has(scope)) continue;
      if (Object.values(value.devices).some((d) => nicUsesNetwork(d, name))) out.push(apiUrl(`/1.0/profiles/${seg(value.name)}`, scope));
    }
    for (const n of await this.nicsOn(tx, name)) {
      if (ownNetworks.has(n.project)) continue;
      const url = apiUrl(`/1.0/instances/${seg(n.instance)}`, n.project);
      if (!out.includes(url)) out.push(url);
    }
    return out;
  }

  /** Every instance nic on the network, with its instance's config. */
  async nicsOn(tx: Tx, name: string): Promise<NicOnNetwork[]> {
    const out: NicOnNetwork[] = [];
    for (const { scope, value } of await tx.instances.all()) {
      const profiles = await this.profiles.records(tx, scope, value.profiles).catch(() => []);
      const devices: Devices = expand(profiles, value).devices;
      for (const [device, nic] of Object.entries(devices)) {
        if (nicUsesNetwork(nic, name)) out.push({ project: scope, instance: value.name, device, nic, config: value.config });
      }
    }
    return out;
  }

  /** A managed network's state from its driver; otherwise, whatever the project, the host interface's, as in LXD. */
  async state(project: string, name: string): Promise<NetworkState> {
    const rec = await this.store.read((tx) => this.recordIn(tx, project, name));
    if (rec) return this.driver(rec.type).state(name, rec.config);
    const s = await interfaceState(this.ip, name);
    if (!s) throw ApiError.notFound(`Network interface "${name}" not found`);
    return s;
  }

  async leases(project: string, name: string): Promise<NetworkLease[]> {
    const rec = await this.mustIn(project, name);
    const nics = await this.store.read((tx) => this.nicsOn(tx, name));
    const leases: NetworkLease[] = [];
    // The gateway entries only for the network's own project, and without a location, as LXD 5.0.2 lists them.
    for (const key of project === 'default' ? ['ipv4.address', 'ipv6.address'] : []) {
      const c = parseCidr(rec.config[key] ?? '');
      if (c) leases.push({ hostname: `${name}.gw`, hwaddr: '', address: formatIp(c.family, c.address), type: 'gateway', location: '' });
    }
    const v6 = parseCidr(rec.config['ipv6.address'] ?? '');
    const macs = new Set<string>();
    for (const n of nics.filter((x) => x.project === project)) {
      const hwaddr = (n.nic.hwaddr || n.config[`volatile.${n.device}.hwaddr`] || '').toLowerCase();
      if (hwaddr) macs.add(hwaddr);
      for (const key of ['ipv4.address', 'ipv6.address']) {
        const addr = canonicalIp(n.nic[key] ?? '');
        if (addr) leases.push({ hostname: n.instance, hwaddr, address: addr, type: 'static', location: 'none' });
      }
      if (v6 && hwaddr && rec.config['ipv6.dhcp.stateful'] !== 'true') {
        const a = eui64(v6, hwaddr);
        if (a !== undefined) leases.push({ hostname: n.instance, hwaddr, address: formatIp(6, a), type: 'dynamic', location: 'none' });
      }
    }
    for (const l of await this.driver(rec.type).leases(name)) {
      if (leases.some((e) => e.hwaddr === l.hwaddr && e.address === l.address)) continue;
      if (l.hwaddr && !macs.has(l.hwaddr) && project !== 'default') continue;
      leases.push({ hostname: l.hostname, hwaddr: l.hwaddr, address: l.address, type: 'dynamic', location: 'none' });
    }
    return leases;
  }

  // ---- changes ----

  private async surroundings(except: string): Promise<NetworkSurroundings> {
    const others = (await this.records()).filter((r) => r.name !== except).map((r) => ({ name: r.name, type: r.type, config: r.config }));
    const ipv6 = (await readFile('/proc/sys/net/ipv6/conf/default/disable_ipv6', 'utf8').catch(() => '1')).trim() === '0';
    return { others, routes: await localRoutes(), ipv6 };
  }

  private checked(driver: NetworkDriver, name: string, config: Record<string, string>, env: NetworkSurroundings, creating: boolean): Record<string, string> {
    validateNetworkConfig(driver.schema, name, config);
    const filled = driver.fillConfig(name, config, env, creating);
    validateNetworkConfig(driver.schema, name, filled);
    driver.validate(name, filled, env);
    return filled;
  }

  /** Checks in LXD 5.0.2's order, so the same request fails with the same message: name, type, project, target, config. */
  async create(project: string, req: NetworksPost, opts: { lc: LifecycleOptions; target?: string }): Promise<void> {
    const name = req.name;
    if (!name) throw ApiError.badRequest('No name provided');
    const netProject = await this.store.read((tx) => this.networkProject(tx, project));
    // LXD's default type in a project with its own networks is ovn, which lodge does not have.
    const driver = this.driver(req.type || (netProject === 'default' ? 'bridge' : 'ovn'));
    const problem = networkNameProblem(name);
    if (problem) throw ApiError.badRequest(problem);
    if (netProject !== 'default') throw ApiError.badRequest('Network type does not support non-default projects');
    if (opts.target && opts.target !== localMember) throw ApiError.notFound('Cluster member not found');
    await this.lock.run('networks', async () => {
      if (await this.store.read((tx) => this.record(tx, name))) throw ApiError.badRequest('The network already exists');
      // Empty values are dropped before anything looks at the keys, so {"no.such": ""} is accepted, as by LXD.
      const config = this.checked(driver, name, withoutEmpty(req.config), await this.surroundings(name), true);
      if (await driver.interfaceExists(name)) throw ApiError.badRequest(`Network interface "${name}" already exists`);
      const rec: NetworkRecord = { name, type: driver.type, description: req.description ?? '', config };
      try {
        await driver.start(name, config);
        await this.store.tx(async (tx) => tx.networks.create(globalScope, name, rec));
      } catch (e) {
        await driver.delete(name, config).catch((err: Error) => this.log.warn('Failed to undo a network creation', { network: name, err: err.message }));
        throw wrap(e);
      }
    });
    this.events.lifecycle('default', 'network-created', `/1.0/networks/${seg(name)}`, opts.lc);
  }

  async update(project: string, name: string, put: Partial<NetworkPut>, opts: { patch: boolean; etag?: (c: string) => void; lc: LifecycleOptions }): Promise<void> {
    await this.lock.run('networks', async () => {
      const cur = await this.mustIn(project, name);
      opts.etag?.(etag(cur));
      const driver = this.driver(cur.type);
      // LXD checks the whole new config before dropping empty values: an empty value unsets a known key, but an
      // unknown key (the empty key too) is refused even without a value.
      const raw = opts.patch ? { ...cur.config, ...(put.config ?? {}) } : { ...(put.config ?? {}) };
      validateNetworkConfig(driver.schema, name, raw);
      const config = this.checked(driver, name, withoutEmpty(raw), await this.surroundings(name), false);
      const next: NetworkRecord = { ...cur, config, description: put.description ?? (opts.patch ? cur.description : '') };
      try {
        await driver.start(name, config);
      } catch (e) {
        await driver.start(name, cur.config).catch((err: Error) => this.log.error('Failed to restore a network after a failed update', { network: name, err: err.message }));
        throw wrap(e);
      }
      await this.store.tx(async (tx) => tx.networks.update(globalScope, name, next));
    });
    await this.refreshStaticHosts();
    this.events.lifecycle('default', 'network-updated', `/1.0/networks/${seg(name)}`, opts.lc);
  }

  async rename(project: string, name: string, to: string, lc: LifecycleOptions): Promise<void> {
    await this.lock.run('networks', async () => {
      const rec = await this.store.read(async (tx) => {
        const rec = await this.recordIn(tx, project, name);
        if (!rec) throw failedLoading();
        if (!to) throw ApiError.badRequest('New network name not provided');
        const problem = networkNameProblem(to);
        if (problem) throw ApiError.badRequest(problem);
        if ((await this.usedBy(tx, name)).length > 0) throw ApiError.badRequest('Network is currently in use');
        if (await this.record(tx, to)) throw ApiError.conflict(`Network "${to}" already exists`);
        return rec;
      });
      const driver = this.driver(rec.type);
      if (await driver.interfaceExists(to)) throw ApiError.badRequest(`Network interface "${to}" already exists`);
      await driver.delete(name, rec.config);
      try {
        await driver.start(to, rec.config);
        await this.store.tx(async (tx) => tx.networks.rename(globalScope, name, to, { ...rec, name: to }));
      } catch (e) {
        await driver.delete(to, rec.config).catch(() => undefined);
        await driver.start(name, rec.config).catch((err: Error) => this.log.error('Failed to restore a network after a failed rename', { network: name, err: err.message }));
        throw wrap(e);
      }
    });
    this.events.lifecycle('default', 'network-renamed', `/1.0/networks/${seg(to)}`, { ...lc, context: { old_name: name } });
  }

  async delete(project: string, name: string, lc: LifecycleOptions): Promise<void> {
    await this.lock.run('networks', async () => {
      const rec = await this.store.read(async (tx) => {
        const rec = await this.recordIn(tx, project, name);
        if (!rec) throw failedLoading();
        if ((await this.usedBy(tx, name)).length > 0) throw ApiError.badRequest('The network is currently in use');
        return rec;
      });
      await this.driver(rec.type).delete(name, rec.config);
      await this.store.tx(async (tx) => tx.networks.delete(globalScope, name));
    });
    this.events.lifecycle('default', 'network-deleted', `/1.0/networks/${seg(name)}`, lc);
  }

  // ---- static DHCP/DNS entries ----

  /** Rewrites every bridge's static entries from the instances' nics (debounced: calls during a run coalesce). */
  refreshStaticHosts(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        await this.writeStaticHosts().catch((e: Error) => this.log.warn('Failed to update static DHCP entries', { err: e.message }));
      } while (this.refreshAgain);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async writeStaticHosts(): Promise<void> {
    for (const rec of await this.records()) {
      const nics = await this.store.read((tx) => this.nicsOn(tx, rec.name));
      const hosts = new Map<string, string>();
      for (const n of nics) {
        const hwaddr = n.nic.hwaddr || n.config[`volatile.${n.device}.hwaddr`];
        if (!hwaddr) continue;
        const line = hostsLine(rec.config, hwaddr, n.nic['ipv4.address'], n.nic['ipv6.address'], dnsName(n.project, n.instance));
        if (line) hosts.set(staticFileName(n.project, n.instance, n.device), line);
      }
      await this.driver(rec.type).setStaticHosts(rec.name, rec.config, hosts);
    }
  }

  // ---- daemon start ----

  /** Brings every managed network back (bridge, addresses, rules; dnsmasq kept if it still runs as configured). */
  async startup(): Promise<void> {
    const known = (await this.records()).map((r) => r.name);
    for (const driver of Object.values(this.drivers)) {
      const swept = await driver.sweep?.(known).catch((e: Error) => {
        this.log.warn('Failed to remove leftovers of a network', { err: e.message });
        return [];
      });
      for (const name of swept ?? []) this.log.warn('Removed the leftovers of a network that has no record', { network: name });
    }
    for (const rec of await this.records()) {
      const driver = this.driver(rec.type);
      await this.lock
        .run('networks', async () => {
          await driver.start(rec.name, rec.config);
          // Running containers' veths go back on a bridge that had to be recreated.
          const nics = await this.store.read((tx) => this.nicsOn(tx, rec.name));
          const hostNames = nics.map((n) => n.nic.host_name || n.config[`volatile.${n.device}.host_name`]).filter((h): h is string => !!h);
          await driver.attach?.(rec.name, hostNames);
        })
        .catch((e: Error) => this.log.error('Failed to start a network', { network: rec.name, err: e.message }));
    }
    await this.refreshStaticHosts();
  }

  /**
   * On the first start with networking, as `lxd init` does by default: lodgebr0 with automatic subnets, and an eth0
   * nic on it in the default profile. Done once (remembered in the store), and only when no network exists.
   */
  async ensureDefault(): Promise<void> {
    const done = await this.store.read((tx) => tx.get<string>('meta/default-network'));
    if (done || (await this.records()).length > 0) return;
    try {
      await this.create('default', { name: defaultNetworkName, type: 'bridge', config: {}, description: '' }, { lc: {} });
    } catch (e) {
      this.log.warn('Could not create the default network', { network: defaultNetworkName, err: (e as Error).message });
      return;
    }
    const profile = await this.profiles.get('default', 'default').catch(() => undefined);
    if (profile && !Object.values(profile.profile.devices).some((d) => d.type === 'nic') && !profile.profile.devices.eth0) {
      await this.profiles.update('default', 'default', { devices: { eth0: { type: 'nic', name: 'eth0', network: defaultNetworkName } } }, { patch: true, lc: {} });
    }
    await this.store.tx(async (tx) => tx.put('meta/default-network', defaultNetworkName));
    this.log.info('Created the default network', { network: defaultNetworkName });
  }
}

function etag(rec: NetworkRecord): string {
  return etagOf(rec.name, true, rec.type, rec.description, rec.config);
}

function wrap(e: unknown): Error {
  if (e instanceof ApiError) return e;
  return ApiError.badRequest((e as Error).message);
}
