// Remotes: `remote:name` parsing and connecting to a remote (unix socket, or HTTPS with the client certificate
// from the config dir and the server certificate pinned in servercerts/<remote>.crt), as lxc's config package does.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LodgeClient, Transport, type TlsOptions, type TransportOptions } from '@lodge/client';
import { serverCertPath, type CliConfig, type RemoteConfig } from './config.js';
import { DebugTransport, type DebugLog } from './debug.js';
import { userAgent } from './version.js';

export interface RemoteRef {
  remote: string;
  name: string;
}

/** Splits `remote:name`; an unknown prefix is an error unless it is a snapshot name containing ':' (as lxc does). */
export function parseRemote(conf: CliConfig, raw: string): RemoteRef {
  const i = raw.indexOf(':');
  if (i < 0) return { remote: conf['default-remote'], name: raw };
  const prefix = raw.slice(0, i);
  if (!(prefix in conf.remotes)) {
    if (raw.includes('/') && prefix.includes('/')) return { remote: conf['default-remote'], name: raw };
    throw new Error(`The remote "${prefix}" doesn't exist`);
  }
  return { remote: prefix, name: raw.slice(i + 1) };
}

/** `instance/snapshot` → ["instance", "snapshot"]; a name without "/" is no snapshot. */
export function splitSnapshot(name: string): { parent: string; snapshot?: string } {
  const i = name.indexOf('/');
  return i < 0 ? { parent: name } : { parent: name.slice(0, i), snapshot: name.slice(i + 1) };
}

export interface ConnectOptions {
  env: NodeJS.ProcessEnv;
  /** The config dir (client certificate, servercerts/). */
  confDir: string;
  /** --project, which wins over the remote's current project. */
  project?: string;
  debug?: DebugLog;
}

/** Unix socket of a `unix://` address: an explicit path, else $LODGE_SOCKET, else $LODGE_DIR/unix.socket. */
export function socketPath(addr: string, env: NodeJS.ProcessEnv): string {
  const explicit = addr.replace(/^unix:/, '').replace(/^\/\//, '');
  if (explicit) return explicit;
  if (env.LODGE_SOCKET) return env.LODGE_SOCKET;
  return join(env.LODGE_DIR || '/var/lib/lodge', 'unix.socket');
}

export function remoteProject(conf: CliConfig, remote: string, override?: string): string {
  return override || conf.remotes[remote]?.project || 'default';
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** What lxc's getConnectionArgs reads: the pinned server certificate, and the client certificate unless not needed. */
export async function tlsFor(name: string, r: RemoteConfig, confDir: string, withClientCert: boolean): Promise<TlsOptions> {
  const tls: TlsOptions = {};
  const server = await readIfExists(serverCertPath(confDir, name));
  if (server) tls.ca = server;
  if (!withClientCert || r.protocol === 'simplestreams' || r.auth_type === 'candid') return tls;
  const cert = await readIfExists(join(confDir, 'client.crt'));
  const key = await readIfExists(join(confDir, 'client.key'));
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  // A client CA (client.ca) is honoured as lxc does: the server may then be trusted through it.
  const ca = await readIfExists(join(confDir, 'client.ca'));
  if (ca && !tls.ca) tls.ca = ca;
  return tls;
}

function transport(t: TransportOptions, opts: ConnectOptions): Transport {
  if (!opts.debug) return new Transport(t);
  if (t.socketPath) opts.debug('Connecting to a local LXD over a Unix socket', { socket: t.socketPath });
  else opts.debug('Connecting to a remote LXD over HTTPS', { url: t.url });
  return new DebugTransport(t, opts.debug);
}

export interface ServerTarget {
  name: string;
  remote: RemoteConfig;
  /** Send the client certificate (private LXD servers). */
  clientCert: boolean;
  /** Send it only if there is one (public LXD servers, which lxc also shows what the certificate may see). */
  clientCertOptional?: boolean;
}

/** A client for a remote entry (which may not be saved yet, as during `remote add`). */
export async function clientFor(target: ServerTarget, project: string, opts: ConnectOptions): Promise<LodgeClient> {
  const r = target.remote;
  if (r.addr.startsWith('unix:')) {
    return new LodgeClient(transport({ socketPath: socketPath(r.addr, opts.env), userAgent: userAgent() }, opts), project);
  }
  const tls = await tlsFor(target.name, r, opts.confDir, target.clientCert);
  if (target.clientCert && !target.clientCertOptional && r.auth_type !== 'candid' && (!tls.cert || !tls.key)) throw new Error('Missing TLS client certificate and key');
  return new LodgeClient(transport({ url: r.addr.replace(/\/+$/, ''), tls, userAgent: userAgent() }, opts), project);
}

function lookup(conf: CliConfig, remote: string): RemoteConfig {
  const r = conf.remotes[remote];
  if (!r) throw new Error(`The remote "${remote}" doesn't exist`);
  return r;
}

/** lxc's GetInstanceServer: a private LXD server (unix socket or HTTPS with the client certificate). */
export async function connect(conf: CliConfig, remote: string, opts: ConnectOptions): Promise<LodgeClient> {
  const r = lookup(conf, remote);
  if (r.public || r.protocol === 'simplestreams') throw new Error("The remote isn't a private LXD server");
  return clientFor({ name: remote, remote: r, clientCert: true }, remoteProject(conf, remote, opts.project), opts);
}

/** lxc's GetImageServer for the lxd protocol: public remotes are reached without a project (with the client certificate if there is one). */
export async function connectImageServer(conf: CliConfig, remote: string, opts: ConnectOptions): Promise<LodgeClient> {
  const r = lookup(conf, remote);
  if (r.protocol === 'simplestreams') throw new Error(`The remote "${remote}" is a simplestreams server: it is read with SimpleStreamsClient, not the LXD API`);
  if (r.public && !r.addr.startsWith('unix:')) return clientFor({ name: remote, remote: r, clientCert: true, clientCertOptional: true }, 'default', opts);
  return clientFor({ name: remote, remote: r, clientCert: true }, remoteProject(conf, remote, opts.project), opts);
}
