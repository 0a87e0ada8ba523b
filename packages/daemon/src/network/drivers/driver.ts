// The contract of a network driver: plain config in, host state out; never the database, events or http.
import type { NetworkState } from '@lodge/api';
import type { KeySchema } from '../../config/keys.js';
import type { Lease } from '../dnsmasq.js';
import type { Route } from '../subnet.js';

export interface OtherNetwork {
  name: string;
  type: string;
  config: Record<string, string>;
}

/** What a driver may look at when filling in and checking a config (all read by the service beforehand). */
export interface NetworkSurroundings {
  /** The other managed networks. */
  others: OtherNetwork[];
  /** Routes of the host namespace (only consulted, never probed). */
  routes: Route[];
  /** Whether the kernel has IPv6 enabled by default. */
  ipv6: boolean;
}

export interface NetworkDriver {
  readonly type: string;
  readonly schema: KeySchema;
  /** Defaults and "auto" values for a new network (create: defaults too; update: only "auto"). */
  fillConfig(name: string, config: Record<string, string>, env: NetworkSurroundings, creating: boolean): Record<string, string>;
  /** Checks across keys and against the surroundings (subnet overlaps, ranges inside the subnet); throws 400. */
  validate(name: string, config: Record<string, string>, env: NetworkSurroundings): void;
  /** Whether a host interface of that name exists (a new network may not take it). */
  interfaceExists(name: string): Promise<boolean>;
  /** Brings the network to the config: idempotent, used at create, update and daemon start. */
  start(name: string, config: Record<string, string>): Promise<void>;
  /** Takes everything down (bridge, processes, rules) and removes its files. */
  delete(name: string, config: Record<string, string>): Promise<void>;
  state(name: string, config: Record<string, string>): Promise<NetworkState>;
  leases(name: string): Promise<Lease[]>;
  /** The static DHCP/DNS entries (file name -> dhcp-host line) of the nics on this network. */
  setStaticHosts(name: string, config: Record<string, string>, hosts: Map<string, string>): Promise<void>;
  /** Removes what a crash in the middle of a create or delete left of networks that have no record; optional. */
  sweep?(known: string[]): Promise<string[]>;
  /** Puts existing host-side nic interfaces back on the network (after the bridge was recreated); optional. */
  attach?(name: string, interfaces: string[]): Promise<void>;
  /** Whether the running parts match what start() makes (bridge, dnsmasq, rules), for status. */
  healthy(name: string, config: Record<string, string>): Promise<boolean>;
}
