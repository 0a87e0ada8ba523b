// Identity of the caller: how it connected and whether it is trusted.
import type { EventLifecycleRequestor } from '@lodge/api';

export interface Identity {
  protocol: 'unix' | 'tls';
  /** Login name on the unix socket, certificate fingerprint over TLS. */
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
