// The LXD response envelope, identical for sync, async and error replies.
import type { Operation } from './operation.js';

export interface ResponseRaw<T = unknown> {
  type: 'sync' | 'async' | 'error';
  status: string;
  status_code: number;
  operation: string;
  error_code: number;
  error: string;
  metadata: T;
}

export type SyncResponse<T> = ResponseRaw<T> & { type: 'sync' };
export type AsyncResponse = ResponseRaw<Operation> & { type: 'async' };
export type ErrorResponse = ResponseRaw<null> & { type: 'error' };
