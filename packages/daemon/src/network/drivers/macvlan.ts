// The macvlan network type: nothing on the host but a parent interface; nics on it become macvlan devices.
import type { NetworkState } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { macvlanSchema } from '../../config/network.js';
import type { Runner } from '../../sys/runner.js';
import type { Lease } from '../dnsmasq.js';
import { interfaceState } from '../host.js';
import { IpTool } from '../netlink.js';
import type { NetworkDriver } from './driver.js';

export class MacvlanDriver implements NetworkDriver {
  readonly type = 'macvlan';
  readonly schema = macvlanSchema;
  private readonly ip: IpTool;

  constructor(runner: Runner) {
    this.ip = new IpTool(runner);
  }

  fillConfig(_name: string, config: Record<string, string>): Record<string, string> {
    return { ...config };
  }

  validate(name: string, config: Record<string, string>): void {
    if (!config.parent) throw ApiError.badRequest(`Invalid value for network "${name}" option "parent": Required value`);
  }

  async interfaceExists(): Promise<boolean> {
    // A macvlan network creates no interface of its own name.
    return false;
  }

  async start(_name: string, config: Record<string, string>): Promise<void> {
    if (!(await this.ip.exists(config.parent!))) throw ApiError.badRequest(`Parent interface "${config.parent}" not found`);
  }

  async delete(): Promise<void> {
    // Nothing to remove on the host.
  }

  async state(_name: string, config: Record<string, string>): Promise<NetworkState> {
    const s = await interfaceState(this.ip, config.parent!);
    if (!s) throw ApiError.notFound(`Parent interface "${config.parent}" not found`);
    return s;
  }

  async leases(): Promise<Lease[]> {
    return [];
  }

  async setStaticHosts(): Promise<void> {
    // No DHCP server of ours on a macvlan network.
  }

  async healthy(_name: string, config: Record<string, string>): Promise<boolean> {
    return this.ip.exists(config.parent!);
  }
}
