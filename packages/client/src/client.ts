// LodgeClient: typed access to an LXD-compatible server (lodged or LXD) over the unix socket or HTTPS.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Operation, ResponseRaw, Server } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { Certificates } from './certificates.js';
import { EventStream } from './events.js';
import { Images } from './images.js';
import { Instances } from './instances.js';
import { Profiles } from './profiles.js';
import { Projects } from './projects.js';
import { ServerApi } from './server.js';
import { StoragePools } from './storage.js';
import { RemoteOperation } from './operation.js';
import { Transport, readBody, type TlsOptions } from './transport.js';

export interface QueryOptions {
  /** Sent as If-Match (quoted). */
  etag?: string;
  headers?: OutgoingHttpHeaders;
  /** Add ?project= (default true). */
  withProject?: boolean;
  signal?: AbortSignal;
}

export interface QueryResult<T> {
  metadata: T;
  /** The envelope's type: sync or async. */
  type?: string;
  status: number;
  etag?: string;
  location?: string;
  operation?: string;
}

/** What another server needs to reach this one (lxc's GetConnectionInfo), for image and instance copies. */
export interface ConnectionInfo {
  /** https URLs the server can be reached at: the one used, then its `environment.addresses`. */
  addresses: string[];
  /** PEM the other side pins: the server's own certificate over the unix socket, the pinned one over HTTPS. */
  certificate: string;
  protocol: 'lxd';
  url: string;
  socketPath?: string;
  project: string;
}

export class LodgeClient {
  private eventsPromise?: Promise<EventStream>;
  private serverPromise?: Promise<Server>;
  /** Send ?project= even for the default project (the Go client does once UseProject was called). */
  private explicitProject = false;
  /** Clients for other projects made by useProject: closed with this one. */
  private readonly others: LodgeClient[] = [];

  constructor(
    readonly transport: Transport,
    readonly project = 'default',
  ) {}

  static unix(socketPath: string, project = 'default'): LodgeClient {
    return new LodgeClient(new Transport({ socketPath }), project);
  }

  static https(url: string, tls: TlsOptions, project = 'default'): LodgeClient {
    return new LodgeClient(new Transport({ url, tls }), project);
  }

  get certificates(): Certificates {
    return new Certificates(this);
  }

  get images(): Images {
    return new Images(this);
  }

  get instances(): Instances {
    return new Instances(this);
  }

  get profiles(): Profiles {
    return new Profiles(this);
  }

  get projects(): Projects {
    return new Projects(this);
  }

  get server(): ServerApi {
    return new ServerApi(this);
  }

  get storage(): StoragePools {
    return new StoragePools(this);
  }

  /** GET /1.0, fetched once per client (as the Go client keeps it from the connection). */
  serverInfo(): Promise<Server> {
    this.serverPromise ??= this.get<Server>('/1.0');
    this.serverPromise.catch(() => (this.serverPromise = undefined));
    return this.serverPromise;
  }

  /** Whether the server advertises an API extension (lxc's HasExtension, from the cached GET /1.0). */
  async hasExtension(name: string): Promise<boolean> {
    return ((await this.serverInfo()).api_extensions ?? []).includes(name);
  }

  async connectionInfo(): Promise<ConnectionInfo> {
    const srv = await this.serverInfo();
    const t = this.transport.opts;
    const addresses: string[] = [];
    const url = t.socketPath ? 'https://custom.socket' : (t.url ?? '').replace(/\/+$/, '');
    if (!t.socketPath) addresses.push(url);
    for (const a of srv.environment?.addresses ?? []) {
      if (a.startsWith(':')) continue;
      const u = `https://${a}`;
      if (!addresses.includes(u)) addresses.push(u);
    }
    const certificate = t.socketPath ? (srv.environment?.certificate ?? '') : (t.tls?.ca ?? '');
    return { addresses, certificate, protocol: 'lxd', url, ...(t.socketPath ? { socketPath: t.socketPath } : {}), project: this.project };
  }

  /** Same server, another project; `explicit` names even the default project in requests, as the Go client's UseProject. */
  useProject(project: string, explicit = false): LodgeClient {
    const c = new LodgeClient(this.transport, project);
    c.explicitProject = explicit;
    c.serverPromise = this.serverPromise;
    this.others.push(c);
    return c;
  }

  /** Adds ?project= for non-default projects (unless the path already has one). */
  url(path: string, withProject = true): string {
    if (!withProject || (this.project === 'default' && !this.explicitProject) || /[?&]project=/.test(path)) return path;
    return `${path}${path.includes('?') ? '&' : '?'}project=${encodeURIComponent(this.project)}`;
  }

  /** A raw request; the caller reads the body. Errors in the LXD envelope are thrown as ApiError. */
  async raw(method: string, path: string, body?: Buffer | string | Readable, opts: QueryOptions = {}): Promise<IncomingMessage> {
    const headers: OutgoingHttpHeaders = { ...opts.headers };
    if (opts.etag) headers['If-Match'] = `"${opts.etag}"`;
    const res = await this.transport.request({ method, path: this.url(path, opts.withProject ?? true), headers, body, signal: opts.signal });
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    return res;
  }

  async query<T = unknown>(method: string, path: string, body?: unknown, opts: QueryOptions = {}): Promise<QueryResult<T>> {
    const headers: OutgoingHttpHeaders = { ...opts.headers };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    const res = await this.raw(method, path, payload, { ...opts, headers });
    const text = (await readBody(res)).toString();
    let env: ResponseRaw<T>;
    try {
      env = JSON.parse(text) as ResponseRaw<T>;
    } catch {
      throw new ApiError(res.statusCode ?? 500, `Invalid response from server: ${text.slice(0, 200)}`);
    }
    if (env.type === 'error') throw new ApiError(env.error_code || (res.statusCode ?? 500), env.error);
    return {
      metadata: env.metadata,
      type: env.type,
      status: res.statusCode ?? 200,
      etag: (res.headers.etag as string | undefined)?.replace(/^"|"$/g, ''),
      location: res.headers.location as string | undefined,
      operation: env.operation || undefined,
    };
  }

  async get<T = unknown>(path: string): Promise<T> {
    return (await this.query<T>('GET', path)).metadata;
  }

  /** The shared event stream (opened once per client, as the lxc client does). */
  events(): Promise<EventStream> {
    if (!this.eventsPromise) {
      this.eventsPromise = EventStream.open(this.transport, { project: this.project });
      this.eventsPromise.then(
        (s) => s.onClose(() => (this.eventsPromise = undefined)),
        () => (this.eventsPromise = undefined),
      );
    }
    return this.eventsPromise;
  }

  /** Sends a request that returns an operation; the event stream is opened first so no update is missed. */
  async operation(method: string, path: string, body?: unknown, opts: QueryOptions = {}): Promise<RemoteOperation> {
    const events = await this.events();
    const res = await this.query<Operation>(method, path, body, opts);
    // A server that answers synchronously where LXD creates an operation has already done the work.
    if (res.type === 'sync') return this.track(finishedOperation(res.metadata), events);
    return this.track(res.metadata, events);
  }

  /** Tracks an operation created by a raw request (uploads). */
  async track(op: Operation, events?: EventStream): Promise<RemoteOperation> {
    const stream = events ?? (await this.events());
    return new RemoteOperation(op, stream, () => this.get<Operation>(`/1.0/operations/${op.id}`));
  }

  /** Closes the event stream (and those of the clients useProject made). */
  close(): void {
    void this.eventsPromise?.then((s) => s.close()).catch(() => undefined);
    this.eventsPromise = undefined;
    for (const c of this.others.splice(0)) c.close();
  }
}

/** A successful operation standing for a synchronous answer. */
function finishedOperation(metadata: unknown): Operation {
  const now = new Date().toISOString();
  const md = metadata && typeof metadata === 'object' && !Array.isArray(metadata) ? (metadata as Record<string, unknown>) : null;
  return { id: '', class: 'task', description: '', created_at: now, updated_at: now, status: 'Success', status_code: 200, resources: null, metadata: md, may_cancel: false, err: '', location: 'none' };
}

async function errorFrom(res: IncomingMessage): Promise<ApiError> {
  const text = (await readBody(res)).toString();
  try {
    const env = JSON.parse(text) as ResponseRaw<null>;
    if (env.error) return new ApiError(res.statusCode ?? 500, env.error);
  } catch {
    /* not an LXD envelope */
  }
  return new ApiError(res.statusCode ?? 500, text.trim() || res.statusMessage || `HTTP ${res.statusCode}`);
}
