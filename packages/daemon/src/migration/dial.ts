// Dials a migration websocket on another server (wss, the peer pinned by the PEM it gave us).
import { WebSocket, type ClientOptions } from 'ws';
import type { ServerCertificate } from '../server/certificate.js';
import { fromWebSocket, type Socketish } from './channel.js';

export interface DialOptions {
  /** Full operation URL: https://host:port/1.0/operations/<id>. */
  operation: string;
  secret: string;
  /** The peer's certificate (PEM); when empty the system CAs decide. */
  certificate: string;
  /** What we present: our own server certificate, as LXD does between daemons. */
  self: ServerCertificate;
}

export function dialMigration(o: DialOptions): Promise<Socketish> {
  const base = o.operation.replace(/^http/, 'ws').replace(/\/+$/, '');
  const url = `${base}/websocket?secret=${encodeURIComponent(o.secret)}`;
  const ws = new WebSocket(url, {
    ca: o.certificate || undefined,
    cert: o.self.pem,
    key: o.self.keyPem,
    // A pinned self-signed certificate is trusted as itself, whatever name it carries.
    checkServerIdentity: o.certificate ? ((() => undefined) as never) : undefined,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
    perMessageDeflate: false,
    handshakeTimeout: 10_000,
  } as ClientOptions);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(fromWebSocket(ws)));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`Migration websocket refused (${res.statusCode}) by ${o.operation}`)));
    ws.once('error', (e) => reject(new Error(`Failed to connect to the migration source ${o.operation}: ${e.message}`)));
  });
}
