// RemoteOperation: waits for an operation to finish through the event stream (the way lxc does).
import type { Operation } from '@lodge/api';
import { ApiError } from '@lodge/api';
import type { EventStream } from './events.js';

export class RemoteOperation {
  private current: Operation;
  private readonly listeners: ((op: Operation) => void)[] = [];
  private readonly done: Promise<Operation>;
  private readonly refreshed: Promise<void>;

  constructor(
    initial: Operation,
    events: EventStream | undefined,
    refresh: () => Promise<Operation>,
  ) {
    this.current = initial;
    let markRefreshed = (): void => undefined;
    this.refreshed = new Promise<void>((r) => (markRefreshed = r));
    this.done = new Promise((resolve, reject) => {
      const settle = (op: Operation): boolean => {
        // Events may arrive out of order: never let a non-final state replace a final one.
        if (this.current.status_code >= 200 && op.status_code < 200) return true;
        this.current = op;
        for (const l of this.listeners) l(op);
        if (op.status_code < 200) return false;
        off?.();
        if (op.status_code === 200) resolve(op);
        else reject(new ApiError(op.status_code === 401 ? 400 : 400, op.err || (op.status_code === 401 ? 'Operation cancelled' : 'Operation failed')));
        return true;
      };
      const off = events?.on((e) => {
        if (e.type !== 'operation') return;
        const op = e.metadata as Operation;
        if (op.id === initial.id) settle(op);
      });
      events?.onClose((err) => {
        if (this.current.status_code < 200) reject(err ?? new Error('Event stream closed before the operation finished'));
      });
      if (settle(initial)) {
        markRefreshed();
        return;
      }
      refresh().then(
        (op) => {
          settle(op);
          markRefreshed();
        },
        (e: unknown) => {
          markRefreshed();
          // A finished operation may already be gone; the event stream still reports the end.
          if (!(e instanceof ApiError && e.status === 404)) reject(e);
        },
      );
    });
    this.done.catch(() => undefined);
  }

  get id(): string {
    return this.current.id;
  }

  get operation(): Operation {
    return this.current;
  }

  onUpdate(fn: (op: Operation) => void): void {
    this.listeners.push(fn);
  }

  /**
   * Resolves once the one refresh made right after creation is back; `finished` then tells whether the operation
   * had already ended (lxc reports such failures without its "Try `lxc info --show-log`" hint).
   */
  async settled(): Promise<{ finished: boolean }> {
    await this.refreshed;
    return { finished: this.current.status_code >= 200 };
  }

  /** Resolves with the final operation on success; rejects with its error otherwise. */
  wait(): Promise<Operation> {
    return this.done;
  }
}
