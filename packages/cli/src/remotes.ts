// Remotes: `remote:name` parsing and connecting to a remote. Only the local unix socket is reachable today;
// HTTPS remotes (`remote add`) and simplestreams image servers (`images:`) plug in here later.
import { join } from 'node:path';
import { LodgeClient, Transport, type TransportOptions } from '@lodge/client';
import type { CliConfig, RemoteConfig } from './config.js';
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

export interface ConnectOptions {
  env: NodeJS.ProcessEnv;
  /** --project, which wins over the remote's current project. */
  project?: string;
  debug?: DebugLog;
}

/** Unix socket of a `unix://` address: an explicit path, else $LODGE_SOCKET, else $LODGE_DIR/unix.socket. */
export function socketPath(addr: string, env: NodeJS.ProcessEnv): string {
  const explicit = addr.replace(/^unix:\/\//, '');
  if (explicit) return explicit;
  if (env.LODGE_SOCKET) return env.LODGE_SOCKET;
  return join(env.LODGE_DIR || '/var/lib/lodge', 'unix.socket');
}

export function remoteProject(conf: CliConfig, remote: string, override?: string): string {
  return override || conf.remotes[remote]?.project || 'default';
}

function transportFor(name: string, r: RemoteConfig, opts: ConnectOptions): Transport {
  if (r.protocol === 'simplestreams') {
    throw new Error(`The remote "${name}" is a simplestreams image server; lodge cannot use image servers yet`);
  }
  if (!r.addr.startsWith('unix:')) {
    throw new Error(`The remote "${name}" (${r.addr}) needs HTTPS, which lodge does not support yet; only local remotes work`);
  }
  const t: TransportOptions = { socketPath: socketPath(r.addr, opts.env), userAgent: userAgent() };
  if (opts.debug) {
    opts.debug(`Connecting to a local LXD over a Unix socket`, { socket: t.socketPath });
    return new DebugTransport(t, opts.debug);
  }
  return new Transport(t);
}

export function connect(conf: CliConfig, remote: string, opts: ConnectOptions): LodgeClient {
  const r = conf.remotes[remote];
  if (!r) throw new Error(`The remote "${remote}" doesn't exist`);
  return new LodgeClient(transportFor(remote, r, opts), remoteProject(conf, remote, opts.project));
}
