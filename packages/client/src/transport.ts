// Transport: HTTP over the unix socket or HTTPS with client certificates, plus websocket dialing.
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { WebSocket } from 'ws';
import { tlsConnectOptions, type TlsOptions } from './tls.js';

export type { TlsOptions } from './tls.js';

export interface TransportOptions {
  /** Unix socket path; when set, `url` is ignored. */
  socketPath?: string;
  /** https://host:port for remote servers. */
  url?: string;
  tls?: TlsOptions;
  userAgent?: string;
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: Buffer | string | Readable;
  signal?: AbortSignal;
}

export class Transport {
  constructor(readonly opts: TransportOptions) {
    if (!opts.socketPath && !opts.url) throw new Error('A unix socket path or a URL is needed');
  }

  get isUnix(): boolean {
    return this.opts.socketPath !== undefined;
  }

  /** Sends a request and resolves with the response head (the body is left to the caller). */
  request(r: RawRequest): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: OutgoingHttpHeaders = { 'User-Agent': this.opts.userAgent ?? 'lodge-client', ...r.headers };
      const req = this.isUnix
        ? httpRequest({ socketPath: this.opts.socketPath, path: r.path, method: r.method, headers, signal: r.signal })
        : this.httpsRequest(r, headers);
      req.on('response', resolve);
      req.on('error', reject);
      const body = r.body;
      if (body === undefined) req.end();
      else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (e) => req.destroy(e));
        body.pipe(req);
      }
    });
  }

  private httpsRequest(r: RawRequest, headers: OutgoingHttpHeaders) {
    const u = new URL(r.path, this.opts.url);
    return httpsRequest({
      ...tlsConnectOptions(this.opts.tls ?? {}),
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port || 8443,
      path: `${u.pathname}${u.search}`,
      method: r.method,
      headers,
      signal: r.signal,
    });
  }

  /** Opens a websocket to an API path; `setup` sees it before any event (to listen from the first frame). */
  websocket(path: string, setup?: (ws: WebSocket) => void): Promise<WebSocket> {
    const url = this.isUnix ? `ws+unix://${this.opts.socketPath}:${path}` : new URL(path, this.opts.url!.replace(/^https/, 'wss')).toString();
    const ws = new WebSocket(url, {
      // ws hands the TLS options to tls.connect (its own type for checkServerIdentity differs).
      ...(this.isUnix ? {} : (tlsConnectOptions(this.opts.tls ?? {}) as object)),
      headers: { 'User-Agent': this.opts.userAgent ?? 'lodge-client' },
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
    });
    setup?.(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => {
        readBody(res)
          .then((b) => {
            let msg = `websocket handshake failed (${res.statusCode})`;
            try {
              msg = (JSON.parse(b.toString()) as { error?: string }).error || msg;
            } catch {
              /* not JSON */
            }
            reject(new Error(msg));
          })
          .catch(reject);
      });
      ws.once('error', reject);
    });
  }
}

export async function readBody(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
