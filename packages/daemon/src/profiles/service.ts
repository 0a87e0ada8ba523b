// Profiles: validated config and devices shared by instances; create, update, rename, delete, used_by.
import type { Devices, Profile, ProfilePut, ProfilesPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { validateDevices } from '../config/devices.js';
import { instanceSchema, profileKeyProblem } from '../config/instance.js';
import { validateConfig, withoutEmpty } from '../config/keys.js';
import { validateObjectName } from '../config/names.js';
import type { ProfileRecord } from '../db/records.js';
import { globalScope, type Store, type Tx } from '../db/store.js';
import type { EventHub, LifecycleOptions } from '../events/hub.js';
import type { ProjectService } from '../projects/service.js';
import { etagOf } from '../util/etag.js';
import { seg } from '../util/url.js';

/** Reports the URLs of objects using a profile (instances, later). */
export type ProfileUsage = (tx: Tx, project: string, profile: string) => Promise<string[]>;

/** Called after a profile changed (with its previous content), so running instances can pick up the change. */
export type ProfileChanged = (scope: string, previous: ProfileRecord) => Promise<void>;

export class ProfileService {
  private readonly usage: ProfileUsage[] = [];
  private readonly changed: ProfileChanged[] = [];
  private readonly deviceChecks: ((tx: Tx, devices: Devices, project: string) => Promise<void>)[] = [];

  constructor(
    private readonly store: Store,
    private readonly events: EventHub,
    private readonly projects: ProjectService,
  ) {}

  addUsage(fn: ProfileUsage): void {
    this.usage.push(fn);
  }

  onChanged(fn: ProfileChanged): void {
    this.changed.push(fn);
  }

  /** Extra device checks that need other subsystems (nics against managed networks); project = the profile's. */
  addDeviceCheck(fn: (tx: Tx, devices: Devices, project: string) => Promise<void>): void {
    this.deviceChecks.push(fn);
  }

  /** Creates the default profile with a root disk on the given pool on first start. */
  async ensureDefault(pool: string): Promise<void> {
    await this.store.tx(async (tx) => {
      if (await tx.profiles.exists('default', 'default')) return;
      await tx.profiles.create('default', 'default', {
        name: 'default',
        description: 'Default Lodge profile',
        config: {},
        devices: { root: { path: '/', pool, type: 'disk' } },
      });
    });
  }

  async list(project: string): Promise<Profile[]> {
    return this.store.read(async (tx) => {
      const scope = await this.projects.effective(tx, project, 'features.profiles');
      return Promise.all((await tx.profiles.list(scope)).map((r) => this.toApi(tx, scope, r)));
    });
  }

  async names(project: string): Promise<string[]> {
    return this.store.read(async (tx) => tx.profiles.names(await this.projects.effective(tx, project, 'features.profiles')));
  }

  async get(project: string, name: string): Promise<{ profile: Profile; etag: string }> {
    return this.store.read(async (tx) => {
      const scope = await this.projects.effective(tx, project, 'features.profiles');
      const rec = await tx.profiles.must(scope, name);
      return { profile: await this.toApi(tx, scope, rec), etag: etag(rec) };
    });
  }

  /** Records of the named profiles in order, for expanding instance config (404 naming a missing one). */
  async records(tx: Tx, project: string, names: string[]): Promise<ProfileRecord[]> {
    const scope = await this.projects.effective(tx, project, 'features.profiles');
    return Promise.all(
      names.map(async (n) => {
        const rec = await tx.profiles.get(scope, n);
        if (!rec) throw ApiError.notFound(`Profile "${n}" not found`);
        return rec;
      }),
    );
  }

  async create(project: string, req: ProfilesPost, lc: LifecycleOptions): Promise<void> {
    const name = validateObjectName('Profile', req.name);
    const rec: ProfileRecord = { name, description: req.description ?? '', config: withoutEmpty(req.config), devices: req.devices ?? {} };
    await this.store.tx(async (tx) => {
      const scope = await this.projects.effective(tx, project, 'features.profiles');
      await this.validate(tx, scope, rec);
      await tx.profiles.create(scope, name, rec);
      tx.onCommit(() => this.events.lifecycle(project, 'profile-created', `/1.0/profiles/${seg(name)}`, lc));
    });
  }

  async update(
    project: string,
    name: string,
    put: Partial<ProfilePut>,
    opts: { etag?: (current: string) => void; patch: boolean; lc: LifecycleOptions },
  ): Promise<void> {
    const { scope, previous } = await this.store.tx(async (tx) => {
      const scope = await this.projects.effective(tx, project, 'features.profiles');
      const cur = await tx.profiles.must(scope, name);
      opts.etag?.(etag(cur));
      const next: ProfileRecord = opts.patch
        ? {
            name,
            description: put.description ?? cur.description,
            config: withoutEmpty({ ...cur.config, ...(put.config ?? {}) }),
            devices: { ...cur.devices, ...(put.devices ?? {}) },
          }
        : { name, description: put.description ?? '', config: withoutEmpty(put.config), devices: put.devices ?? {} };
      await this.validate(tx, scope, next);
      await tx.profiles.update(scope, name, next);
      tx.onCommit(() => this.events.lifecycle(project, 'profile-updated', `/1.0/profiles/${seg(name)}`, opts.lc));
      return { scope, previous: cur };
    });
    for (const fn of this.changed) await fn(scope, previous);
  }

  async rename(project: string, name: string, to: string, lc: LifecycleOptions): Promise<void> {
    if (name === 'default') throw ApiError.forbidden("The 'default' profile cannot be renamed");
    const newName = validateObjectName('Profile', to);
    await this.store.tx(async (tx) => {
      const scope = await this.projects.effective(tx, project, 'features.profiles');
      const rec = await tx.profiles.must(scope, name);
      if ((await this.usedBy(tx, scope, name)).length > 0) throw ApiError.conflict(`Profile "${name}" is currently in use`);
      await tx.profiles.rename(scope, name, newName, { ...rec, name: newName });
      tx.onCommit(() => this.events.lifecycle(project, 'profile-renamed', `/1.0/profiles/${seg(newName)}`, { ...lc, context: { old_name: name } }));
    });
  }

  async delete(project: string, name: string, lc: LifecycleOptions): Promise<void> {
    if (name === 'default') throw ApiError.forbidden("The 'default' profile cannot be deleted");
    await this.store.tx(async (tx) => {
      const scope = await this.projects.effective(tx, project, 'features.profiles');
      await tx.profiles.must(scope, name);
      if ((await this.usedBy(tx, scope, name)).length > 0) throw ApiError.badRequest(`Profile is currently in use`);
      await tx.profiles.delete(scope, name);
      tx.onCommit(() => this.events.lifecycle(project, 'profile-deleted', `/1.0/profiles/${seg(name)}`, lc));
    });
  }

  private async validate(tx: Tx, scope: string, rec: ProfileRecord): Promise<void> {
    for (const key of Object.keys(rec.config)) {
      const problem = profileKeyProblem(key);
      if (problem) throw ApiError.badRequest(`${problem} (key "${key}")`);
    }
    validateConfig(instanceSchema, rec.config);
    validateDevices(rec.devices);
    await checkPools(tx, rec.devices);
    for (const fn of this.deviceChecks) await fn(tx, rec.devices, scope);
  }

  private async usedBy(tx: Tx, scope: string, name: string): Promise<string[]> {
    return (await Promise.all(this.usage.map((fn) => fn(tx, scope, name)))).flat();
  }

  private async toApi(tx: Tx, scope: string, rec: ProfileRecord): Promise<Profile> {
    return { ...rec, used_by: await this.usedBy(tx, scope, rec.name) };
  }
}

/** Disk devices must name pools that exist. */
export async function checkPools(tx: Tx, devices: Devices): Promise<void> {
  for (const [name, dev] of Object.entries(devices)) {
    if (dev.type === 'disk' && dev.pool && !(await tx.pools.exists(globalScope, dev.pool))) {
      throw ApiError.badRequest(`Device "${name}": storage pool "${dev.pool}" doesn't exist`);
    }
  }
}

function etag(rec: ProfileRecord): string {
  return etagOf(rec.config, rec.description, rec.devices);
}
