// Events sent on /1.0/events: logging, operation and lifecycle.
export type EventType = 'logging' | 'operation' | 'lifecycle';

export const eventTypes: readonly EventType[] = ['logging', 'operation', 'lifecycle'];

export interface Event<T = unknown> {
  type: EventType;
  timestamp: string;
  metadata: T;
  location: string;
  project?: string;
}

export interface EventLogging {
  message: string;
  level: string;
  context: Record<string, string>;
}

export interface EventLifecycleRequestor {
  username: string;
  protocol: string;
  address: string;
}

export interface EventLifecycle {
  action: string;
  source: string;
  context?: Record<string, unknown>;
  requestor?: EventLifecycleRequestor;
}
