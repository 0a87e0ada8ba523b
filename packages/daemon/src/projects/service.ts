// Projects: create, update, rename and delete namespaces; resolve which project owns images and profiles.
import type { Project, ProjectPut, ProjectsPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { validateConfig, withoutEmpty } from '../config/keys.js';
import { validateProjectName } from '../config/names.js';
import { newProjectFeatureDefaults, projectSchema, type ProjectFeature } from '../config/project.js';
import { isTrue } from '../config/validators.js';
import type { ProjectRecord } from '../db/records.js';
import { globalScope, type Store, type Tx } from '../db/store.js';
import type { EventHub, LifecycleOptions } from '../events/hub.js';
import { etagOf } from '../util/etag.js';
import { apiUrl, seg } from '../util/url.js';

/** Something else in the daemon that can report what it keeps in a project. */
export type ProjectUsage = (tx: Tx, project: string) => Promise<string[]>;

export class ProjectService {
  private readonly usage: ProjectUsage[] = [];

  constructor(
    private readonly store: Store,
    private readonly events: EventHub,
  ) {
    this.usage.push(async (tx, project) => {
      const urls: string[] = [];
      for (const img of await tx.images.list(project)) urls.push(apiUrl(`/1.0/images/${img.fingerprint}`, project));
      for (const p of await tx.profiles.list(project)) urls.push(apiUrl(`/1.0/profiles/${seg(p.name)}`, project));
      return urls;
    });
  }

  /** Lets later subsystems (instances, networks, volumes) report their objects in a project. */
  addUsage(fn: ProjectUsage): void {
    this.usage.push(fn);
  }

  async ensureDefault(): Promise<void> {
    await this.store.tx(async (tx) => {
      if (await tx.projects.exists(globalScope, 'default')) return;
      await tx.projects.create(globalScope, 'default', {
        name: 'default',
        description: 'Default Lodge project',
        config: { 'features.images': 'true', 'features.profiles': 'true', 'features.storage.volumes': 'true', 'features.networks': 'true' },
      });
    });
  }

  async must(name: string): Promise<ProjectRecord> {
    return this.store.read((tx) => tx.projects.must(globalScope, name));
  }

  /** The project whose images/profiles a project uses (itself, or default when the feature is off). */
  async effective(tx: Tx, project: string, feature: ProjectFeature): Promise<string> {
    if (project === 'default') return project;
    const rec = await tx.projects.must(globalScope, project);
    return isTrue(rec.config[feature]) ? project : 'default';
  }

  effectiveNow(project: string, feature: ProjectFeature): Promise<string> {
    return this.store.read((tx) => this.effective(tx, project, feature));
  }

  async list(): Promise<Project[]> {
    return this.store.read(async (tx) => Promise.all((await tx.projects.list(globalScope)).map((r) => this.toApi(tx, r))));
  }

  async names(): Promise<string[]> {
    return this.store.read((tx) => tx.projects.names(globalScope));
  }

  async get(name: string): Promise<{ project: Project; etag: string }> {
    return this.store.read(async (tx) => {
      const rec = await tx.projects.must(globalScope, name);
      return { project: await this.toApi(tx, rec), etag: etag(rec) };
    });
  }

  async create(req: ProjectsPost, lc: LifecycleOptions): Promise<void> {
    const name = validateProjectName(req.name);
    const config = { ...newProjectFeatureDefaults, ...withoutEmpty(req.config) };
    validateConfig(projectSchema, config);
    await this.store.tx(async (tx) => {
      await tx.projects.create(globalScope, name, { name, description: req.description ?? '', config });
      if (isTrue(config['features.profiles'])) {
        await tx.profiles.create(name, 'default', { name: 'default', description: `Default Lodge profile for project ${name}`, config: {}, devices: {} });
      }
      tx.onCommit(() => this.events.lifecycle(name, 'project-created', `/1.0/projects/${seg(name)}`, lc));
    });
  }

  async update(name: string, put: Partial<ProjectPut>, opts: { etag?: (current: string) => void; patch: boolean; lc: LifecycleOptions }): Promise<void> {
    await this.store.tx(async (tx) => {
      const rec = await tx.projects.must(globalScope, name);
      opts.etag?.(etag(rec));
      const config = opts.patch ? withoutEmpty({ ...rec.config, ...(put.config ?? {}) }) : withoutEmpty(put.config);
      validateConfig(projectSchema, config);
      await this.checkFeatureChange(tx, rec, config);
      const description = put.description ?? (opts.patch ? rec.description : '');
      await tx.projects.update(globalScope, name, { name, description, config });
      tx.onCommit(() => this.events.lifecycle(name, 'project-updated', `/1.0/projects/${seg(name)}`, opts.lc));
    });
  }

  async rename(name: string, to: string, lc: LifecycleOptions): Promise<void> {
    if (name === 'default') throw ApiError.forbidden("The 'default' project cannot be renamed");
    const newName = validateProjectName(to);
    await this.store.tx(async (tx) => {
      const rec = await tx.projects.must(globalScope, name);
      if (!(await this.isEmpty(tx, name))) throw ApiError.badRequest('Only empty projects can be renamed');
      await tx.projects.rename(globalScope, name, newName, { ...rec, name: newName });
      const profile = await tx.profiles.get(name, 'default');
      if (profile) {
        tx.delete(tx.profiles.key(name, 'default'));
        tx.profiles.put(newName, 'default', profile);
      }
      tx.onCommit(() => this.events.lifecycle(newName, 'project-renamed', `/1.0/projects/${seg(newName)}`, { ...lc, context: { old_name: name } }));
    });
  }

  async delete(name: string, lc: LifecycleOptions): Promise<void> {
    if (name === 'default') throw ApiError.forbidden("The 'default' project cannot be deleted");
    await this.store.tx(async (tx) => {
      await tx.projects.must(globalScope, name);
      if (!(await this.isEmpty(tx, name))) throw ApiError.badRequest('Only empty projects can be removed');
      await tx.projects.delete(globalScope, name);
      if (await tx.profiles.exists(name, 'default')) await tx.profiles.delete(name, 'default');
      tx.onCommit(() => this.events.lifecycle(name, 'project-deleted', `/1.0/projects/${seg(name)}`, lc));
    });
  }

  private async usedBy(tx: Tx, project: string): Promise<string[]> {
    const lists = await Promise.all(this.usage.map((fn) => fn(tx, project)));
    return lists.flat();
  }

  /** Empty = nothing but its own default profile. */
  private async isEmpty(tx: Tx, project: string): Promise<boolean> {
    const own = apiUrl('/1.0/profiles/default', project);
    return (await this.usedBy(tx, project)).every((u) => u === own);
  }

  private async checkFeatureChange(tx: Tx, rec: ProjectRecord, config: Record<string, string>): Promise<void> {
    const changed = ['features.images', 'features.profiles', 'features.storage.volumes', 'features.networks'].filter(
      (k) => isTrue(rec.config[k]) !== isTrue(config[k]),
    );
    if (changed.length === 0) return;
    if (rec.name === 'default') throw ApiError.badRequest(`Features of the "default" project cannot be changed (${changed.join(', ')})`);
    if (!(await this.isEmpty(tx, rec.name))) throw ApiError.badRequest(`Project features can only be changed on empty projects (${changed.join(', ')})`);
    if (changed.includes('features.profiles')) {
      if (isTrue(config['features.profiles'])) {
        if (!(await tx.profiles.exists(rec.name, 'default'))) {
          tx.profiles.put(rec.name, 'default', { name: 'default', description: `Default Lodge profile for project ${rec.name}`, config: {}, devices: {} });
        }
      } else if (await tx.profiles.exists(rec.name, 'default')) {
        await tx.profiles.delete(rec.name, 'default');
      }
    }
  }

  private async toApi(tx: Tx, rec: ProjectRecord): Promise<Project> {
    return { name: rec.name, description: rec.description, config: rec.config, used_by: await this.usedBy(tx, rec.name) };
  }
}

function etag(rec: ProjectRecord): string {
  return etagOf(rec.description, rec.config);
}
