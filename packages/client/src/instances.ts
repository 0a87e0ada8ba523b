// Instance calls: list, get (with ETag), create, update, state changes, rename, delete, files, console log and log files.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type {
  Instance,
  InstanceBackup,
  InstanceBackupsPost,
  InstanceFull,
  InstancePost,
  InstancePut,
  InstanceSnapshot,
  InstanceSnapshotPut,
  InstanceSnapshotsPost,
  InstanceState,
  InstanceStatePut,
  InstancesPost,
  Operation,
} from '@lodge/api';
import type { LodgeClient } from './client.js';
import { readBody } from './transport.js';
import type { RemoteOperation } from './operation.js';

/** What GET/HEAD on `/files` says about a path (the X-LXD-* headers). */
export interface InstanceFileInfo {
  type: 'file' | 'directory' | 'symlink' | string;
  uid: number;
  gid: number;
  /** Permission bits, parsed from the 4-digit octal header. */
  mode: number;
}

export interface InstanceFileGet extends InstanceFileInfo {
  /** Directory entry names (directories only). */
  entries?: string[];
  /** The raw body for files and symlinks (the caller must consume it). */
  body?: IncomingMessage;
}

export interface InstanceFilePush {
  type?: 'file' | 'directory' | 'symlink';
  /** -1 or undefined: header not sent (the server keeps its default). */
  uid?: number;
  gid?: number;
  mode?: number;
  write?: 'overwrite' | 'append';
  content?: Buffer | string | Readable;
}

/** lxc's parseFilters: `k=v` filters become `k eq v`, joined with `and`. */
export function filterQuery(filters: string[]): string {
  return filters
    .filter((f) => f.includes('='))
    .map((f) => {
      const eq = f.indexOf('=');
      return `${f.slice(0, eq)} eq ${f.slice(eq + 1)}`;
    })
    .join(' and ');
}

/** "0640" style, as the Go client sends modes. */
export const octalMode = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

function fileInfo(res: IncomingMessage): InstanceFileInfo {
  const h = (k: string): string => String(res.headers[k] ?? '');
  return {
    type: h('x-lxd-type') || 'file',
    uid: Number.parseInt(h('x-lxd-uid'), 10) || 0,
    gid: Number.parseInt(h('x-lxd-gid'), 10) || 0,
    mode: Number.parseInt(h('x-lxd-mode') || '0', 8) || 0,
  };
}

/** Where `POST /1.0/instances` with a backup tarball puts the new instance (X-LXD-pool, X-LXD-name). */
export interface BackupImportOptions {
  pool?: string;
  name?: string;
}

export class Instances {
  constructor(private readonly c: LodgeClient) {}

  private path(name: string, sub = ''): string {
    return `/1.0/instances/${encodeURIComponent(name)}${sub}`;
  }

  /** recursion 2 gives state, snapshots and backups (one request for `list`). */
  list(recursion: 0 | 1 | 2 = 1, filters: string[] = []): Promise<InstanceFull[]> {
    const q = new URLSearchParams({ filter: filterQuery(filters), recursion: String(recursion) });
    return this.c.get<InstanceFull[]>(`/1.0/instances?${q.toString()}`);
  }

  names(): Promise<string[]> {
    return this.c.get<string[]>('/1.0/instances').then((urls) => urls.map((u) => decodeURIComponent(u.slice(u.lastIndexOf('/') + 1))));
  }

  async get(name: string): Promise<{ instance: Instance; etag?: string }> {
    const r = await this.c.query<Instance>('GET', this.path(name));
    return { instance: r.metadata, etag: r.etag };
  }

  full(name: string): Promise<InstanceFull> {
    return this.c.get<InstanceFull>(`${this.path(name)}?recursion=1`);
  }

  state(name: string): Promise<InstanceState> {
    return this.c.get<InstanceState>(this.path(name, '/state'));
  }

  create(body: InstancesPost): Promise<RemoteOperation> {
    return this.c.operation('POST', '/1.0/instances', body);
  }

  /** PUT with If-Match (the daemon answers with an "Updating instance" operation). */
  update(name: string, put: InstancePut, etag?: string): Promise<RemoteOperation> {
    return this.c.operation('PUT', this.path(name), put, { etag });
  }

  setState(name: string, put: InstanceStatePut): Promise<RemoteOperation> {
    return this.c.operation('PUT', this.path(name, '/state'), put);
  }

  rename(name: string, to: string): Promise<RemoteOperation> {
    const body: InstancePost = { name: to };
    return this.c.operation('POST', this.path(name), body);
  }

  delete(name: string): Promise<RemoteOperation> {
    return this.c.operation('DELETE', this.path(name));
  }

  private fileUrl(name: string, path: string): string {
    return `${this.path(name, '/files')}?${new URLSearchParams({ path }).toString()}`;
  }

  /** GET a path: a directory's entries, or the body of a file or symlink. */
  async getFile(name: string, path: string): Promise<InstanceFileGet> {
    const res = await this.c.raw('GET', this.fileUrl(name, path));
    const info = fileInfo(res);
    if (info.type === 'directory') {
      const env = JSON.parse((await readBody(res)).toString()) as { metadata?: string[] | null };
      return { ...info, entries: env.metadata ?? [] };
    }
    return { ...info, body: res };
  }

  /** HEAD: the metadata only. */
  async statFile(name: string, path: string): Promise<InstanceFileInfo> {
    const res = await this.c.raw('HEAD', this.fileUrl(name, path));
    res.resume();
    return fileInfo(res);
  }

  async pushFile(name: string, path: string, args: InstanceFilePush): Promise<void> {
    const headers: Record<string, string> = {};
    if (args.uid !== undefined && args.uid > -1) headers['X-LXD-uid'] = String(args.uid);
    if (args.gid !== undefined && args.gid > -1) headers['X-LXD-gid'] = String(args.gid);
    if (args.mode !== undefined && args.mode > -1) headers['X-LXD-mode'] = octalMode(args.mode);
    if (args.type) headers['X-LXD-type'] = args.type;
    if (args.write) headers['X-LXD-write'] = args.write;
    const body = args.content ?? '';
    if (typeof body === 'string' || Buffer.isBuffer(body)) headers['Content-Length'] = String(Buffer.byteLength(body));
    else headers['Transfer-Encoding'] = 'chunked';
    const res = await this.c.raw('POST', this.fileUrl(name, path), body, { headers });
    await readBody(res);
  }

  async deleteFile(name: string, path: string): Promise<void> {
    await this.c.query('DELETE', this.fileUrl(name, path));
  }

  /** The console ring buffer (or the on-disk log of a stopped instance). */
  async consoleLog(name: string): Promise<Buffer> {
    return readBody(await this.c.raw('GET', this.path(name, '/console')));
  }

  async clearConsoleLog(name: string): Promise<void> {
    await this.c.query('DELETE', this.path(name, '/console'));
  }

  logs(name: string): Promise<string[]> {
    return this.c.get<string[]>(this.path(name, '/logs'));
  }

  async logFile(name: string, file: string): Promise<Buffer> {
    return readBody(await this.c.raw('GET', this.path(name, `/logs/${encodeURIComponent(file)}`)));
  }

  /** Snapshot URLs are `<instance>/snapshots/<snapshot>`. */
  private snapPath(name: string, snapshot = ''): string {
    return this.path(name, `/snapshots${snapshot ? `/${encodeURIComponent(snapshot)}` : ''}`);
  }

  snapshots(name: string): Promise<InstanceSnapshot[]> {
    return this.c.get<InstanceSnapshot[]>(`${this.snapPath(name)}?recursion=1`);
  }

  async snapshot(name: string, snapshot: string): Promise<{ snapshot: InstanceSnapshot; etag?: string }> {
    const r = await this.c.query<InstanceSnapshot>('GET', this.snapPath(name, snapshot));
    return { snapshot: r.metadata, etag: r.etag };
  }

  /** `expires_at: null` lets the server apply snapshots.expiry; Go's zero time means "never" (lxc --no-expiry). */
  createSnapshot(name: string, body: InstanceSnapshotsPost): Promise<RemoteOperation> {
    return this.c.operation('POST', this.snapPath(name), { name: body.name ?? '', stateful: body.stateful === true, expires_at: body.expires_at ?? null });
  }

  renameSnapshot(name: string, snapshot: string, to: string): Promise<RemoteOperation> {
    return this.c.operation('POST', this.snapPath(name, snapshot), { name: to });
  }

  updateSnapshot(name: string, snapshot: string, put: InstanceSnapshotPut, etag?: string): Promise<RemoteOperation> {
    return this.c.operation('PUT', this.snapPath(name, snapshot), put, { etag });
  }

  deleteSnapshot(name: string, snapshot: string): Promise<RemoteOperation> {
    return this.c.operation('DELETE', this.snapPath(name, snapshot));
  }

  /** Restores a snapshot (`snapshot` is its name or `instance/snapshot`): the PUT lxc sends, every other field null. */
  restore(name: string, snapshot: string, stateful = false): Promise<RemoteOperation> {
    const body = {
      architecture: '',
      config: null,
      devices: null,
      ephemeral: false,
      profiles: null,
      restore: snapshot.includes('/') ? snapshot : `${name}/${snapshot}`,
      stateful,
      description: '',
    };
    return this.c.operation('PUT', this.path(name), body);
  }

  private backupPath(name: string, backup = ''): string {
    return this.path(name, `/backups${backup ? `/${encodeURIComponent(backup)}` : ''}`);
  }

  backups(name: string): Promise<InstanceBackup[]> {
    return this.c.get<InstanceBackup[]>(`${this.backupPath(name)}?recursion=1`);
  }

  async backup(name: string, backup: string): Promise<InstanceBackup> {
    return this.c.get<InstanceBackup>(this.backupPath(name, backup));
  }

  /** The operation's `resources.backups[0]` is `/1.0/backups/<name>` (lxc export reads the name from it). */
  createBackup(name: string, body: InstanceBackupsPost): Promise<RemoteOperation> {
    return this.c.operation('POST', this.backupPath(name), body);
  }

  renameBackup(name: string, backup: string, to: string): Promise<RemoteOperation> {
    return this.c.operation('POST', this.backupPath(name, backup), { name: to });
  }

  deleteBackup(name: string, backup: string): Promise<RemoteOperation> {
    return this.c.operation('DELETE', this.backupPath(name, backup));
  }

  /** The backup tarball (the caller consumes the body; Content-Length gives its size). */
  exportBackup(name: string, backup: string): Promise<IncomingMessage> {
    return this.c.raw('GET', `${this.backupPath(name, backup)}/export`);
  }

  /** Creates an instance from a backup tarball (`lxc import`): the raw body, X-LXD-pool and X-LXD-name. */
  async importBackup(body: Readable | Buffer, opts: BackupImportOptions = {}): Promise<RemoteOperation> {
    const events = await this.c.events();
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
    if (opts.pool) headers['X-LXD-pool'] = opts.pool;
    if (opts.name) headers['X-LXD-name'] = opts.name;
    const res = await this.c.raw('POST', '/1.0/instances', body, { headers });
    const env = JSON.parse((await readBody(res)).toString()) as { metadata: Operation };
    return this.c.track(env.metadata, events);
  }
}
