// --debug: logs every request and JSON response on stderr, in the spirit of lxc's debug log.
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import type { WebSocket } from 'ws';
import { Transport, readBody, type RawRequest, type TransportOptions } from '@lodge/client';

export type DebugLog = (msg: string, ctx?: Record<string, unknown>) => void;

export function debugLogger(write: (s: string) => void): DebugLog {
  return (msg, ctx = {}) => {
    const fields = Object.entries(ctx)
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s|"/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ');
    write(`DEBUG  [${new Date().toISOString()}] ${msg}${fields ? ` ${fields}` : ''}\n`);
  };
}

function isJson(res: IncomingMessage): boolean {
  return String(res.headers['content-type'] ?? '').startsWith('application/json');
}

/** Replays a response whose body was read for logging; the client only uses status, headers and the stream. */
function replay(res: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = new PassThrough();
  copy.end(body);
  return Object.assign(copy, { statusCode: res.statusCode, statusMessage: res.statusMessage, headers: res.headers }) as unknown as IncomingMessage;
}

export class DebugTransport extends Transport {
  constructor(
    opts: TransportOptions,
    private readonly log: DebugLog,
  ) {
    super(opts);
  }

  override async request(r: RawRequest): Promise<IncomingMessage> {
    const etag = r.headers?.['If-Match'];
    this.log('Sending request to LXD', { method: r.method, url: r.path, ...(etag ? { etag } : {}) });
    if (typeof r.body === 'string' && r.body.startsWith('{')) this.log(r.body);
    const res = await super.request(r);
    if (!isJson(res)) {
      this.log('Got raw response from LXD', { status: res.statusCode });
      return res;
    }
    const body = await readBody(res);
    this.log('Got response struct from LXD', { status: res.statusCode });
    this.log(body.toString().trimEnd());
    return replay(res, body);
  }

  override async websocket(path: string, setup?: (ws: WebSocket) => void): Promise<WebSocket> {
    const ws = await super.websocket(path, setup);
    this.log('Connected to the websocket', { url: path });
    return ws;
  }
}
