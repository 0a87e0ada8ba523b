// Collection: a typed repository of named records under one key prefix, scoped (usually by project).
import { ApiError } from '@lodge/api';
import type { Txn } from './txn.js';

export class Collection<T> {
  /**
   * @param prefix first key segment, e.g. "profiles"
   * @param label what a record is called in errors, e.g. "Profile"
   */
  constructor(
    private readonly tx: Txn,
    readonly prefix: string,
    readonly label: string,
  ) {}

  key(scope: string, name: string): string {
    return `${this.prefix}/${scope}/${name}`;
  }

  get(scope: string, name: string): Promise<T | undefined> {
    return this.tx.get<T>(this.key(scope, name));
  }

  async must(scope: string, name: string): Promise<T> {
    const rec = await this.get(scope, name);
    if (rec === undefined) throw ApiError.notFound(`${this.label} not found`);
    return rec;
  }

  async exists(scope: string, name: string): Promise<boolean> {
    return (await this.get(scope, name)) !== undefined;
  }

  async list(scope: string): Promise<T[]> {
    return (await this.tx.list<T>(`${this.prefix}/${scope}/`)).map(([, v]) => v);
  }

  async names(scope: string): Promise<string[]> {
    const p = `${this.prefix}/${scope}/`;
    return (await this.tx.list<T>(p)).map(([k]) => k.slice(p.length));
  }

  /** Every record in every scope, with its scope. */
  async all(): Promise<{ scope: string; name: string; value: T }[]> {
    const p = `${this.prefix}/`;
    return (await this.tx.list<T>(p)).map(([k, value]) => {
      const rest = k.slice(p.length);
      const slash = rest.indexOf('/');
      return { scope: rest.slice(0, slash), name: rest.slice(slash + 1), value };
    });
  }

  async create(scope: string, name: string, value: T): Promise<void> {
    if (await this.exists(scope, name)) throw ApiError.conflict(`${this.label} "${name}" already exists`);
    this.tx.put(this.key(scope, name), value);
  }

  async update(scope: string, name: string, value: T): Promise<void> {
    await this.must(scope, name);
    this.tx.put(this.key(scope, name), value);
  }

  /** Creates or replaces without checks (for records keyed by content, like images). */
  put(scope: string, name: string, value: T): void {
    this.tx.put(this.key(scope, name), value);
  }

  async rename(scope: string, from: string, to: string, value: T): Promise<void> {
    await this.must(scope, from);
    if (await this.exists(scope, to)) throw ApiError.conflict(`${this.label} "${to}" already exists`);
    this.tx.delete(this.key(scope, from));
    this.tx.put(this.key(scope, to), value);
  }

  async delete(scope: string, name: string): Promise<void> {
    await this.must(scope, name);
    this.tx.delete(this.key(scope, name));
  }
}
