// EventHub: fans out logging, operation and lifecycle events to listeners filtered by type and project.
import type { Event, EventLifecycle, EventLifecycleRequestor, EventLogging, EventType, Operation } from '@lodge/api';
import { formatTime } from '@lodge/api';

export interface EventListener {
  types: ReadonlySet<EventType>;
  /** Project to receive events for; ignored when allProjects is set. */
  project: string;
  allProjects: boolean;
  send(event: Event): void;
}

export interface LifecycleOptions {
  context?: Record<string, unknown>;
  requestor?: EventLifecycleRequestor;
}

export class EventHub {
  private readonly listeners = new Set<EventListener>();
  private loggingListeners = 0;
  /** Called when the number of logging listeners goes between zero and non-zero. */
  onLoggingDemand: (wanted: boolean) => void = () => undefined;

  constructor(private readonly location = 'none') {}

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    if (listener.types.has('logging') && this.loggingListeners++ === 0) this.onLoggingDemand(true);
    return () => {
      if (!this.listeners.delete(listener)) return;
      if (listener.types.has('logging') && --this.loggingListeners === 0) this.onLoggingDemand(false);
    };
  }

  get wantsLogging(): boolean {
    return this.loggingListeners > 0;
  }

  publish(event: Event): void {
    for (const l of this.listeners) {
      if (!l.types.has(event.type)) continue;
      if (event.project !== undefined && !l.allProjects && l.project !== event.project) continue;
      try {
        l.send(event);
      } catch {
        // A broken listener must never break the publisher; its stream cleans itself up.
      }
    }
  }

  lifecycle(project: string, action: string, source: string, opts: LifecycleOptions = {}): void {
    const metadata: EventLifecycle = { action, source: sourceUrl(source, project) };
    if (opts.context) metadata.context = opts.context;
    if (opts.requestor) metadata.requestor = opts.requestor;
    this.publish({ type: 'lifecycle', timestamp: formatTime(new Date()), metadata, location: this.location, project });
  }

  /** Operations without a project (project renames) go to every listener, as in LXD. */
  operation(project: string | undefined, op: Operation): void {
    const event: Event = { type: 'operation', timestamp: op.updated_at, metadata: op, location: this.location };
    if (project !== undefined) event.project = project;
    this.publish(event);
  }

  logging(metadata: EventLogging): void {
    if (this.loggingListeners === 0) return;
    this.publish({ type: 'logging', timestamp: formatTime(new Date()), metadata, location: this.location });
  }
}

/** LXD appends ?project= to lifecycle sources outside the default project. */
function sourceUrl(source: string, project: string): string {
  if (project === 'default' || source.includes('?')) return source;
  return `${source}?project=${encodeURIComponent(project)}`;
}
