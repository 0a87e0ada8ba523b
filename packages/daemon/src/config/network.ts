// Network configuration keys, by network type (LXD 5.0's names and defaults), and the network name rule.
import { checkAddress, checkHostCidr, checkRange, checkSubnet, listOf } from '../util/ip.js';
import { ApiError } from '@lodge/api';
import { findRule, type KeyRule, type KeySchema, type PatternRule } from './keys.js';
import { isAny, isBool, isInRange, isInterfaceName, isNetworkMAC, isOneOf, optional, type Validator } from './validators.js';

const notYet = (what: string): KeyRule => ({ validate: isAny, doc: what, unsupported: `${what} is not implemented by lodge` });

/** "none", "auto" or an address with its prefix (the gateway address of the bridge). */
function addressOrAuto(family: 4 | 6): Validator {
  const cidr = checkHostCidr(family);
  return optional((v) => {
    if (v === 'none' || v === 'auto') return;
    cidr(v);
  });
}

const isMtu: Validator = isInRange(68, 65535);

/** dnsmasq lease times: a number of seconds, or with a unit m/h/d/w, or "infinite". */
const isExpiry: Validator = optional((v) => {
  if (!/^(\d+[smhdw]?|infinite)$/.test(v)) throw new Error(`Invalid lease time "${v}" (e.g. 1h, 30m, 2d, infinite)`);
});

const userKeys: PatternRule = { prefix: 'user.', validate: isAny, doc: 'Free-form user key' };

const notYetPatterns: PatternRule[] = ['tunnel.', 'fan.', 'bgp.', 'security.acls', 'dns.zone.', 'maas.', 'ipv4.ovn.', 'ipv6.ovn.'].map((prefix) => ({
  prefix,
  // An empty value unsets the key, which is never refused.
  validate: optional(() => {
    throw new Error(`the ${prefix}* keys are not implemented by lodge`);
  }),
  doc: 'Not implemented by lodge',
}));

export const bridgeSchema: KeySchema = {
  subject: 'network',
  keys: {
    'bridge.driver': { validate: optional(isOneOf('native')), default: 'native', doc: 'Bridge driver (only the native Linux bridge)' },
    'bridge.external_interfaces': { validate: optional(listOf(isInterfaceName)), doc: 'Unconfigured host interfaces to add to the bridge' },
    'bridge.hwaddr': { validate: optional(isNetworkMAC), doc: 'MAC address of the bridge' },
    'bridge.mtu': { validate: optional(isMtu), default: '1500', doc: 'Bridge MTU' },
    'bridge.mode': { validate: optional(isOneOf('standard')), default: 'standard', doc: 'Bridge mode (fan mode is not supported)' },
    'ipv4.address': { validate: addressOrAuto(4), doc: 'IPv4 address of the bridge with its prefix, "auto" or "none"' },
    'ipv4.firewall': { validate: optional(isBool), default: 'true', doc: 'Generate filtering rules (DHCP, DNS, forwarding) for this network' },
    'ipv4.nat': { validate: optional(isBool), default: 'false', doc: 'NAT (masquerade) traffic leaving the subnet' },
    'ipv4.nat.order': { validate: optional(isOneOf('before', 'after')), default: 'before', doc: 'Place the NAT rules before or after existing ones' },
    'ipv4.nat.address': { validate: optional(checkAddress(4)), doc: 'Source address for outbound NAT (SNAT instead of masquerade)' },
    'ipv4.dhcp': { validate: optional(isBool), default: 'true', doc: 'Run a DHCPv4 server' },
    'ipv4.dhcp.gateway': { validate: optional(checkAddress(4)), doc: 'Gateway address handed out by DHCP' },
    'ipv4.dhcp.expiry': { validate: isExpiry, default: '1h', doc: 'DHCP lease time' },
    'ipv4.dhcp.ranges': { validate: optional(listOf(checkRange(4))), doc: 'Comma-separated START-END ranges for DHCP' },
    'ipv4.routes': { validate: optional(listOf(checkSubnet(4))), doc: 'Extra IPv4 subnets routed to the bridge' },
    'ipv4.routing': { validate: optional(isBool), default: 'true', doc: 'Route (forward) traffic in and out of the bridge' },
    'ipv6.address': { validate: addressOrAuto(6), doc: 'IPv6 address of the bridge with its prefix, "auto" or "none"' },
    'ipv6.firewall': { validate: optional(isBool), default: 'true', doc: 'Generate filtering rules for this network' },
    'ipv6.nat': { validate: optional(isBool), default: 'false', doc: 'NAT (masquerade) traffic leaving the subnet' },
    'ipv6.nat.order': { validate: optional(isOneOf('before', 'after')), default: 'before', doc: 'Place the NAT rules before or after existing ones' },
    'ipv6.nat.address': { validate: optional(checkAddress(6)), doc: 'Source address for outbound NAT' },
    'ipv6.dhcp': { validate: optional(isBool), default: 'true', doc: 'Provide extra information over DHCPv6' },
    'ipv6.dhcp.expiry': { validate: isExpiry, default: '1h', doc: 'DHCPv6 lease time' },
    'ipv6.dhcp.stateful': { validate: optional(isBool), default: 'false', doc: 'Allocate addresses with DHCPv6 (else SLAAC)' },
    'ipv6.dhcp.ranges': { validate: optional(listOf(checkRange(6))), doc: 'Comma-separated START-END ranges for stateful DHCPv6' },
    'ipv6.routes': { validate: optional(listOf(checkSubnet(6))), doc: 'Extra IPv6 subnets routed to the bridge' },
    'ipv6.routing': { validate: optional(isBool), default: 'true', doc: 'Route (forward) traffic in and out of the bridge' },
    'dns.domain': { validate: isAny, default: 'lxd', doc: 'Domain for DHCP clients and DNS names' },
    'dns.mode': { validate: optional(isOneOf('dynamic', 'managed', 'none')), default: 'managed', doc: 'DNS registration: managed (instance names), dynamic (client names) or none' },
    'dns.search': { validate: isAny, doc: 'Search domains handed out by DHCP' },
    'raw.dnsmasq': { validate: isAny, doc: 'Extra dnsmasq configuration lines' },
  },
  patterns: [userKeys, ...notYetPatterns],
};

export const macvlanSchema: KeySchema = {
  subject: 'network',
  keys: {
    parent: { validate: isInterfaceName, doc: 'Host interface the macvlan devices are created on' },
    mtu: { validate: optional(isMtu), doc: 'MTU of the new interfaces' },
    vlan: notYet('VLAN parents for macvlan networks'),
    gvrp: notYet('GVRP'),
    'maas.subnet.ipv4': notYet('MAAS'),
    'maas.subnet.ipv6': notYet('MAAS'),
  },
  patterns: [userKeys],
};

export const networkSchemas: Record<string, KeySchema> = { bridge: bridgeSchema, macvlan: macvlanSchema };

export const networkTypes = Object.keys(networkSchemas);

/** Network types LXD 5.0 knows; those lodge has no driver for get a clearer refusal than LXD's "Unknown driver". */
export const lxdNetworkTypes = ['bridge', 'macvlan', 'sriov', 'ovn', 'physical'];

/**
 * LXD 5.0's name rule (its interface-name check, with its messages), plus what lodge refuses on top although LXD
 * 5.0.2 accepts it: "none", names starting with "-" (`ip` would read them as options) and "..", which the kernel refuses.
 */
export function networkNameProblem(name: string): string | undefined {
  if (!name) return 'No name provided';
  if (name.length < 2) return 'Network interface is too short (minimum 2 characters)';
  if (name.length > 15) return 'Network interface is too long (maximum 15 characters)';
  if (!/^[-_a-zA-Z0-9.]*$/.test(name)) return 'Network interface contains invalid characters';
  if (name === 'none') return 'Network name "none" is reserved';
  if (name.startsWith('-')) return 'Network name cannot start with "-"';
  if (name === '..') return 'Network interface contains invalid characters';
  return undefined;
}

/**
 * Checks a network's config as LXD does, with its messages: the value of every known key first (an empty value is
 * allowed wherever the key is optional), then any key without a rule, the empty key included. "user." keys are free.
 */
export function validateNetworkConfig(schema: KeySchema, network: string, config: Record<string, string>): void {
  let unknown: string | undefined;
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith('user.')) continue;
    const rule = findRule(schema, key);
    if (!rule) {
      unknown ??= key;
      continue;
    }
    try {
      if (typeof value !== 'string') throw new Error('must be a string');
      if ('unsupported' in rule && rule.unsupported && value !== '') throw new Error(rule.unsupported);
      rule.validate(value);
    } catch (e) {
      throw ApiError.badRequest(`Invalid value for network "${network}" option "${key}": ${(e as Error).message}`);
    }
  }
  if (unknown !== undefined) throw ApiError.badRequest(`Invalid option for network "${network}" option "${unknown}"`);
}
