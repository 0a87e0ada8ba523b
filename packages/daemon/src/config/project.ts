// Project configuration keys: features.* decide which objects a project owns, limits.* cap its usage.
import type { KeySchema } from './keys.js';
import { isAny, isBool, isInt64, isSize, optional } from './validators.js';

export const projectFeatures = ['features.images', 'features.profiles', 'features.storage.volumes', 'features.networks'] as const;
export type ProjectFeature = (typeof projectFeatures)[number];

export const projectSchema: KeySchema = {
  subject: 'project',
  keys: {
    'features.images': { validate: optional(isBool), default: 'true', doc: 'Separate set of images and aliases' },
    'features.profiles': { validate: optional(isBool), default: 'true', doc: 'Separate set of profiles' },
    'features.storage.volumes': { validate: optional(isBool), default: 'true', doc: 'Separate set of storage volumes' },
    'features.networks': { validate: optional(isBool), default: 'false', doc: 'Separate set of networks' },
    'limits.containers': { validate: optional(isInt64), doc: 'Maximum number of containers' },
    'limits.instances': { validate: optional(isInt64), doc: 'Maximum number of instances' },
    'limits.cpu': { validate: optional(isInt64), doc: 'Maximum sum of limits.cpu' },
    'limits.memory': { validate: optional(isSize), doc: 'Maximum sum of limits.memory' },
    'limits.processes': { validate: optional(isInt64), doc: 'Maximum sum of limits.processes' },
    'limits.disk': { validate: optional(isSize), doc: 'Maximum disk space used by the project' },
    'images.auto_update_cached': { validate: optional(isBool), doc: 'Per-project override of the server key' },
    'images.auto_update_interval': { validate: optional(isInt64), doc: 'Per-project override of the server key' },
    'images.compression_algorithm': { validate: isAny, doc: 'Per-project override of the server key' },
    'images.remote_cache_expiry': { validate: optional(isInt64), doc: 'Per-project override of the server key' },
    restricted: { validate: optional(isBool), default: 'false', doc: 'Block access to security-sensitive features' },
  },
  patterns: [{ prefix: 'user.', validate: isAny, doc: 'Free-form user key' }],
};

/** Features new projects get when the creator does not say (LXD's defaults). */
export const newProjectFeatureDefaults: Record<string, string> = {
  'features.images': 'true',
  'features.profiles': 'true',
  'features.storage.volumes': 'true',
};
