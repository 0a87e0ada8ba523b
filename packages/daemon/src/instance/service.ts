// InstanceService: the instance API's entry point; serialises work per instance and ties the pieces together.
import type { InstanceStateNetwork } from '@lodge/api';
import type { InstanceBackup, InstanceBackupsPost } from '@lodge/api';
import type { Instance, InstanceConsolePost, InstanceExecPost, InstanceFull, InstancePut, InstanceSnapshot, InstanceSnapshotsPost, InstanceState, InstanceStatePut, InstancesPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { validateInstanceName } from '../config/names.js';
import { isTrue } from '../config/validators.js';
import type { ImageRecord, ProfileRecord } from '../db/records.js';
import type { Tx } from '../db/store.js';
import type { LifecycleOptions } from '../events/hub.js';
import type { OperationOptions } from '../operations/operation.js';
import type { FileTarget } from '../sys/helper-files.js';
import { criuStatus } from '../sys/criu.js';
import { etagOf } from '../util/etag.js';
import { KeyedLock } from '../util/lock.js';
import { apiUrl, seg } from '../util/url.js';
import type { InstanceContext } from './context.js';
import { clearConsoleLog, prepareConsole, readConsoleLog } from './console.js';
import { copyPlanner, refreshCopy } from './copy.js';
import { createInstance, type Progress, type SourcePlanner } from './create.js';
import { prepareExec } from './exec.js';
import { fileTarget } from './files.js';
import { deleteInstanceNow } from './delete.js';
import { expand } from './expand.js';
import { snapshotScope } from './naming.js';
import { packInstance, type PublishRequest } from './publish.js';
import { importBackup, type ImportRequest as BackupImportRequest } from './backup-import.js';
import { createBackup, deleteBackup, getBackup, listBackups, openBackup, renameBackup, toApiBackup } from './backups.js';
import { renameInstance } from './rename.js';
import type { SpooledImage } from '../images/upload.js';
import type { DownloadArgs } from '../images/download.js';
import { restoreSnapshot } from './restore.js';
import { createSnapshot, deleteSnapshot, listSnapshots, precheckSnapshot, renameSnapshot, snapshotToApi, updateSnapshotExpiry } from './snapshots.js';
import { afterStop, freezeInstance, runtimeState, startInstance, stopInstance } from './runtime.js';
import { registerDeviceHotplug } from './device-hotplug.js';
import { HotplugRegistry } from './hotplug.js';
import { InstanceScheduler } from './scheduler.js';
import { instanceState, networksOf } from './state.js';
import type { RuntimeState } from './lxc/driver.js';
import { applyLive, instanceEtag, updateInstance, type Hotplug } from './update.js';
import { loadView, toApi, viewOf, type InstanceView } from './view.js';

export class InstanceService {
  private readonly locks = new KeyedLock();
  /** Device hot-plug into running containers: handlers register per device type. */
  readonly devices = new HotplugRegistry();
  private readonly hotplug: Hotplug = (view, added, removed, pid) => this.devices.apply(view, added, removed, pid);
  /** Fetches (or finds cached) an image from an image server; set by the daemon. */
  remoteImages?: (args: DownloadArgs) => Promise<ImageRecord>;

  constructor(readonly ctx: InstanceContext) {
    ctx.profiles.addUsage(async (tx, scope, profile) =>
      (await tx.instances.all()).filter((i) => i.value.profiles.includes(profile) && this.usesProfileScope(i.scope, scope)).map((i) => apiUrl(`/1.0/instances/${seg(i.name)}`, i.scope)),
    );
    ctx.projects.addUsage(async (tx, project) => (await tx.instances.names(project)).map((n) => apiUrl(`/1.0/instances/${seg(n)}`, project)));
    ctx.pools.addUsage(async (tx, pool) => (await tx.instances.all()).filter((i) => i.value.pool === pool).map((i) => apiUrl(`/1.0/instances/${seg(i.name)}`, i.scope)));
    ctx.profiles.onChanged((scope, previous) => this.profileChanged(scope, previous));
    registerDeviceHotplug(ctx, this.devices);
  }

  /** Instances of a project use its profiles, or default's when features.profiles is off (resolved at use). */
  private usesProfileScope(instanceProject: string, profileScope: string): boolean {
    return instanceProject === profileScope || profileScope === 'default';
  }

  private key(project: string, name: string): string {
    return `${project}/${name}`;
  }

  /** Runs fn holding the instance; also for work elsewhere that must not overlap its operations (a migration's final pass). */
  withLock<T>(project: string, name: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(this.key(project, name), fn);
  }

  private async views(project: string | undefined): Promise<InstanceView[]> {
    return this.ctx.store.read(async (tx) => {
      const recs = project === undefined ? await tx.instances.all() : (await tx.instances.list(project)).map((value) => ({ scope: project, name: value.name, value }));
      return Promise.all(recs.map((r) => viewOf(this.ctx, tx, r.scope, r.value)));
    });
  }

  async names(project: string): Promise<string[]> {
    return this.ctx.store.read((tx) => tx.instances.names(project));
  }

  async list(project: string | undefined, full: boolean): Promise<(Instance | InstanceFull)[]> {
    const views = await this.views(project);
    if (!full) return Promise.all(views.map((v) => this.instanceOf(v)));
    const rts = await Promise.all(views.map((v) => runtimeState(this.ctx, v)));
    // One helper run for every running container's interfaces, not one per container.
    const networks = await networksOf(rts.filter((r) => r.status !== 'Stopped').map((r) => r.pid));
    return Promise.all(views.map((v, i) => this.fullOf(v, false, rts[i], networks)));
  }

  private async instanceOf(v: InstanceView): Promise<Instance> {
    return toApi(v, (await runtimeState(this.ctx, v)).status);
  }

  private async fullOf(v: InstanceView, waitForDisk: boolean, known?: RuntimeState, networks?: Map<number, Record<string, InstanceStateNetwork>>): Promise<InstanceFull> {
    const rt = known ?? (await runtimeState(this.ctx, v));
    const state = await instanceState(this.ctx, v, rt, { waitForDisk, networks });
    const snaps = await this.snapshots(v.project, v.rec.name);
    const backups = await this.backups(v.project, v.rec.name);
    return { ...toApi(v, rt.status), state, snapshots: snaps.length > 0 ? snaps : null, backups: backups.length > 0 ? backups : null };
  }

  async get(project: string, name: string): Promise<{ instance: Instance; etag: string }> {
    const v = await this.ctx.store.read((tx) => loadView(this.ctx, tx, project, name));
    return { instance: await this.instanceOf(v), etag: instanceEtag(v.rec) };
  }

  async full(project: string, name: string): Promise<{ instance: InstanceFull; etag: string }> {
    const v = await this.ctx.store.read((tx) => loadView(this.ctx, tx, project, name));
    return { instance: await this.fullOf(v, true), etag: instanceEtag(v.rec) };
  }

  async state(project: string, name: string): Promise<InstanceState> {
    const v = await this.ctx.store.read((tx) => loadView(this.ctx, tx, project, name));
    return instanceState(this.ctx, v, await runtimeState(this.ctx, v), { waitForDisk: true });
  }

  async view(project: string, name: string): Promise<InstanceView> {
    return this.ctx.store.read((tx) => loadView(this.ctx, tx, project, name));
  }

  async snapshots(project: string, name: string): Promise<InstanceSnapshot[]> {
    return Promise.all((await listSnapshots(this.ctx, project, name)).map((r) => snapshotToApi(this.ctx, project, r)));
  }

  async snapshot(project: string, name: string, snap: string): Promise<{ snapshot: InstanceSnapshot; etag: string }> {
    const rec = await this.ctx.store.read(async (tx) => {
      await tx.instances.must(project, name);
      const r = await tx.snapshots.get(snapshotScope(project, name), snap);
      if (!r) throw ApiError.notFound('Snapshot not found');
      return r;
    });
    return { snapshot: await snapshotToApi(this.ctx, project, rec), etag: etagOf(rec.expires_at) };
  }

  precheckSnapshot(project: string, name: string, req: InstanceSnapshotsPost): Promise<void> {
    return precheckSnapshot(this.ctx, project, name, req);
  }

  createSnapshot(project: string, name: string, req: InstanceSnapshotsPost, lc: LifecycleOptions): Promise<string> {
    return this.withLock(project, name, () => createSnapshot(this.ctx, project, name, req, lc));
  }

  updateSnapshot(project: string, name: string, snap: string, expiresAt: string | undefined, lc: LifecycleOptions): Promise<void> {
    return this.withLock(project, name, () => updateSnapshotExpiry(this.ctx, project, name, snap, expiresAt, lc));
  }

  renameSnapshot(project: string, name: string, snap: string, to: string, lc: LifecycleOptions): Promise<void> {
    return this.withLock(project, name, () => renameSnapshot(this.ctx, project, name, snap, to, lc));
  }

  deleteSnapshot(project: string, name: string, snap: string, lc: LifecycleOptions): Promise<void> {
    return this.withLock(project, name, () => deleteSnapshot(this.ctx, project, name, snap, lc));
  }

  restore(project: string, name: string, restore: string, lc: LifecycleOptions): Promise<void> {
    return this.withLock(project, name, () => restoreSnapshot(this.ctx, project, name, restore, lc));
  }

  async backups(project: string, name: string): Promise<InstanceBackup[]> {
    return (await listBackups(this.ctx, project, name)).map(toApiBackup);
  }

  async backup(project: string, name: string, backup: string): Promise<InstanceBackup> {
    return toApiBackup(await getBackup(this.ctx, project, name, backup));
  }

  createBackup(project: string, name: string, req: InstanceBackupsPost, lc: LifecycleOptions): Promise<string> {
    return this.withLock(project, name, () => createBackup(this.ctx, project, name, req, lc));
  }

  renameBackup(project: string, name: string, backup: string, to: string, lc: LifecycleOptions): Promise<void> {
    return this.withLock(project, name, () => renameBackup(this.ctx, project, name, backup, to, lc));
  }

  deleteBackup(project: string, name: string, backup: string, lc: LifecycleOptions): Promise<void> {
    return this.withLock(project, name, () => deleteBackup(this.ctx, project, name, backup, lc));
  }

  openBackup(project: string, name: string, backup: string): ReturnType<typeof openBackup> {
    return openBackup(this.ctx, project, name, backup);
  }

  /** Imports an uploaded backup tarball; the name is locked once known (X-LXD-name or the backup's own). */
  importBackup(req: BackupImportRequest): Promise<string> {
    return importBackup(this.ctx, req);
  }

  /** Packs an instance or snapshot as an image tarball (the image service records it). */
  async pack(project: string, req: PublishRequest): Promise<SpooledImage> {
    const name = req.source.split('/')[0] ?? '';
    return this.withLock(project, name, () => packInstance(this.ctx, project, req));
  }

  prepareExec(project: string, name: string, req: InstanceExecPost): Promise<OperationOptions> {
    return this.view(project, name).then((v) => prepareExec(this.ctx, v, req, { project }));
  }

  prepareConsole(project: string, name: string, req: InstanceConsolePost): Promise<OperationOptions> {
    return this.view(project, name).then((v) => prepareConsole(this.ctx, v, req));
  }

  async consoleLog(project: string, name: string): Promise<Buffer> {
    return readConsoleLog(this.ctx, await this.view(project, name));
  }

  async clearConsoleLog(project: string, name: string): Promise<void> {
    await clearConsoleLog(this.ctx, await this.view(project, name));
  }

  async fileTarget(project: string, name: string): Promise<FileTarget> {
    return fileTarget(this.ctx, await this.view(project, name));
  }

  /** Checks what can be checked before an operation is started (so bad requests get a 4xx at once). */
  async precheckCreate(project: string, req: InstancesPost): Promise<string> {
    const name = validateInstanceName(req.name);
    const refresh = req.source?.type === 'copy' && req.source.refresh;
    if (!refresh && (await this.ctx.store.read((tx) => tx.instances.exists(project, name)))) throw ApiError.conflict(`Instance "${name}" already exists`);
    return name;
  }

  async create(project: string, req: InstancesPost, progress: Progress, lc: LifecycleOptions): Promise<void> {
    const name = validateInstanceName(req.name);
    if (req.source?.type === 'copy' && req.source.refresh && (await this.names(project)).includes(name)) {
      await this.withLock(project, name, () => refreshCopy(this.ctx, project, req));
      return;
    }
    const local = await this.withRemoteImage(project, req, progress, lc);
    await this.withLock(project, name, () => createInstance(this.ctx, project, local, progress, lc, { copy: copyPlanner(this.ctx) }));
  }

  /**
   * An image on another server is first downloaded (or found in the cache) as a cached image of the
   * project; the instance is then created from it like from any local image.
   */
  private async withRemoteImage(project: string, req: InstancesPost, progress: Progress, lc: LifecycleOptions): Promise<InstancesPost> {
    const src = req.source;
    if (src?.type !== 'image' || !src.server) return req;
    if (!this.remoteImages) throw ApiError.badRequest('Images from remote servers are not supported');
    const alias = src.alias || src.fingerprint;
    if (!alias) throw ApiError.badRequest('must specify one of alias or fingerprint for init from image');
    const settings = await this.ctx.images.cacheSettings(project);
    const image = await this.remoteImages({
      project,
      server: src.server,
      protocol: src.protocol,
      certificate: src.certificate,
      secret: src.secret,
      alias,
      type: req.type || 'container',
      setCached: true,
      preferCached: true,
      autoUpdate: settings.autoUpdateCached,
      public: false,
      progress,
      lc,
    });
    return { ...req, source: { type: 'image', fingerprint: image.fingerprint } };
  }

  /** Creates an instance whose volume comes from a given source planner (migration targets). */
  async createWith(project: string, req: InstancesPost, planner: SourcePlanner, progress: Progress, lc: LifecycleOptions): Promise<void> {
    const name = validateInstanceName(req.name);
    const type = req.source?.type ?? 'none';
    await this.withLock(project, name, () => createInstance(this.ctx, project, req, progress, lc, { [type]: planner }));
  }

  async update(project: string, name: string, put: Partial<InstancePut>, opts: { patch: boolean; etag?: (c: string) => void; lc: LifecycleOptions }): Promise<void> {
    await this.withLock(project, name, () => updateInstance(this.ctx, project, name, put, { ...opts, hotplug: this.hotplug }));
  }

  async rename(project: string, name: string, newName: string, lc: LifecycleOptions): Promise<void> {
    await this.withLock(project, name, () => this.withLock(project, newName, () => renameInstance(this.ctx, project, name, newName, lc)));
  }

  async delete(project: string, name: string, lc: LifecycleOptions): Promise<void> {
    await this.withLock(project, name, () => deleteInstanceNow(this.ctx, project, name, lc));
  }

  /** Stateful requests are refused before an operation exists, with criu's own reason. */
  async precheckStateful(action: string): Promise<void> {
    const criu = await criuStatus(this.ctx.runner);
    if (!criu.ok) throw ApiError.badRequest(`Stateful ${action} needs CRIU: ${criu.reason}`);
    throw ApiError.badRequest(`Stateful ${action} is not implemented by lodge`);
  }

  async changeState(project: string, name: string, req: InstanceStatePut, lc: LifecycleOptions): Promise<void> {
    if (req.stateful) {
      const criu = await criuStatus(this.ctx.runner);
      if (!criu.ok) throw ApiError.badRequest(`Stateful ${req.action} needs CRIU: ${criu.reason}`);
      throw ApiError.badRequest(`Stateful ${req.action} is not implemented by lodge`);
    }
    await this.withLock(project, name, async () => {
      switch (req.action) {
        case 'start':
          return startInstance(this.ctx, project, name, lc);
        case 'stop':
          return stopInstance(this.ctx, project, name, { force: req.force, timeout: req.timeout }, lc);
        case 'restart':
          return this.restart(project, name, req, lc);
        case 'freeze':
          return freezeInstance(this.ctx, project, name, true, lc);
        case 'unfreeze':
          return freezeInstance(this.ctx, project, name, false, lc);
        default:
          throw ApiError.badRequest(`Unknown state action "${String(req.action)}"`);
      }
    });
  }

  private async restart(project: string, name: string, req: InstanceStatePut, lc: LifecycleOptions): Promise<void> {
    const view = await this.view(project, name);
    if ((await runtimeState(this.ctx, view)).status === 'Stopped') throw ApiError.badRequest('The instance is not running');
    // An ephemeral instance survives this stop: the post-stop hook waits for the lock and finds it running again.
    await this.ctx.lxc.stop(view.names.lxc, { force: req.force, timeoutS: req.timeout });
    await startInstance(this.ctx, project, name, {});
    this.ctx.events.lifecycle(project, 'instance-restarted', `/1.0/instances/${seg(name)}`, lc);
  }

  /**
   * A reboot from inside: LXC stops the container (the hook refused the in-place restart) and it is started
   * again here, with the instance's current config and devices, once it is fully down.
   */
  async rebooted(project: string, name: string): Promise<void> {
    const view = await this.view(project, name);
    const deadline = Date.now() + 60_000;
    while ((await runtimeState(this.ctx, view)).status !== 'Stopped') {
      if (Date.now() > deadline) throw new Error('the container did not stop');
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.withLock(project, name, async () => {
      const now = await this.view(project, name);
      if ((await runtimeState(this.ctx, now)).status !== 'Stopped') return;
      await startInstance(this.ctx, project, name, {});
      this.ctx.events.lifecycle(project, 'instance-restarted', `/1.0/instances/${seg(name)}`);
    });
  }

  /** The LXC post-stop hook: a container stopped on its own (or under our stop, then a no-op). */
  async stopped(project: string, name: string, target: 'stop' | 'reboot'): Promise<void> {
    // Waits for whatever holds the instance (a snapshot, a backup, our own stop) rather than skipping the bookkeeping.
    await this.withLock(project, name, async () => {
      const view = await this.ctx.store.read((tx) => loadView(this.ctx, tx, project, name)).catch(() => undefined);
      if (!view || target === 'reboot') return;
      // Our own stop has done this already; a container started again meanwhile needs nothing.
      if (view.rec.config['volatile.last_state.power'] === 'STOPPED') return;
      if ((await runtimeState(this.ctx, view)).status !== 'Stopped') return;
      this.ctx.events.lifecycle(project, 'instance-shutdown', `/1.0/instances/${seg(name)}`);
      await afterStop(this.ctx, view, target);
    });
  }

  private async profileChanged(scope: string, previous: ProfileRecord): Promise<void> {
    const affected = await this.ctx.store.read(async (tx) => {
      const out: { before: InstanceView; after: InstanceView }[] = [];
      for (const { scope: project, value } of await tx.instances.all()) {
        if (!value.profiles.includes(previous.name) || !this.usesProfileScope(project, scope)) continue;
        const after = await viewOf(this.ctx, tx, project, value);
        out.push({ after, before: await this.viewWithProfile(tx, project, after, previous) });
      }
      return out;
    });
    for (const { before, after } of affected) {
      await applyLive(this.ctx, before, after, this.hotplug).catch((e: Error) =>
        this.ctx.log.warn('Failed to apply a profile change to a running instance', { instance: after.rec.name, err: e.message }),
      );
    }
  }

  private async viewWithProfile(tx: Tx, project: string, view: InstanceView, previous: ProfileRecord): Promise<InstanceView> {
    const profiles = (await this.ctx.profiles.records(tx, project, view.rec.profiles)).map((p) => (p.name === previous.name ? previous : p));
    const e = expand(profiles, view.rec);
    return { ...view, expandedConfig: e.config, expandedDevices: e.devices };
  }

  private scheduler?: InstanceScheduler;

  /** Scheduled and expiring snapshots; LXD's scheduled snapshots carry no requestor. */
  startScheduler(): void {
    this.scheduler = new InstanceScheduler(this.ctx, {
      snapshot: async (project, name) => {
        await this.createSnapshot(project, name, {}, {});
      },
      deleteSnapshot: (project, name, snap) => this.deleteSnapshot(project, name, snap, {}),
      deleteBackup: (project, name, backup) => this.deleteBackup(project, name, backup, {}),
    });
    this.scheduler.start();
  }

  stopScheduler(): void {
    this.scheduler?.stop();
  }

  /** At daemon start: drop crash leftovers and stopped ephemeral instances, then autostart. */
  async startup(): Promise<void> {
    for (const v of await this.views(undefined)) {
      const rt = await runtimeState(this.ctx, v).catch(() => ({ status: 'Stopped' as const, pid: 0 }));
      if (v.rec.creating && rt.status === 'Stopped') {
        this.ctx.log.warn('Removing an instance whose creation was interrupted', { project: v.project, instance: v.rec.name });
        await deleteInstanceNow(this.ctx, v.project, v.rec.name, {}).catch((e: Error) => this.ctx.log.error('Cleanup failed', { err: e.message }));
      } else if (v.rec.ephemeral && rt.status === 'Stopped') {
        await deleteInstanceNow(this.ctx, v.project, v.rec.name, {}).catch((e: Error) => this.ctx.log.error('Cleanup failed', { err: e.message }));
      } else if (rt.status === 'Stopped') {
        // Stopped while the daemon was away: the daemon's view of a layered volume comes back.
        await this.ctx.pools.useDaemonView(v.rec.pool, v.names.volume).catch((e: Error) => this.ctx.log.warn('Failed to mount an instance volume', { instance: v.rec.name, err: e.message }));
      }
    }
    const autostart = (await this.views(undefined)).filter((v) => isTrue(v.expandedConfig['boot.autostart']));
    autostart.sort((a, b) => Number(b.expandedConfig['boot.autostart.priority'] ?? 0) - Number(a.expandedConfig['boot.autostart.priority'] ?? 0));
    for (const v of autostart) {
      if ((await runtimeState(this.ctx, v)).status !== 'Stopped') continue;
      await this.changeState(v.project, v.rec.name, { action: 'start', timeout: 0, force: false, stateful: false }, {}).catch((e: Error) =>
        this.ctx.log.error('Failed to autostart an instance', { project: v.project, instance: v.rec.name, err: e.message }),
      );
      const delay = Number(v.expandedConfig['boot.autostart.delay'] ?? 0);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay * 1000));
    }
  }
}
