// Composition root: builds the store, services and listeners; the only place drivers are chosen.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import { totalmem } from 'node:os';
import type { Server } from 'node:http';
import { SqliteKv } from './db/sqlite.js';
import { Store } from './db/store.js';
import { endpoints } from './endpoints/index.js';
import { EventHub } from './events/hub.js';
import { closeListener, listenUnix } from './http/listeners.js';
import { HttpsListener } from './http/tls.js';
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
import { MigrationService } from './migration/service.js';
import { checkNics, nicHotplug, nicStateReader } from './instance/nic.js';
import { networkReaders } from './instance/state.js';
import { BridgeDriver } from './network/drivers/bridge.js';
import { MacvlanDriver } from './network/drivers/macvlan.js';
import { dnsmasqUser } from './network/dnsmasq.js';
import { NicHost } from './network/nic-host.js';
import { NetworkService } from './network/service.js';
import { onlineCpus } from './sys/cgroup.js';
import { rootSubRanges } from './sys/idmap.js';
import { OperationRegistry } from './operations/registry.js';
import { ProfileService } from './profiles/service.js';
import { ProjectService } from './projects/service.js';
import { ensureServerCertificate } from './server/certificate.js';
import { ServerService } from './server/service.js';
import type { State } from './state.js';
import { DirDriver } from './storage/drivers/dir.js';
import { PoolAdmin } from './storage/pool-admin.js';
import { Enrollment } from './trust/enroll.js';
import { TrustService } from './trust/service.js';
import { CertificateTokens } from './trust/tokens.js';
import { PoolService } from './storage/pools.js';
import { readHostInfo } from './sys/host.js';
import { LogRoot } from './sys/log.js';
import { Paths } from './sys/paths.js';
import { ProcessRunner } from './sys/runner.js';
import { acquirePidFile } from './sys/pidfile.js';
import { untraversableParents } from './sys/fs.js';
import { isTrue } from './config/validators.js';

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
  private https?: HttpsListener;
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
      addresses: () => this.https?.addresses() ?? [],
    });
    const trust = new TrustService(store, events);
    await trust.load();
    const enrollment = new Enrollment({
      trust,
      tokens: new CertificateTokens({ operations, serverFingerprint: certificate.fingerprint }),
      checkPassword: (password) => server.checkTrustPassword(password),
      addresses: () => this.https?.addresses() ?? [],
      tokenExpiry: async () => (await server.config())['core.remote_token_expiry'],
    });
    const daemonId = await this.daemonId(store);
    const networks = new NetworkService(store, events, log, runner, profiles, projects, {
      bridge: new BridgeDriver({ runner, networksDir: paths.networks, logsDir: paths.logs, macSeed: daemonId, debug: this.opts.debug, ...(await dnsmasqUser()) }),
      macvlan: new MacvlanDriver(runner),
    });
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
      networks,
    });
    instances.devices.register('nic', nicHotplug(instances.ctx));
    networkReaders.push(nicStateReader());
    profiles.addDeviceCheck((tx, devices, project) => checkNics(instances.ctx, tx, devices, project));
    images.onRemoved((fp) => pools.removeImageVolumes(fp));
    const migration = new MigrationService(instances.ctx, instances, () => server.certificate);
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
      poolAdmin: new PoolAdmin(store, events, pools),
      images,
      imageImporter,
      aliases,
      imageDownloader,
      imageRefresher,
      imageTokens: new ImageTokens(operations, events),
      instances,
      migration,
      trust,
      enrollment,
      networks,
      requestShutdown: () => setImmediate(() => void this.stop().then(() => this.onStopped())),
    };
    this.state = state;
    await projects.ensureDefault();
    const pool = await pools.ensureDefault();
    await profiles.ensureDefault(pool);
    await pools.restoreMounts();
    await this.startNetworks(networks, store, runner);
    await this.cleanTemporaryUploads(paths);
    void pools.sweepDiscarded().catch((e: Error) => log.warn('Freeing discarded volumes failed', { err: e.message }));
    const orphans = await images.sweepOrphans();
    if (orphans.length > 0) log.warn('Removed image files no image refers to (left by a crash)', { fingerprints: orphans.join(',') });
    this.api = new ApiServer(state, endpoints);
    this.listeners.push(await listenUnix(this.api, paths.socket, this.opts.gid));
    await this.startHttps(this.api, state);
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
    await this.https?.close();
    const closing = this.listeners.map((l) => closeListener(l));
    this.api?.closeWebsockets();
    await Promise.all(closing);
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

  /** HTTPS on core.https_address: at start when set, then following every change of the key. */
  private async startHttps(api: ApiServer, state: State): Promise<void> {
    const { pem, keyPem } = state.server.certificate;
    const https = new HttpsListener(api, { cert: pem, key: keyPem, trust: (der, fp) => state.trust.match(der, fp), log: state.log });
    this.https = https;
    state.trust.onChanged(() => https.recheck());
    const key = 'core.https_address';
    // A failing bind fails the config change, which is rolled back (and this hook re-run with the old value).
    state.server.onConfigChange(async (next, prev) => {
      if ((next[key] ?? '') !== (prev[key] ?? '')) await https.set(next[key] ?? '');
    });
    const address = (await state.server.config())[key];
    if (address) await https.set(address).catch((e: Error) => state.log.error('Cannot listen on HTTPS, skipping', { address, err: e.message }));
  }

  /** Managed networks come back before the API (containers may need them); lodgebr0 on the first start. */
  private async startNetworks(networks: NetworkService, store: Store, runner: ProcessRunner): Promise<void> {
    await networks.startup();
    await new NicHost(runner).sweepIfbs().catch(() => undefined);
    const key = (await store.read((tx) => tx.serverConfig()))['lodge.default_network'];
    if (this.opts.defaultNetwork && (key === undefined || isTrue(key))) await networks.ensureDefault();
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
