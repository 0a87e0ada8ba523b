// Composition root: builds the store, services and listeners; the only place drivers are chosen.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import { totalmem } from 'node:os';
import type { Server } from 'node:http';
import { SqliteKv } from './db/sqlite.js';
import { Store } from './db/store.js';
import { endpoints } from './endpoints/index.js';
import { EventHub } from './events/hub.js';
import { listenUnix } from './http/listeners.js';
import { ApiServer } from './http/server.js';
import { AliasService } from './images/aliases.js';
import { ImageDownloader } from './images/download.js';
import { ImageImporter } from './images/importer.js';
import { ImageRefresher } from './images/refresh.js';
import { ImageService } from './images/service.js';
import { ImageTasks } from './images/tasks.js';
import { ImageTokens } from './images/tokens.js';
import { hookCommand } from './instance/hook.js';
import { LxcDriver } from './instance/lxc/driver.js';
import { InstanceService } from './instance/service.js';
import { onlineCpus } from './sys/cgroup.js';
import { rootSubRanges } from './sys/idmap.js';
import { OperationRegistry } from './operations/registry.js';
import { ProfileService } from './profiles/service.js';
import { ProjectService } from './projects/service.js';
import { ensureServerCertificate } from './server/certificate.js';
import { ServerService } from './server/service.js';
import type { State } from './state.js';
import { DirDriver } from './storage/drivers/dir.js';
import { PoolService } from './storage/pools.js';
import { readHostInfo } from './sys/host.js';
import { LogRoot } from './sys/log.js';
import { Paths } from './sys/paths.js';
import { ProcessRunner } from './sys/runner.js';
import { acquirePidFile } from './sys/pidfile.js';
import { untraversableParents } from './sys/fs.js';

export interface DaemonOptions {
  dir: string;
  /** Group owning the unix socket (gid). */
  gid?: number;
  debug: boolean;
  verbose: boolean;
  defaultNetwork: boolean;
}

export class Daemon {
  private listeners: Server[] = [];
  private api?: ApiServer;
  private imageTasks?: ImageTasks;
  private stopping?: Promise<void>;
  state?: State;
  /** Called once a shutdown requested through the API has finished. */
  onStopped: () => void = () => undefined;

  constructor(
    private readonly opts: DaemonOptions,
    private readonly logRoot: LogRoot,
  ) {}

  async start(): Promise<void> {
    const paths = new Paths(this.opts.dir);
    const log = this.logRoot.logger;
    for (const d of [paths.dir, paths.logs, paths.database, paths.images, paths.containers, paths.snapshots, paths.backups, paths.storagePools, paths.tmp, paths.cache]) {
      await mkdir(d, { recursive: true, mode: 0o711 });
    }
    // Unprivileged container roots must be able to traverse to their rootfs (LXD keeps its dir 0711 too).
    await chmod(paths.dir, 0o711);
    for (const dir of await untraversableParents(paths.dir)) {
      log.warn('A parent of the state directory is not traversable by other users; unprivileged containers will fail to start', { dir });
    }
    await acquirePidFile(paths.pidFile, paths.socket);
    const runner = new ProcessRunner();
    const store = new Store(new SqliteKv(paths.databaseFile));
    const schema = await store.upgrade();
    if (schema.from !== schema.to) log.info('Database schema upgraded', { from: schema.from, to: schema.to });
    const events = new EventHub();
    events.onLoggingDemand = (wanted) =>
      this.logRoot.setSink(wanted ? (level, message, context) => events.logging({ level, message, context }) : undefined);
    const operations = new OperationRegistry(events, log);
    const host = await readHostInfo(runner);
    const certificate = await ensureServerCertificate(runner, paths.serverCert, paths.serverKey, host.hostname);
    const projects = new ProjectService(store, events);
    const profiles = new ProfileService(store, events, projects);
    const pools = new PoolService(store, events, { dir: new DirDriver(paths.storagePools, runner) });
    const images = new ImageService(store, events, paths, projects);
    const aliases = new AliasService(images);
    const server = new ServerService({
      store,
      events,
      host,
      certificate,
      storageDrivers: () => pools.supportedDrivers().map((d) => ({ Name: d.info().name, Version: d.info().version, Remote: d.info().remote })),
      addresses: () => [],
    });
    const daemonId = await this.daemonId(store);
    const lxc = new LxcDriver(runner, paths.containers);
    const instances = new InstanceService({
      store,
      events,
      log,
      runner,
      paths,
      projects,
      profiles,
      pools,
      images,
      lxc,
      host: { memoryBytes: totalmem(), cpus: await onlineCpus(), architecture: host.kernelArchitecture, architectures: host.architectures },
      subids: await rootSubRanges(),
      daemonId,
      hookCommand: (project, name) => hookCommand(paths.dir, project, name),
    });
    images.onRemoved((fp) => pools.removeImageVolumes(fp));
    const imageImporter = new ImageImporter(images, aliases, runner);
    const imageDownloader = new ImageDownloader(images, imageImporter, { architectures: host.architectures }, log);
    const imageRefresher = new ImageRefresher(images, imageDownloader);
    instances.remoteImages = (args) => imageDownloader.download(args);
    this.imageTasks = new ImageTasks(images, imageRefresher, operations, log);
    const state: State = {
      paths,
      store,
      events,
      operations,
      log,
      server,
      projects,
      profiles,
      pools,
      images,
      imageImporter,
      aliases,
      imageDownloader,
      imageRefresher,
      imageTokens: new ImageTokens(operations, events),
      instances,
      requestShutdown: () => setImmediate(() => void this.stop().then(() => this.onStopped())),
    };
    this.state = state;
    await projects.ensureDefault();
    const pool = await pools.ensureDefault();
    await profiles.ensureDefault(pool);
    await this.cleanTemporaryUploads(paths);
    this.api = new ApiServer(state, endpoints);
    this.listeners.push(await listenUnix(this.api, paths.socket, this.opts.gid));
    log.info('Lodge daemon started', { dir: paths.dir, pid: process.pid });
    this.imageTasks.start();
    void instances
      .startup()
      .then(() => instances.startScheduler())
      .catch((e: Error) => log.error('Instance start-up tasks failed', { err: e.message }));
  }

  /** Stops listening and closes the store; containers are left running. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const log = this.logRoot.logger;
    log.info('Shutting down');
    await Promise.all(this.listeners.map((l) => new Promise<void>((r) => l.close(() => r()))));
    for (const l of this.listeners) l.closeAllConnections();
    this.api?.closeWebsockets();
    const s = this.state;
    s?.instances.stopScheduler();
    this.imageTasks?.stop();
    if (s) {
      const running = s.operations.running().filter((o) => o.class === 'task');
      await Promise.race([Promise.all(running.map((o) => o.wait(-1))), new Promise((r) => setTimeout(r, 10_000))]);
      await s.store.close();
      await rm(s.paths.socket, { force: true });
      await rm(s.paths.pidFile, { force: true });
    }
    log.info('Daemon stopped');
    this.logRoot.flush();
  }

  private async daemonId(store: Store): Promise<string> {
    return store.tx(async (tx) => {
      const id = await tx.daemonId();
      if (id) return id;
      const fresh = randomBytes(4).toString('hex');
      tx.put('meta/daemon-id', fresh);
      return fresh;
    });
  }

  /** Half-written uploads from a crash are never referenced; drop them. */
  private async cleanTemporaryUploads(paths: Paths): Promise<void> {
    for (const name of await readdir(paths.images)) {
      if (name.startsWith('.upload-')) await rm(`${paths.images}/${name}`, { force: true });
    }
  }
}
