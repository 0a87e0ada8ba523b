// Operation: one background task, websocket session or token, with status changes announced as events.
import { randomUUID } from 'node:crypto';
import type { Operation as ApiOperation, OperationClass } from '@lodge/api';
import { ApiError, StatusCode, formatTime, statusName } from '@lodge/api';
import type { WsConn } from '../http/websocket.js';

export interface OperationContext {
  readonly op: Operation;
  readonly signal: AbortSignal;
  /** Merges keys into the operation metadata and announces the change. */
  setMetadata(patch: Record<string, unknown>): void;
}

export interface OperationOptions {
  /** Project of the objects it works on; undefined for operations on projects themselves. */
  project: string | undefined;
  description: string;
  class?: OperationClass;
  resources?: Record<string, string[]> | null;
  metadata?: Record<string, unknown> | null;
  /** The work; its resolved value is merged into metadata. Absent for tokens. */
  run?: (ctx: OperationContext) => Promise<Record<string, unknown> | void>;
  /** Makes the operation cancellable; called on DELETE /1.0/operations/{id}. */
  cancel?: () => Promise<void> | void;
  /** Websocket operations: called for each connection that presented a secret. */
  connect?: (secret: string, ws: WsConn) => Promise<void> | void;
}

export type Announce = (op: Operation) => void;

export class Operation {
  readonly id = randomUUID();
  readonly class: OperationClass;
  readonly project: string | undefined;
  readonly description: string;
  readonly createdAt = new Date();
  private updatedAt = this.createdAt;
  private statusCode: number = StatusCode.Pending;
  private err = '';
  private readonly abort = new AbortController();
  private readonly waiters: (() => void)[] = [];
  resources: Record<string, string[]> | null;
  metadata: Record<string, unknown> | null;

  constructor(
    private readonly opts: OperationOptions,
    private readonly announce: Announce,
  ) {
    this.class = opts.class ?? 'task';
    this.project = opts.project;
    this.description = opts.description;
    this.resources = opts.resources ?? null;
    this.metadata = opts.metadata ?? null;
  }

  get status(): number {
    return this.statusCode;
  }

  get final(): boolean {
    return this.statusCode >= 200;
  }

  get error(): string {
    return this.err;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get mayCancel(): boolean {
    return this.opts.cancel !== undefined || this.class === 'token';
  }

  get url(): string {
    return `/1.0/operations/${this.id}`;
  }

  toApi(): ApiOperation {
    return {
      id: this.id,
      class: this.class,
      description: this.description,
      created_at: formatTime(this.createdAt),
      updated_at: formatTime(this.updatedAt),
      status: statusName(this.statusCode),
      status_code: this.statusCode,
      resources: this.resources,
      metadata: this.metadata,
      may_cancel: this.mayCancel && !this.final,
      err: this.err,
      location: 'none',
    };
  }

  /** Moves Pending → Running and starts the work in the background. */
  start(): void {
    this.setStatus(StatusCode.Running);
    const run = this.opts.run;
    if (!run) return;
    const ctx: OperationContext = { op: this, signal: this.signal, setMetadata: (p) => this.setMetadata(p) };
    run(ctx).then(
      (result) => {
        if (result) this.setMetadata(result, false);
        this.finish(this.signal.aborted ? StatusCode.Cancelled : StatusCode.Success);
      },
      (e: unknown) => {
        if (this.signal.aborted) this.finish(StatusCode.Cancelled);
        else this.finish(StatusCode.Failure, e instanceof Error ? e.message : String(e));
      },
    );
  }

  setMetadata(patch: Record<string, unknown>, announce = true): void {
    this.metadata = { ...(this.metadata ?? {}), ...patch };
    if (announce) this.touch();
  }

  async cancel(): Promise<void> {
    if (this.final || this.statusCode !== StatusCode.Running) throw ApiError.badRequest('Only running operations can be cancelled');
    if (!this.mayCancel) throw ApiError.badRequest("This operation can't be cancelled");
    this.abort.abort();
    await this.opts.cancel?.();
    // Tasks finish as Cancelled when their run settles; tokens and websocket-only ops end here.
    if (!this.opts.run) this.finish(StatusCode.Cancelled);
  }

  /** Ends a token or websocket operation from outside (token used, session over). */
  done(err?: string): void {
    if (err) this.finish(StatusCode.Failure, err);
    else this.finish(StatusCode.Success);
  }

  async connect(secret: string, ws: WsConn): Promise<void> {
    if (!this.opts.connect) throw ApiError.badRequest('Operation has no websockets');
    await this.opts.connect(secret, ws);
  }

  /** Resolves when the operation is final or after timeoutMs (negative: no timeout). */
  wait(timeoutMs: number): Promise<void> {
    if (this.final) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = timeoutMs >= 0 ? setTimeout(resolve, timeoutMs) : undefined;
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private finish(code: number, err = ''): void {
    if (this.final) return;
    this.err = err;
    this.setStatus(code);
    for (const w of this.waiters.splice(0)) w();
  }

  private setStatus(code: number): void {
    this.statusCode = code;
    this.touch();
  }

  private touch(): void {
    this.updatedAt = new Date();
    this.announce(this);
  }
}
