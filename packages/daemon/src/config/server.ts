// Server configuration keys (GET/PUT /1.0 "config").
import type { KeyRule, KeySchema } from './keys.js';
import { isAny, isBool, isCompressionAlgorithm, isInt64, isListenAddress, optional, type Validator } from './validators.js';

/**
 * Hours or days for the image cache keys: LXD takes integers; lodge also takes decimals (0.001 hours),
 * which lets a test see a refresh or an expiry without waiting hours.
 */
export const isImagePeriod: Validator = (value) => {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new Error(`Invalid value "${value}" (a non-negative number is expected)`);
};

/** LXD's expiry expressions for tokens: "1d 2H", units S M H d w m y, each at most once. */
const isTokenExpiry: KeyRule['validate'] = (value) => {
  const units = value.trim().split(' ').filter((p) => p !== '').map((p) => /^\d+([SMHdwmy])$/.exec(p)?.[1]);
  if (units.some((u) => u === undefined) || new Set(units).size !== units.length) throw new Error(`Invalid expiry expression "${value}"`);
};

const notYet = (what: string): KeyRule => ({ validate: isAny, doc: what, unsupported: `${what} is not implemented by lodge` });

export const serverSchema: KeySchema = {
  subject: 'server',
  keys: {
    'core.https_address': { validate: optional(isListenAddress(false)), doc: 'Address to bind for the remote API (HTTPS)', live: true },
    'core.trust_password': { validate: isAny, doc: 'Password to be provided by clients to set up a trust', live: true },
    'core.remote_token_expiry': { validate: optional(isTokenExpiry), doc: 'Time after which a remote add token expires ("1d", "2H")', live: true },
    'core.proxy_http': { validate: isAny, doc: 'HTTP proxy to use' },
    'core.proxy_https': { validate: isAny, doc: 'HTTPS proxy to use' },
    'core.proxy_ignore_hosts': { validate: isAny, doc: 'Hosts which do not need the proxy' },
    'core.shutdown_timeout': { validate: optional(isInt64), default: '5', doc: 'Minutes to wait for operations on shutdown' },
    'images.auto_update_cached': { validate: optional(isBool), default: 'true', doc: 'Whether to auto-update cached images' },
    'images.auto_update_interval': { validate: optional(isImagePeriod), default: '6', doc: 'Hours between refreshes of images with auto_update (0 disables)' },
    'images.compression_algorithm': { validate: optional(isCompressionAlgorithm), default: 'gzip', doc: 'Compression for new images' },
    'images.remote_cache_expiry': { validate: optional(isImagePeriod), default: '10', doc: 'Days after which unused cached images are removed (0 keeps them)' },
    'backups.compression_algorithm': { validate: optional(isCompressionAlgorithm), default: 'gzip', doc: 'Compression for new backups' },
    'core.bgp_address': notYet('BGP'),
    'core.bgp_asn': notYet('BGP'),
    'core.bgp_routerid': notYet('BGP'),
    'core.debug_address': notYet('The debug (pprof) listener'),
    'core.dns_address': notYet('The authoritative DNS server'),
    'core.metrics_address': notYet('A separate metrics listener'),
    'core.https_trusted_proxy': notYet('Trusted proxies'),
    'core.trust_ca_certificates': notYet('PKI mode'),
    'images.default_architecture': notYet('A default image architecture'),
    'storage.backups_volume': notYet('Storing backups on a custom volume'),
    'storage.images_volume': notYet('Storing images on a custom volume'),
    'lodge.default_network': { validate: optional(isBool), default: 'true', doc: 'Create lodgebr0 on first start when no network exists' },
  },
  patterns: [
    { prefix: 'user.', validate: isAny, doc: 'Free-form user key' },
    ...['maas.', 'candid.', 'rbac.', 'cluster.', 'network.ovn.', 'core.https_allowed_'].map((prefix) => ({
      prefix,
      validate: () => {
        throw new Error(`the ${prefix}* keys are not implemented by lodge`);
      },
      doc: 'Not implemented by lodge',
    })),
  ],
};
