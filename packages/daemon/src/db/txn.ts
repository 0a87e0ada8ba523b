// Txn: optimistic transaction over the kv contract (reads remember revisions, writes commit at once).
import type { KvEngine } from './kv.js';

export class Conflict extends Error {
  constructor() {
    super('database transaction conflict');
  }
}

export class Txn {
  /** Revisions seen by reads (0 = absent); they guard the commit. */
  private readonly seen = new Map<string, number>();
  private readonly writes = new Map<string, string | null>();
  private readonly afterCommit: (() => void)[] = [];

  constructor(private readonly kv: KvEngine) {}

  async getRaw(key: string): Promise<string | undefined> {
    if (this.writes.has(key)) return this.writes.get(key) ?? undefined;
    const entry = await this.kv.get(key);
    if (!this.seen.has(key)) this.seen.set(key, entry?.revision ?? 0);
    return entry?.value;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.getRaw(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  /** Keys and values under a prefix, including this transaction's own writes. */
  async list<T>(prefix: string): Promise<[string, T][]> {
    const merged = new Map<string, string>();
    for (const e of await this.kv.list(prefix)) {
      merged.set(e.key, e.value);
      if (!this.seen.has(e.key)) this.seen.set(e.key, e.revision);
    }
    for (const [k, v] of this.writes) {
      if (!k.startsWith(prefix)) continue;
      if (v === null) merged.delete(k);
      else merged.set(k, v);
    }
    return [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, JSON.parse(v) as T]);
  }

  put(key: string, value: unknown): void {
    this.writes.set(key, JSON.stringify(value));
  }

  delete(key: string): void {
    this.writes.set(key, null);
  }

  /** Runs after a successful commit (e.g. to publish events for what was written). */
  onCommit(fn: () => void): void {
    this.afterCommit.push(fn);
  }

  async commit(): Promise<void> {
    const compares = [...this.seen.entries()].map(([key, revision]) => ({ key, revision }));
    const writes = [...this.writes.entries()].map(([key, value]) => ({ key, value }));
    if (!(await this.kv.commit(compares, writes))) throw new Conflict();
    for (const fn of this.afterCommit) fn();
  }
}
