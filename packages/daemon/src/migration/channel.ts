// A migration websocket as a message queue: binary frames are data, an empty text frame ends a session (LXD's WebsocketIO).
import type { WebSocket } from 'ws';

interface Frame {
  data: Buffer;
  binary: boolean;
}

/** Minimal socket surface shared by accepted (WsConn) and dialled (ws) websockets. */
export interface Socketish {
  onMessage(fn: (data: Buffer, binary: boolean) => void): void;
  onClose(fn: () => void): void;
  send(data: Buffer | string, binary?: boolean): Promise<void>;
  close(code?: number, reason?: string): void;
}

/** Wraps a dialled `ws` WebSocket in the same surface as WsConn (messages buffered from the start). */
export function fromWebSocket(ws: WebSocket): Socketish {
  const queue: Frame[] = [];
  let handler: ((d: Buffer, b: boolean) => void) | undefined;
  const closeHandlers: (() => void)[] = [];
  let closed = false;
  ws.on('message', (data, binary) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (handler) handler(buf, binary);
    else queue.push({ data: buf, binary });
  });
  const onClosed = (): void => {
    if (closed) return;
    closed = true;
    for (const h of closeHandlers.splice(0)) h();
  };
  ws.on('close', onClosed);
  ws.on('error', onClosed);
  return {
    onMessage(fn) {
      handler = fn;
      for (const f of queue.splice(0)) fn(f.data, f.binary);
    },
    onClose(fn) {
      if (closed) queueMicrotask(fn);
      else closeHandlers.push(fn);
    },
    send: (data, binary = true) =>
      new Promise((resolve) => {
        if (ws.readyState !== ws.OPEN) return resolve();
        ws.send(data, { binary }, () => resolve());
      }),
    close: (code = 1000, reason = '') => ws.close(code, reason),
  };
}

export class ChannelClosed extends Error {
  constructor(name: string) {
    super(`The migration ${name} connection closed unexpectedly`);
  }
}

/** Pull-style reading of frames, so consecutive sessions on one socket never steal each other's data. */
export class Channel {
  private readonly frames: Frame[] = [];
  private waiter?: () => void;
  private closed = false;

  constructor(
    readonly name: string,
    readonly socket: Socketish,
  ) {
    socket.onMessage((data, binary) => {
      this.frames.push({ data, binary });
      this.wake();
    });
    socket.onClose(() => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The next frame; rejects if the socket closes first. */
  async next(): Promise<Frame> {
    for (;;) {
      const f = this.frames.shift();
      if (f) return f;
      if (this.closed) throw new ChannelClosed(this.name);
      await new Promise<void>((r) => (this.waiter = r));
    }
  }

  /** One protobuf message (control channel: one per binary frame). */
  async message(): Promise<Buffer> {
    for (;;) {
      const f = await this.next();
      if (f.binary) return f.data;
    }
  }

  /** Reads binary frames until the peer's end-of-session barrier, passing each to onData. */
  async readSession(onData: (chunk: Buffer) => Promise<void> | void): Promise<void> {
    for (;;) {
      const f = await this.next();
      if (!f.binary) return;
      await onData(f.data);
    }
  }

  /** A whole session's bytes (small payloads: the index header). */
  async readAll(limit = 64 * 1024 * 1024): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    await this.readSession((c) => {
      size += c.length;
      if (size > limit) throw new Error(`Migration ${this.name} message larger than ${limit} bytes`);
      chunks.push(c);
    });
    return Buffer.concat(chunks);
  }

  /** Resolves once the peer has closed the socket, or after timeoutMs, whichever comes first. */
  async closedWithin(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const timer = setTimeout(r, deadline - Date.now());
        this.waiter = () => {
          clearTimeout(timer);
          r();
        };
      });
      // Frames arriving now are not wanted: the conversation is over.
      this.frames.length = 0;
    }
  }

  send(data: Buffer): Promise<void> {
    return this.socket.send(data, true);
  }

  barrier(): Promise<void> {
    return this.socket.send('', false);
  }

  close(): void {
    this.socket.close();
  }
}
