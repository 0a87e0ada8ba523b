// Reply: what a handler returns; the renderer turns it into the LXD envelope or a raw body.
import type { Readable } from 'node:stream';
import type { Operation } from '../operations/operation.js';
import type { WsConn } from './websocket.js';

export type Reply =
  | { kind: 'sync'; status: number; metadata: unknown; location?: string; etag?: string; headers?: Record<string, string> }
  | { kind: 'async'; op: Operation }
  | { kind: 'error'; status: number; message: string }
  | {
      kind: 'raw';
      status: number;
      headers: Record<string, string | number>;
      body?: Buffer | string | Readable;
      /** Called when the response ends or breaks (to release what the body held). */
      done?: () => void;
    }
  | { kind: 'upgrade'; accept: (conn: WsConn) => void };

export function sync(metadata: unknown, opts: { etag?: string; headers?: Record<string, string> } = {}): Reply {
  return { kind: 'sync', status: 200, metadata, ...opts };
}

/** An empty success, as LXD answers PUT/PATCH/DELETE: metadata {}. */
export function empty(): Reply {
  return sync({});
}

/** 201 Created with a Location, as LXD answers synchronous creates. */
export function created(location: string, metadata: unknown = null): Reply {
  return { kind: 'sync', status: 201, metadata, location };
}

export function operation(op: Operation): Reply {
  return { kind: 'async', op };
}

export function upgrade(accept: (conn: WsConn) => void): Reply {
  return { kind: 'upgrade', accept };
}

export function raw(body: Buffer | string | Readable, headers: Record<string, string | number>, status = 200, done?: () => void): Reply {
  return { kind: 'raw', status, headers, body, done };
}
