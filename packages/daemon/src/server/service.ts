// Server: GET /1.0 information and the server config (validated, hashed secrets, change hooks).
import { randomBytes, scrypt as scryptCb } from 'node:crypto';
import { promisify } from 'node:util';
import type { Server, ServerUntrusted } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { validateConfig, withoutEmpty } from '../config/keys.js';
import { serverSchema } from '../config/server.js';
import type { Store } from '../db/store.js';
import type { EventHub, LifecycleOptions } from '../events/hub.js';
import { supportedExtensions } from '../extensions.js';
import type { HostInfo } from '../sys/host.js';
import { etagOf } from '../util/etag.js';
import type { ServerCertificate } from './certificate.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;

export const serverVersion = '0.1.0';

export type ConfigHook = (next: Record<string, string>, prev: Record<string, string>) => Promise<void>;

export interface ServerDeps {
  store: Store;
  events: EventHub;
  host: HostInfo;
  certificate: ServerCertificate;
  storageDrivers: () => { Name: string; Version: string; Remote: boolean }[];
  addresses: () => string[];
}

export class ServerService {
  private readonly hooks: ConfigHook[] = [];

  constructor(private readonly d: ServerDeps) {}

  /** Runs after a config change is stored; a failing hook rolls the change back. */
  onConfigChange(fn: ConfigHook): void {
    this.hooks.push(fn);
  }

  async config(): Promise<Record<string, string>> {
    return this.d.store.read((tx) => tx.serverConfig());
  }

  /** The server certificate and key: what HTTPS serves, and what this daemon presents to other servers. */
  get certificate(): ServerCertificate {
    return this.d.certificate;
  }

  untrusted(): ServerUntrusted {
    return { api_extensions: supportedExtensions, api_status: 'stable', api_version: '1.0', auth: 'untrusted', public: false, auth_methods: ['tls'] };
  }

  async info(project: string): Promise<{ server: Server; etag: string }> {
    const config = await this.config();
    const shown: Record<string, string | boolean> = { ...config };
    if (shown['core.trust_password']) shown['core.trust_password'] = true;
    const h = this.d.host;
    const server: Server = {
      config: shown,
      ...this.untrusted(),
      auth: 'trusted',
      environment: {
        addresses: this.d.addresses(),
        architectures: h.architectures,
        certificate: this.d.certificate.pem,
        certificate_fingerprint: this.d.certificate.fingerprint,
        driver: 'lxc',
        driver_version: h.lxcVersion,
        firewall: 'nftables',
        kernel: h.kernel,
        kernel_architecture: h.kernelArchitecture,
        kernel_features: h.kernelFeatures,
        kernel_version: h.kernelVersion,
        lxc_features: h.lxcFeatures,
        os_name: h.osName,
        os_version: h.osVersion,
        project,
        server: 'lodge',
        server_clustered: false,
        server_event_mode: 'full-mesh',
        server_name: h.hostname,
        server_pid: process.pid,
        server_version: serverVersion,
        storage: 'dir',
        storage_version: '1',
        storage_supported_drivers: this.d.storageDrivers(),
      },
    };
    return { server, etag: etagOf(shown) };
  }

  async update(config: Record<string, unknown> | null | undefined, opts: { patch: boolean; etag?: (c: string) => void; lc: LifecycleOptions }): Promise<void> {
    if (config !== null && config !== undefined && (typeof config !== 'object' || Array.isArray(config))) {
      throw ApiError.badRequest('config must be a map of strings');
    }
    const prev = await this.config();
    const incoming: Record<string, string> = {};
    // Clients send back what GET showed: boolean true for the password means "unchanged".
    let keepPassword = false;
    for (const [k, v] of Object.entries(config ?? {})) {
      if (k === 'core.trust_password' && v === true) keepPassword = true;
      else if (typeof v !== 'string') throw ApiError.badRequest(`Invalid value for server config key "${k}": must be a string`);
      else incoming[k] = v;
    }
    validateConfig(serverSchema, incoming);
    const merged = opts.patch ? { ...prev, ...incoming } : { ...incoming };
    if (keepPassword && prev['core.trust_password']) merged['core.trust_password'] = prev['core.trust_password'];
    else if (merged['core.trust_password'] && merged['core.trust_password'] !== prev['core.trust_password']) {
      merged['core.trust_password'] = await hashPassword(merged['core.trust_password']);
    }
    const next = withoutEmpty(merged);
    await this.d.store.tx(async (tx) => {
      const cur = await tx.serverConfig();
      const shown: Record<string, string | boolean> = { ...cur };
      if (shown['core.trust_password']) shown['core.trust_password'] = true;
      opts.etag?.(etagOf(shown));
      tx.setServerConfig(next);
    });
    try {
      for (const hook of this.hooks) await hook(next, prev);
    } catch (e) {
      await this.d.store.tx(async (tx) => tx.setServerConfig(prev));
      for (const hook of this.hooks) await hook(prev, next).catch(() => undefined);
      throw e instanceof ApiError ? e : ApiError.badRequest((e as Error).message);
    }
    this.d.events.lifecycle('default', 'config-updated', '/1.0', opts.lc);
  }

  async checkTrustPassword(password: string): Promise<boolean> {
    const stored = (await this.config())['core.trust_password'];
    if (!stored || !password) return false;
    return verifyPassword(stored, password);
  }
}

/** LXD's format: hex(32-byte salt || scrypt(pw, salt, N=16384, r=8, p=1, 64 bytes)). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(32);
  const hash = await scrypt(password, salt, 64, { N: 16384, r: 8, p: 1 });
  return Buffer.concat([salt, hash]).toString('hex');
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const buf = Buffer.from(stored, 'hex');
  if (buf.length !== 96) return false;
  const hash = await scrypt(password, buf.subarray(0, 32), 64, { N: 16384, r: 8, p: 1 });
  return hash.equals(buf.subarray(32));
}
