// Storage pool configuration keys, by driver.
import type { KeySchema } from './keys.js';
import { isAbsPath, isAny, isBool, isSize, optional } from './validators.js';

export const poolSchemas: Record<string, KeySchema> = {
  dir: {
    subject: 'storage pool',
    keys: {
      source: { validate: optional(isAbsPath), doc: 'Path to an existing directory' },
      'rsync.bwlimit': { validate: isAny, doc: 'Bandwidth limit for rsync transfers' },
      'rsync.compression': { validate: optional(isBool), doc: 'Compress rsync transfers' },
      'volume.size': { validate: optional(isSize), doc: 'Default volume size' },
    },
    patterns: [{ prefix: 'user.', validate: isAny, doc: 'Free-form user key' }],
  },
};

export const supportedPoolDrivers = Object.keys(poolSchemas);
