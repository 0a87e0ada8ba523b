// EventStream: one /1.0/events websocket, fanned out to handlers (operation waits, monitors).
import type { Event } from '@lodge/api';
import type { WebSocket } from 'ws';
import type { Transport } from './transport.js';

export type EventHandler = (e: Event) => void;

export class EventStream {
  private readonly handlers = new Set<EventHandler>();
  private closeHandlers: ((err?: Error) => void)[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      let ev: Event;
      try {
        ev = JSON.parse(data.toString()) as Event;
      } catch {
        return;
      }
      for (const h of this.handlers) h(ev);
    });
    ws.on('close', () => this.closed());
    ws.on('error', (e) => this.closed(e));
  }

  static async open(transport: Transport, query: { types?: string[]; project?: string; allProjects?: boolean } = {}): Promise<EventStream> {
    const q = new URLSearchParams();
    if (query.types?.length) q.set('type', query.types.join(','));
    if (query.project && query.project !== 'default') q.set('project', query.project);
    if (query.allProjects) q.set('all-projects', 'true');
    const qs = q.toString();
    return new EventStream(await transport.websocket(`/1.0/events${qs ? `?${qs}` : ''}`));
  }

  on(handler: EventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onClose(handler: (err?: Error) => void): void {
    this.closeHandlers.push(handler);
  }

  close(): void {
    this.ws.close();
  }

  /** Lets a process exit while only this stream is open (CLI event waits keep it alive explicitly). */
  unref(): void {
    (this.ws as unknown as { _socket?: { unref(): void } })._socket?.unref();
  }

  private closed(err?: Error): void {
    const hs = this.closeHandlers;
    this.closeHandlers = [];
    for (const h of hs) h(err);
  }
}
