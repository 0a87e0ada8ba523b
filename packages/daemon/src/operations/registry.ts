// Operation registry: creates and starts operations, keeps finished ones readable for a while.
import { ApiError } from '@lodge/api';
import type { EventHub } from '../events/hub.js';
import type { Logger } from '../sys/log.js';
import { Operation, type OperationOptions } from './operation.js';

/** How long a finished operation stays readable (LXD: 5 s). */
const keepFinishedMs = 5000;

export class OperationRegistry {
  private readonly ops = new Map<string, Operation>();

  constructor(
    private readonly events: EventHub,
    private readonly log?: Logger,
  ) {}

  /** Creates an operation, announces it as Pending, then starts it (Running). */
  start(opts: OperationOptions): Operation {
    const op = new Operation(opts, (o) => this.changed(o));
    this.ops.set(op.id, op);
    this.changed(op);
    op.start();
    return op;
  }

  get(id: string): Operation {
    const op = this.ops.get(id);
    if (!op) throw ApiError.notFound('Operation not found');
    return op;
  }

  /** Operations of a project (plus those of no project); all of them when project is undefined. */
  list(project: string | undefined): Operation[] {
    return [...this.ops.values()].filter((o) => project === undefined || o.project === undefined || o.project === project);
  }

  /** Operations not yet final (used to wait on shutdown). */
  running(): Operation[] {
    return [...this.ops.values()].filter((o) => !o.final);
  }

  private changed(op: Operation): void {
    const api = op.toApi();
    this.log?.debug(op.final ? `${api.status} for operation` : op.status === 105 ? 'New operation' : 'Started operation', { id: op.id, class: op.class, description: op.description, ...(api.err ? { err: api.err } : {}) });
    this.events.operation(op.project, api);
    if (op.final) setTimeout(() => this.ops.delete(op.id), keepFinishedMs).unref();
  }
}
