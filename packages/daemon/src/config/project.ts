// Project configuration keys: features.* decide which objects a project owns, limits.* cap its usage.
import type { KeyRule, KeySchema } from './keys.js';
import { isImagePeriod } from './server.js';
import { isAny, isBool, isInt64, optional } from './validators.js';

export const projectFeatures = ['features.images', 'features.profiles', 'features.storage.volumes', 'features.networks'] as const;
export type ProjectFeature = (typeof projectFeatures)[number];

const notEnforced = (what: string): KeyRule => ({ validate: isAny, doc: what, unsupported: `${what} is not enforced by lodge yet` });

/** "restricted" may only be false: accepting true without enforcing it would be a false promise. */
const restrictedFalse = (v: string): void => {
  isBool(v);
  if (['true', '1', 'yes', 'on'].includes(v.toLowerCase())) throw new Error('project restrictions are not enforced by lodge yet');
};

export const projectSchema: KeySchema = {
  subject: 'project',
  keys: {
    'features.images': { validate: optional(isBool), default: 'true', doc: 'Separate set of images and aliases' },
    'features.profiles': { validate: optional(isBool), default: 'true', doc: 'Separate set of profiles' },
    'features.storage.volumes': { validate: optional(isBool), default: 'true', doc: 'Separate set of storage volumes' },
    'features.networks': { validate: optional(isBool), default: 'false', doc: 'Separate set of networks' },
    'limits.containers': { validate: optional(isInt64), doc: 'Maximum number of containers' },
    'limits.instances': { validate: optional(isInt64), doc: 'Maximum number of instances' },
    'limits.cpu': notEnforced('limits.cpu for projects'),
    'limits.memory': notEnforced('limits.memory for projects'),
    'limits.processes': notEnforced('limits.processes for projects'),
    'limits.disk': notEnforced('limits.disk for projects'),
    'limits.networks': notEnforced('limits.networks'),
    'limits.virtual-machines': notEnforced('limits.virtual-machines'),
    'backups.compression_algorithm': { validate: isAny, doc: 'Per-project override of the server key' },
    'images.default_architecture': notEnforced('images.default_architecture'),
    'images.auto_update_cached': { validate: optional(isBool), doc: 'Per-project override of the server key' },
    'images.auto_update_interval': { validate: optional(isImagePeriod), doc: 'Per-project override of the server key' },
    'images.compression_algorithm': { validate: isAny, doc: 'Per-project override of the server key' },
    'images.remote_cache_expiry': { validate: optional(isImagePeriod), doc: 'Per-project override of the server key' },
    restricted: { validate: optional(restrictedFalse), default: 'false', doc: 'Block access to security-sensitive features' },
  },
  patterns: [
    { prefix: 'user.', validate: isAny, doc: 'Free-form user key' },
    {
      prefix: 'restricted.',
      validate: () => {
        throw new Error('project restrictions are not enforced by lodge yet');
      },
      doc: 'Not enforced by lodge',
    },
  ],
};

/** Features new projects get when the creator does not say (LXD's defaults). */
export const newProjectFeatureDefaults: Record<string, string> = {
  'features.images': 'true',
  'features.profiles': 'true',
  'features.storage.volumes': 'true',
};
