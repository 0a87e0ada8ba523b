// SQLite engine for the kv contract: one table, a global revision counter, synchronous durable commits.
import Database from 'better-sqlite3';
import type { KvCompare, KvEngine, KvEntry, KvWrite } from './kv.js';

interface Row {
  key: string;
  value: string;
  revision: number;
}

export class SqliteKv implements KvEngine {
  private readonly db: Database.Database;
  private readonly stmts: {
    get: Database.Statement<[string], Row>;
    list: Database.Statement<[string, string], Row>;
    rev: Database.Statement<[string], { revision: number }>;
    put: Database.Statement<[string, string, number]>;
    del: Database.Statement<[string]>;
    bump: Database.Statement<[], { revision: number }>;
  };
  private readonly commitTx: (compares: KvCompare[], writes: KvWrite[]) => boolean;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // FULL: an acknowledged commit survives a crash of the daemon and of the machine.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, revision INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);
      INSERT OR IGNORE INTO revision (id, revision) VALUES (1, 0);
    `);
    this.stmts = {
      get: this.db.prepare('SELECT key, value, revision FROM kv WHERE key = ?'),
      list: this.db.prepare('SELECT key, value, revision FROM kv WHERE key >= ? AND key < ? ORDER BY key'),
      rev: this.db.prepare('SELECT revision FROM kv WHERE key = ?'),
      put: this.db.prepare('INSERT INTO kv (key, value, revision) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, revision = excluded.revision'),
      del: this.db.prepare('DELETE FROM kv WHERE key = ?'),
      bump: this.db.prepare('UPDATE revision SET revision = revision + 1 WHERE id = 1 RETURNING revision'),
    };
    this.commitTx = this.db.transaction((compares: KvCompare[], writes: KvWrite[]) => {
      for (const c of compares) {
        const current = this.stmts.rev.get(c.key)?.revision ?? 0;
        if (current !== c.revision) return false;
      }
      if (writes.length === 0) return true;
      const revision = this.stmts.bump.get()?.revision ?? 0;
      for (const w of writes) {
        if (w.value === null) this.stmts.del.run(w.key);
        else this.stmts.put.run(w.key, w.value, revision);
      }
      return true;
    });
  }

  async get(key: string): Promise<KvEntry | undefined> {
    return this.stmts.get.get(key);
  }

  async list(prefix: string): Promise<KvEntry[]> {
    return this.stmts.list.all(prefix, prefixEnd(prefix));
  }

  async commit(compares: KvCompare[], writes: KvWrite[]): Promise<boolean> {
    return this.commitTx(compares, writes);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/** The smallest string greater than every string with the prefix. */
function prefixEnd(prefix: string): string {
  return prefix + '\uffff';
}
