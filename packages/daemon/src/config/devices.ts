// Device validation: one key table per device type; unknown types and keys are refused by name.
import { ApiError, type Devices } from '@lodge/api';
import type { Validator } from './validators.js';
import {
  isAbsPath,
  isAny,
  isBool,
  isInt64,
  isInterfaceName,
  isIPv4,
  isIPv6,
  isNetworkMAC,
  isOneOf,
  isSize,
  isUint32,
  optional,
} from './validators.js';

type DeviceRules = Record<string, Validator>;

const unixRules: DeviceRules = {
  source: optional(isAbsPath),
  path: optional(isAbsPath),
  major: optional(isInt64),
  minor: optional(isInt64),
  uid: optional(isUint32),
  gid: optional(isUint32),
  mode: optional((v) => {
    if (!/^0?[0-7]{3,4}$/.test(v)) throw new Error(`Invalid mode "${v}"`);
  }),
  required: optional(isBool),
};

const limitRate: Validator = (v) => {
  if (!/^\d+(\.\d+)?([kMGT]?bit|[kMGT]?B)?$/.test(v)) throw new Error(`Invalid rate "${v}"`);
};

export const deviceRules: Record<string, DeviceRules> = {
  none: {},
  disk: {
    path: isAny,
    source: isAny,
    pool: isAny,
    size: optional(isSize),
    readonly: optional(isBool),
    required: optional(isBool),
    optional: optional(isBool),
    recursive: optional(isBool),
    shift: optional(isBool),
    propagation: optional(isOneOf('private', 'shared', 'slave', 'unbindable', 'rshared', 'rslave', 'runbindable', 'rprivate')),
    'raw.mount.options': isAny,
    'boot.priority': optional(isUint32),
    'limits.read': isAny,
    'limits.write': isAny,
    'limits.max': isAny,
  },
  nic: {
    nictype: optional(isOneOf('bridged', 'macvlan', 'p2p', 'physical')),
    network: isAny,
    parent: isAny,
    name: optional(isInterfaceName),
    hwaddr: optional(isNetworkMAC),
    mtu: optional(isInt64),
    host_name: optional(isInterfaceName),
    'ipv4.address': optional(isIPv4),
    'ipv6.address': optional(isIPv6),
    'ipv4.routes': isAny,
    'ipv6.routes': isAny,
    'limits.ingress': optional(limitRate),
    'limits.egress': optional(limitRate),
    'limits.max': optional(limitRate),
    'security.mac_filtering': optional(isBool),
    'boot.priority': optional(isUint32),
    mode: optional(isOneOf('bridge', 'vepa', 'passthru', 'private')),
  },
  'unix-char': unixRules,
  'unix-block': unixRules,
};

/** LXD's device name rule. */
export function validateDeviceName(name: string): void {
  if (name.length < 1 || name.length > 63) throw ApiError.badRequest(`Invalid device name "${name}": must be 1-63 characters long`);
  if (name.startsWith('.')) throw ApiError.badRequest(`Invalid device name "${name}": must not start with "."`);
  if (!/^[/.\-:_a-zA-Z0-9]+$/.test(name)) {
    throw ApiError.badRequest(`Invalid device name "${name}": only alphanumeric, "/", "-", ":", "_" and "." are allowed`);
  }
}

function validateDeviceKeys(name: string, dev: Record<string, string>): void {
  const type = dev.type;
  if (!type) throw ApiError.badRequest(`Device "${name}": missing device type`);
  const rules = deviceRules[type];
  if (!rules) throw ApiError.badRequest(`Device "${name}": unsupported device type "${type}"`);
  for (const [key, value] of Object.entries(dev)) {
    if (key === 'type') continue;
    if (typeof value !== 'string') throw ApiError.badRequest(`Device "${name}": value of "${key}" must be a string`);
    const rule = key.startsWith('user.') ? isAny : rules[key];
    if (!rule) throw ApiError.badRequest(`Device "${name}": invalid device option "${key}" for type "${type}"`);
    try {
      rule(value);
    } catch (e) {
      throw ApiError.badRequest(`Device "${name}": invalid value for "${key}": ${(e as Error).message}`);
    }
  }
}

function validateDeviceShape(name: string, dev: Record<string, string>): void {
  if (dev.type === 'disk') {
    if (!dev.path) throw ApiError.badRequest(`Device "${name}": disk devices need a "path"`);
    if (dev.path === '/' && !dev.pool) throw ApiError.badRequest(`Device "${name}": the root disk needs a "pool"`);
    if (dev.path !== '/' && !dev.source) throw ApiError.badRequest(`Device "${name}": disk devices other than the root need a "source"`);
    if (dev.path !== '/' && dev.size) throw ApiError.badRequest(`Device "${name}": "size" only applies to the root disk or pool volumes`);
  }
  if ((dev.type === 'unix-char' || dev.type === 'unix-block') && !dev.source && !dev.path) {
    throw ApiError.badRequest(`Device "${name}": unix devices need a "source" or a "path"`);
  }
  if (dev.type === 'nic' && !dev.network && !dev.nictype) {
    throw ApiError.badRequest(`Device "${name}": nic devices need a "network" or a "nictype"`);
  }
  if (dev.type === 'nic' && !dev.network && dev.nictype !== 'p2p' && !dev.parent) {
    throw ApiError.badRequest(`Device "${name}": nic devices of nictype "${dev.nictype}" need a "parent"`);
  }
  if (dev.type === 'nic' && dev.network && (dev.nictype || dev.parent)) {
    throw ApiError.badRequest(`Device "${name}": "network" cannot be combined with "nictype" or "parent"`);
  }
}

/** Validates a devices map: names, types, keys and values. Semantic checks (paths exist) come later. */
export function validateDevices(devices: Devices | null | undefined): void {
  if (!devices) return;
  if (typeof devices !== 'object' || Array.isArray(devices)) throw ApiError.badRequest('Devices must be a map');
  const roots = Object.entries(devices).filter(([, d]) => d?.type === 'disk' && d.path === '/');
  if (roots.length > 1) throw ApiError.badRequest('More than one root disk device');
  for (const [name, dev] of Object.entries(devices)) {
    validateDeviceName(name);
    if (!dev || typeof dev !== 'object' || Array.isArray(dev)) throw ApiError.badRequest(`Device "${name}" must be a map`);
    validateDeviceKeys(name, dev);
    validateDeviceShape(name, dev);
  }
}
