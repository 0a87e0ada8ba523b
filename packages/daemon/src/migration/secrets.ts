// Waiting for a migration operation's websockets: one per secret, within LXD's 10 s.
import { randomBytes } from 'node:crypto';
import { ApiError } from '@lodge/api';
import type { WsConn } from '../http/websocket.js';
import { Channel } from './channel.js';

export class Connections {
  readonly secrets: Record<string, string>;
  private readonly channels = new Map<string, Channel>();
  private readonly waiting = new Map<string, (c: Channel) => void>();

  constructor(names: string[]) {
    this.secrets = Object.fromEntries(names.map((n) => [n, randomBytes(32).toString('hex')]));
  }

  /** The operation's websocket handler. */
  accept(secret: string, ws: WsConn): void {
    const name = Object.entries(this.secrets).find(([, s]) => s === secret)?.[0];
    if (!name) throw ApiError.forbidden('permission denied');
    if (this.channels.has(name)) {
      ws.close(1008, 'Websocket already connected');
      return;
    }
    const ch = new Channel(name, ws);
    this.channels.set(name, ch);
    this.waiting.get(name)?.(ch);
  }

  /** All channels, or an error after timeoutMs. */
  async all(timeoutMs = 10_000): Promise<Record<string, Channel>> {
    const wait = Object.keys(this.secrets).map(
      (n) =>
        new Promise<[string, Channel]>((resolve) => {
          const have = this.channels.get(n);
          if (have) resolve([n, have]);
          else this.waiting.set(n, (c) => resolve([n, c]));
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Timed out waiting for migration connections')), timeoutMs);
    });
    try {
      return Object.fromEntries(await Promise.race([Promise.all(wait), timeout]));
    } finally {
      clearTimeout(timer);
    }
  }

  closeAll(): void {
    for (const c of this.channels.values()) c.close();
  }
}
