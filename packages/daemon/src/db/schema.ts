// Schema versioning: the version lives in the store; migrations run in order inside one transaction each.
import type { Tx } from './store.js';

export interface Migration {
  version: number;
  description: string;
  up(tx: Tx): Promise<void>;
}

/** Append-only: never edit a released migration, add a new one. */
export const migrations: Migration[] = [
  {
    version: 1,
    description: 'initial layout: projects, profiles, images, aliases, pools, server config',
    up: async () => undefined,
  },
];

export const schemaVersion = migrations.length === 0 ? 0 : Math.max(...migrations.map((m) => m.version));

export const schemaKey = 'meta/schema';
