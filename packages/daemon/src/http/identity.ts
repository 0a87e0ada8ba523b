// Identity of the caller: how it connected and whether it is trusted.
import type { EventLifecycleRequestor } from '@lodge/api';

export interface Identity {
  /** "cluster" for peers presenting a server-type certificate (LXD's protocol name). */
  protocol: 'unix' | 'tls' | 'cluster';
  /** Login name on the unix socket, certificate fingerprint over TLS ('' when untrusted). */
  username: string;
  address: string;
  trusted: boolean;
  /** Projects a restricted certificate may use; undefined = all. */
  projects?: string[];
  /** TLS peer certificate (DER), when one was presented. */
  certificate?: Buffer;
}

export function unixIdentity(): Identity {
  return { protocol: 'unix', username: 'root', address: '@', trusted: true };
}

export function requestorOf(id: Identity): EventLifecycleRequestor {
  return { username: id.username, protocol: id.protocol, address: id.address };
}

/** What the trust store says about a TLS peer certificate (structurally the trust service's match). */
export interface PeerTrust {
  fingerprint: string;
  type: 'client' | 'metrics' | 'server';
  /** Set for restricted certificates. */
  projects?: string[];
}

/**
 * The identity of an HTTPS request (LXD's Daemon.Authenticate): server certificates make a cluster
 * peer, client certificates a (possibly restricted) client, metrics certificates count only for
 * /1.0/metrics; anything else is untrusted.
 */
export function tlsIdentity(address: string, certificate: Buffer | undefined, trust: PeerTrust | undefined, path: string): Identity {
  const base = { address, ...(certificate ? { certificate } : {}) };
  if (!trust || (trust.type === 'metrics' && path !== '/1.0/metrics')) return { ...base, protocol: 'tls', username: '', trusted: false };
  if (trust.type === 'server') return { ...base, protocol: 'cluster', username: trust.fingerprint, trusted: true };
  return { ...base, protocol: 'tls', username: trust.fingerprint, trusted: true, ...(trust.projects ? { projects: [...trust.projects] } : {}) };
}
