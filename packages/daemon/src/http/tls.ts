// The HTTPS listener on core.https_address: TLS 1.3, a client certificate requested but not required,
// trust decided per request from the peer certificate; the same ApiServer as the unix socket.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../sys/log.js';
import { tlsIdentity, type Identity, type PeerTrust } from './identity.js';
import type { ApiServer } from './server.js';
import { joinHostPort, listenAddresses, parseListenAddress } from './tls-address.js';

export interface HttpsOptions {
  /** Server certificate and key (PEM). */
  cert: string;
  key: string;
  /** The trust store's verdict on a peer certificate, asked on every request. */
  trust: (der: Buffer, fingerprint: string) => PeerTrust | undefined;
  log: Logger;
}

interface Conn {
  socket: TLSSocket;
  server: Server;
  /** Peer certificate, read once per connection (undefined: none presented). */
  peer?: { der: Buffer; fingerprint: string };
  peerRead: boolean;
  /** The trust the last trusted request of this connection had (JSON), to notice revocations. */
  trustedAs?: string;
  active: number;
  upgraded: boolean;
  /** Its listener was stopped: end the connection once the current response is out. */
  draining: boolean;
}

export class HttpsListener {
  private server?: Server;
  private configured = '';
  private readonly conns = new Map<TLSSocket, Conn>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly api: ApiServer,
    private readonly opts: HttpsOptions,
  ) {}

  /** The configured address currently served ('' when not listening). */
  get address(): string {
    return this.server ? this.configured : '';
  }

  /** Where clients can reach the listener (wildcards expanded to the host's addresses). */
  addresses(): string[] {
    return listenAddresses(this.address);
  }

  /** Moves the listener to an address ('' stops it); throws naming the address when it cannot bind. */
  set(address: string): Promise<void> {
    const run = this.queue.then(() => this.apply(address.trim()));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Stops listening and drops every connection (daemon shutdown). */
  async close(): Promise<void> {
    await this.set('');
    for (const c of this.conns.values()) c.socket.destroy();
  }

  /**
   * After a trust store change: connections whose certificate lost or changed its trust are closed,
   * so a revoked client keeps neither an idle keep-alive connection nor an event stream.
   */
  recheck(): void {
    for (const c of this.conns.values()) {
      if (c.trustedAs === undefined || !c.peer) continue;
      if (trustKey(this.opts.trust(c.peer.der, c.peer.fingerprint)) !== c.trustedAs) {
        this.opts.log.info('Closing a connection whose certificate is no longer trusted', { fingerprint: c.peer.fingerprint });
        c.socket.destroy();
      }
    }
  }

  private async apply(address: string): Promise<void> {
    if (address === this.address && (address === '' || this.server)) return;
    const old = this.server;
    if (address === '') {
      this.server = undefined;
      this.configured = '';
      if (old) this.stop(old);
      return;
    }
    let next: Server;
    try {
      next = await this.open(address);
    } catch (e) {
      // The new address may overlap the old one (same port on a wider address): free the old one first.
      if (!old || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw bindError(address, e);
      this.server = undefined;
      this.configured = '';
      this.stop(old);
      next = await this.open(address).catch((e2: unknown) => {
        throw bindError(address, e2);
      });
    }
    if (old && this.server === old) this.stop(old);
    this.server = next;
    this.configured = address;
    this.opts.log.info('Listening on HTTPS', { address, addresses: listenAddresses(address).join(',') });
  }

  private async open(address: string): Promise<Server> {
    const { host, port } = parseListenAddress(address);
    const server = createServer({
      cert: this.opts.cert,
      key: this.opts.key,
      minVersion: 'TLSv1.3',
      requestCert: true,
      rejectUnauthorized: false,
      keepAlive: true,
    });
    server.keepAliveTimeout = 30_000;
    server.on('secureConnection', (socket: TLSSocket) => {
      this.conns.set(socket, { socket, server, peerRead: false, active: 0, upgraded: false, draining: false });
      socket.once('close', () => this.conns.delete(socket));
    });
    server.on('tlsClientError', (err, socket) => {
      this.opts.log.debug('TLS handshake failed', { err: err.message, ip: socket.remoteAddress ?? '' });
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.request(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const c = this.conns.get(socket as TLSSocket);
      if (c) c.upgraded = true;
      void this.api.upgrade(req, socket, head, this.identify(socket as TLSSocket, req));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: host === '' ? undefined : host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.opts.log.error('HTTPS listener error', { address: joinHostPort(host, port), err: e.message }));
    return server;
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    const c = this.conns.get(req.socket as TLSSocket);
    if (c) {
      c.active++;
      res.once('close', () => {
        c.active--;
        if (c.draining && c.active === 0) c.socket.end();
      });
    }
    void this.api.handle(req, res, this.identify(req.socket as TLSSocket, req));
  }

  private identify(socket: TLSSocket, req: IncomingMessage): Identity {
    const c = this.conns.get(socket);
    const peer = c ? this.peerOf(c) : readPeer(socket);
    const trust = peer ? this.opts.trust(peer.der, peer.fingerprint) : undefined;
    if (c && trust) c.trustedAs = trustKey(trust);
    const path = new URL(req.url ?? '/', 'https://lodge').pathname;
    return tlsIdentity(joinHostPort(socket.remoteAddress ?? '', socket.remotePort ?? 0), peer?.der, trust, path);
  }

  private peerOf(c: Conn): Conn['peer'] {
    if (!c.peerRead) {
      c.peer = readPeer(c.socket);
      c.peerRead = true;
    }
    return c.peer;
  }

  /** Stops accepting; idle and upgraded connections go now, busy ones after their response. */
  private stop(server: Server): void {
    server.close();
    for (const c of this.conns.values()) {
      if (c.server !== server) continue;
      if (c.upgraded || c.active === 0) c.socket.destroy();
      else c.draining = true;
    }
  }
}

function readPeer(socket: TLSSocket): { der: Buffer; fingerprint: string } | undefined {
  const cert = socket.getPeerX509Certificate();
  if (!cert) return undefined;
  return { der: cert.raw, fingerprint: createHash('sha256').update(cert.raw).digest('hex') };
}

function trustKey(t: PeerTrust | undefined): string {
  return t ? JSON.stringify([t.fingerprint, t.type, t.projects ?? null]) : '';
}

function bindError(address: string, e: unknown): Error {
  return new Error(`Cannot listen on https socket "${address}": ${e instanceof Error ? e.message : String(e)}`);
}
