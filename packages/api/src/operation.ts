// Operation objects as LXD serves them under /1.0/operations.
export type OperationClass = 'task' | 'websocket' | 'token';

export interface Operation {
  id: string;
  class: OperationClass;
  description: string;
  created_at: string;
  updated_at: string;
  status: string;
  status_code: number;
  resources: Record<string, string[]> | null;
  metadata: Record<string, unknown> | null;
  may_cancel: boolean;
  err: string;
  location: string;
}
