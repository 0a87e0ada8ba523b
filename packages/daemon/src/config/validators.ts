// Value validators for config keys: each throws an Error saying what is wrong with the value.
import { isIP } from 'node:net';
import { parseByteSize } from './units.js';

export type Validator = (value: string) => void;

export const isAny: Validator = () => undefined;

export function optional(...validators: Validator[]): Validator {
  return (value) => {
    if (value === '') return;
    for (const v of validators) v(value);
  };
}

export const isBool: Validator = (value) => {
  if (!['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(value.toLowerCase())) {
    throw new Error(`Invalid value for a boolean "${value}"`);
  }
};

export function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['true', '1', 'yes', 'on'].includes(value.toLowerCase());
}

export const isInt64: Validator = (value) => {
  if (!/^-?\d+$/.test(value)) throw new Error(`Invalid value for an integer "${value}"`);
  const n = BigInt(value);
  if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) throw new Error(`Invalid value for an integer "${value}"`);
};

export const isUint32: Validator = (value) => {
  if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) {
    throw new Error(`Invalid value for uint32 "${value}"`);
  }
};

export function isInRange(min: number, max: number): Validator {
  return (value) => {
    isInt64(value);
    const n = Number(value);
    if (n < min || n > max) throw new Error(`Value must be between ${min} and ${max}`);
  };
}

export const isPriority = isInRange(0, 10);

export function isOneOf(...valid: string[]): Validator {
  return (value) => {
    if (!valid.includes(value)) throw new Error(`Invalid value "${value}" (not one of ${JSON.stringify(valid)})`);
  };
}

export const isNotEmpty: Validator = (value) => {
  if (value === '') throw new Error('Required value');
};

export const isSize: Validator = (value) => {
  parseByteSize(value);
};

export const isSizeOrPercent: Validator = (value) => {
  if (value.endsWith('%')) {
    const n = value.slice(0, -1);
    if (!/^\d+$/.test(n)) throw new Error(`Invalid percentage "${value}"`);
    if (Number(n) === 0) throw new Error("Memory limit can't be 0%");
    return;
  }
  if (parseByteSize(value) === 0) throw new Error("Memory limit can't be 0");
};

/** "2" (a count) or "0-1,3" (a set of CPU ids). */
export const isCpuSet: Validator = (value) => {
  if (/^\d+$/.test(value)) {
    if (Number(value) === 0) throw new Error('CPU limit must be at least 1');
    return;
  }
  for (const chunk of value.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(chunk);
    if (!m) throw new Error(`Invalid CPU set "${value}"`);
    if (m[2] !== undefined && Number(m[2]) < Number(m[1])) throw new Error(`Invalid CPU range "${chunk}"`);
  }
};

/** "50%" or "25ms/100ms". */
export const isCpuAllowance: Validator = (value) => {
  if (/^\d+%$/.test(value)) {
    const n = Number(value.slice(0, -1));
    if (n < 1 || n > 100) throw new Error('Allowance percentage must be between 1 and 100');
    return;
  }
  const m = /^(\d+)ms\/(\d+)ms$/.exec(value);
  if (!m) throw new Error(`Invalid allowance "${value}" (want "N%" or "Nms/Mms")`);
  if (Number(m[2]) === 0) throw new Error('Allowance period must be above 0');
};

export const isUUID: Validator = (value) => {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    throw new Error(`Invalid UUID "${value}"`);
  }
};

export const isAbsPath: Validator = (value) => {
  if (!value.startsWith('/')) throw new Error(`Not an absolute path "${value}"`);
};

export const isNetworkMAC: Validator = (value) => {
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(value)) throw new Error(`Invalid MAC address "${value}"`);
};

export const isIPv4: Validator = (value) => {
  if (isIP(value) !== 4) throw new Error(`Not an IPv4 address "${value}"`);
};

export const isIPv6: Validator = (value) => {
  if (isIP(value) !== 6) throw new Error(`Not an IPv6 address "${value}"`);
};

export const isInterfaceName: Validator = (value) => {
  if (value.length < 1 || value.length > 15 || /[\s/:]/.test(value) || value === '.' || value === '..') {
    throw new Error(`Invalid interface name "${value}"`);
  }
};

export const isCompressionAlgorithm: Validator = (value) => {
  const tool = value.split(' ')[0] ?? '';
  if (!['gzip', 'xz', 'bzip2', 'lzma', 'zstd', 'lz4', 'none', 'squashfs'].includes(tool)) {
    throw new Error(`Unsupported compression algorithm "${value}"`);
  }
};

/** host:port, [v6]:port or host; the port is optional unless required. */
export function isListenAddress(requirePort: boolean): Validator {
  return (value) => {
    const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(value);
    if (!m) throw new Error(`Invalid listen address "${value}"`);
    const port = m[3];
    if (requirePort && port === undefined) throw new Error(`Missing port in "${value}"`);
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) throw new Error(`Invalid port in "${value}"`);
    if (m[1] !== undefined && isIP(m[1]) !== 6) throw new Error(`Invalid IPv6 address in "${value}"`);
  };
}

const cronAliases = ['@hourly', '@daily', '@midnight', '@weekly', '@monthly', '@annually', '@yearly', '@startup', '@never'];

/** Five-field cron specs (comma separated for several), or the @-aliases LXD accepts. */
export const isCron: Validator = (value) => {
  for (const spec of value.split(',').map((s) => s.trim())) {
    if (cronAliases.includes(spec)) continue;
    const fields = spec.split(/\s+/);
    if (fields.length !== 5 || !fields.every((f) => /^[\d*/,\-A-Za-z]+$/.test(f))) {
      throw new Error(`Schedule must be of the form: <minute> <hour> <day-of-month> <month> <day-of-week>`);
    }
  }
};

/** "1d", "2w 3H" style expiries: units M, H, d, w, m, y. */
export const isExpiry: Validator = (value) => {
  for (const part of value.trim().split(/\s+/)) {
    if (!/^\d+[MHdwmy]$/.test(part)) throw new Error(`Invalid expiry expression "${value}"`);
  }
};
