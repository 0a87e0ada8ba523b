// WsConn: a websocket that buffers messages and the close from the moment of upgrade until a consumer attaches.
import type { WebSocket } from 'ws';

type MessageHandler = (data: Buffer, binary: boolean) => void;

export class WsConn {
  private readonly queue: { data: Buffer; binary: boolean }[] = [];
  private messageHandler?: MessageHandler;
  private readonly closeHandlers: (() => void)[] = [];
  private peerClosed = false;
  private closeFired = false;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, binary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (this.messageHandler) this.messageHandler(buf, binary);
      else this.queue.push({ data: buf, binary });
    });
    ws.on('close', () => this.markClosed());
    ws.on('error', () => this.markClosed());
  }

  get closed(): boolean {
    return this.peerClosed;
  }

  /**
   * Attaches the consumer and replays what arrived before. Close handlers only fire once a
   * message handler is attached, so a close never overtakes buffered data.
   */
  onMessage(handler: MessageHandler): void {
    this.messageHandler = handler;
    for (const m of this.queue.splice(0)) handler(m.data, m.binary);
    this.maybeFireClose();
  }

  onClose(handler: () => void): void {
    if (this.closeFired) {
      queueMicrotask(handler);
      return;
    }
    this.closeHandlers.push(handler);
    this.maybeFireClose();
  }

  send(data: Buffer | string, binary = true): Promise<void> {
    if (this.ws.readyState !== this.ws.OPEN) return Promise.resolve();
    return new Promise((resolve) => this.ws.send(data, { binary }, () => resolve()));
  }

  sendText(text: string): Promise<void> {
    return this.send(text, false);
  }

  /** The LXD end-of-stream barrier: an empty text frame. */
  sendBarrier(): Promise<void> {
    return this.send('', false);
  }

  close(code = 1000, reason = ''): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  /** Sends "keepalive" pings every intervalMs until the socket closes. */
  keepAlive(intervalMs: number): void {
    const ping = (): void => {
      if (this.ws.readyState === this.ws.OPEN) this.ws.ping('keepalive');
    };
    ping();
    const timer = setInterval(ping, intervalMs);
    timer.unref();
    this.ws.once('close', () => clearInterval(timer));
  }

  private markClosed(): void {
    this.peerClosed = true;
    this.maybeFireClose();
  }

  private maybeFireClose(): void {
    if (!this.peerClosed || !this.messageHandler || this.closeFired) return;
    if (this.closeHandlers.length === 0) return;
    this.closeFired = true;
    for (const h of this.closeHandlers.splice(0)) h();
  }
}
