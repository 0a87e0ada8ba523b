// Server configuration keys (GET/PUT /1.0 "config").
import type { KeySchema } from './keys.js';
import { isAny, isBool, isCompressionAlgorithm, isInt64, isListenAddress, optional } from './validators.js';

export const serverSchema: KeySchema = {
  subject: 'server',
  keys: {
    'core.https_address': { validate: optional(isListenAddress(false)), doc: 'Address to bind for the remote API (HTTPS)', live: true },
    'core.trust_password': { validate: isAny, doc: 'Password to be provided by clients to set up a trust' },
    'core.remote_token_expiry': { validate: optional(isAny), doc: 'Time after which a remote add token expires' },
    'core.proxy_http': { validate: isAny, doc: 'HTTP proxy to use' },
    'core.proxy_https': { validate: isAny, doc: 'HTTPS proxy to use' },
    'core.proxy_ignore_hosts': { validate: isAny, doc: 'Hosts which do not need the proxy' },
    'core.shutdown_timeout': { validate: optional(isInt64), default: '5', doc: 'Minutes to wait for operations on shutdown' },
    'images.auto_update_cached': { validate: optional(isBool), default: 'true', doc: 'Whether to auto-update cached images' },
    'images.auto_update_interval': { validate: optional(isInt64), default: '6', doc: 'Hours between image refreshes (0 disables)' },
    'images.compression_algorithm': { validate: optional(isCompressionAlgorithm), default: 'gzip', doc: 'Compression for new images' },
    'images.remote_cache_expiry': { validate: optional(isInt64), default: '10', doc: 'Days after which unused cached images are removed' },
    'lodge.default_network': { validate: optional(isBool), default: 'true', doc: 'Create lodgebr0 on first start when no network exists' },
  },
  patterns: [{ prefix: 'user.', validate: isAny, doc: 'Free-form user key' }],
};
