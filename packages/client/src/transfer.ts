// Transfers between two servers (the Go client's remoteOperation): one handle over whichever operation currently
// carries the work, trying each address of the other server in turn, with the Go client's error wording.
import type { Operation } from '@lodge/api';
import type { RemoteOperation } from './operation.js';

/** A transfer the caller waits on; progress handlers follow the operation doing the work at the time. */
export class TransferOperation {
  private target?: RemoteOperation;
  private readonly handlers: ((op: Operation) => void)[] = [];
  private readonly done: Promise<Operation>;

  constructor(run: (t: TransferOperation) => Promise<Operation>) {
    this.done = run(this);
    this.done.catch(() => undefined);
  }

  /** Makes `op` the operation whose updates reach the handlers. */
  follow(op: RemoteOperation): void {
    this.target = op;
    for (const h of this.handlers) op.onUpdate(h);
  }

  onUpdate(fn: (op: Operation) => void): void {
    this.handlers.push(fn);
    this.target?.onUpdate(fn);
  }

  /** The followed operation as last seen (its resources name what was made). */
  get operation(): Operation | undefined {
    return this.target?.operation;
  }

  wait(): Promise<Operation> {
    return this.done;
  }
}

/** A transfer that is one operation. */
export function followOne(op: RemoteOperation): TransferOperation {
  return new TransferOperation((t) => {
    t.follow(op);
    return op.wait();
  });
}

/** Errors of attempts against several addresses, as the Go client's remoteOperationError words them. */
export function attemptsError(msg: string, errors: { url: string; error: Error }[]): Error {
  const first = errors[0];
  if (!first) return new Error(msg);
  if (errors.every((e) => e.error.message === first.error.message)) return new Error(`${msg}: ${first.error.message}`);
  return new Error(`${msg}:\n - ${errors.map((e) => `${e.url}: ${e.error.message}`).join('\n - ')}`);
}

/** Failures to reach the other server (try its next address), as opposed to errors a server reported. */
export function isConnectionError(e: Error): boolean {
  return /Unable to connect to|connection refused|no route to host|network is unreachable|i\/o timeout|ECONNREFUSED|EHOSTUNREACH|ETIMEDOUT|ENETUNREACH/i.test(e.message);
}

/**
 * Starts the operation against each address in turn until one succeeds (the Go client's tryCreateInstance,
 * tryCopyImage, tryMigrateInstance): a refused request moves on; a failed operation moves on only when it could not
 * reach the other server. `follow` sees each operation as it starts; `whenNone` is the error when there is no address.
 */
export async function tryAddresses(
  addresses: string[],
  start: (url: string) => Promise<RemoteOperation>,
  o: { msg: string; follow?: (op: RemoteOperation) => void; whenNone: string },
): Promise<Operation> {
  if (addresses.length === 0) throw new Error(o.whenNone);
  const errors: { url: string; error: Error }[] = [];
  for (const url of addresses) {
    let op: RemoteOperation;
    try {
      op = await start(url);
    } catch (e) {
      errors.push({ url, error: e as Error });
      continue;
    }
    o.follow?.(op);
    try {
      return await op.wait();
    } catch (e) {
      errors.push({ url, error: e as Error });
      if (!isConnectionError(e as Error)) break;
    }
  }
  throw attemptsError(o.msg, errors);
}
