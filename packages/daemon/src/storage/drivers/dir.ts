// The dir storage driver: a pool is a directory, volumes are subdirectories, copies use reflinks where possible.
import { mkdir, readdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { tempName } from '../../sys/fs.js';
import type { Runner } from '../../sys/runner.js';
import type { IdmapEntry } from '../../sys/idmap.js';
import type { DriverInfo, ImageFiles, PoolSpace, ReadView, StorageDriver, Volume } from '../driver.js';
import { Layers } from './layers.js';

export const poolSubdirs = ['containers', 'containers-snapshots', 'images', 'custom', 'custom-snapshots'];
/** Made on demand: layers of layered volumes, and images kept while layered volumes still stand on them. */
const layerSubdirs = ['layers', 'images-retired'];

/** GNU tar keeps what rootfs need: numeric owners, xattrs (file capabilities), devices, hard links. */
const tarExtract = ['--numeric-owner', '--xattrs', '--xattrs-include=*', '--same-permissions', '--same-owner', '--no-overwrite-dir', '--delay-directory-restore'];

export class DirDriver implements StorageDriver {
  private readonly layers: Layers;

  constructor(
    private readonly poolsDir: string,
    private readonly runner: Runner,
  ) {
    this.layers = new Layers(
      runner,
      (v) => this.source(v.poolConfig, v.pool),
      (v) => this.mountPath(v),
    );
  }

  info(): DriverInfo {
    return { name: 'dir', version: '1', remote: false, cheapCopies: false };
  }

  private source(config: Record<string, string>, name: string): string {
    return config.source || join(this.poolsDir, name);
  }

  async createPool(name: string, config: Record<string, string>): Promise<Record<string, string>> {
    const source = this.source(config, name);
    await mkdir(source, { recursive: true, mode: 0o711 });
    for (const sub of poolSubdirs) await mkdir(join(source, sub), { recursive: true, mode: 0o711 });
    return { ...config, source };
  }

  async deletePool(name: string, config: Record<string, string>): Promise<void> {
    const source = this.source(config, name);
    for (const sub of [...poolSubdirs, ...layerSubdirs]) await rm(join(source, sub), { recursive: true, force: true });
    if (source.startsWith(this.poolsDir)) await rm(source, { recursive: true, force: true });
  }

  async space(config: Record<string, string>): Promise<PoolSpace> {
    const s = await statfs(config.source ?? this.poolsDir);
    return { total: s.blocks * s.bsize, used: (s.blocks - s.bfree) * s.bsize, inodesTotal: s.files, inodesUsed: s.files - s.ffree };
  }

  mountPath(vol: Volume): string {
    return join(this.source(vol.poolConfig, vol.pool), vol.kind, vol.name);
  }

  async volumeExists(vol: Volume): Promise<boolean> {
    return stat(this.mountPath(vol)).then(
      () => true,
      () => false,
    );
  }

  async createImageVolume(vol: Volume, files: ImageFiles): Promise<void> {
    const final = this.mountPath(vol);
    const tmp = tempName(join(final, '..'), `.unpack-${vol.name.slice(0, 12)}-`);
    await mkdir(tmp, { mode: 0o700 });
    try {
      await this.runner.run('tar', ['-xf', files.meta, '-C', tmp, ...tarExtract]);
      if (files.rootfs) {
        const rootfs = join(tmp, 'rootfs');
        if (files.rootfsIsSquashfs) {
          await this.runner.run('unsquashfs', ['-f', '-n', '-d', rootfs, files.rootfs]);
        } else {
          await mkdir(rootfs, { recursive: true });
          await this.runner.run('tar', ['-xf', files.rootfs, '-C', rootfs, ...tarExtract]);
        }
      }
      await mkdir(join(tmp, 'rootfs'), { recursive: true });
      await rename(tmp, final);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  async copyVolume(src: Volume, dst: Volume): Promise<void> {
    if (await this.layers.isLayered(src)) return this.layers.copy(src, dst);
    if (src.kind === 'images' && dst.kind === 'containers' && (await this.layers.enabled(dst))) return this.layers.createFromImage(src, dst);
    const to = this.mountPath(dst);
    try {
      // cp -a keeps owners, modes, xattrs, devices and hard links; reflinks make it cheap where the FS has them.
      await this.runner.run('cp', ['-a', '--reflink=auto', this.mountPath(src), to]);
    } catch (e) {
      await rm(to, { recursive: true, force: true });
      throw e;
    }
  }

  async createEmptyVolume(vol: Volume): Promise<void> {
    const path = this.mountPath(vol);
    await mkdir(path, { mode: 0o711 });
    await mkdir(join(path, 'rootfs'), { mode: 0o755 });
  }

  async deleteVolume(vol: Volume): Promise<void> {
    if (await this.layers.isLayered(vol)) return this.layers.remove(vol);
    if (vol.kind === 'images' && (await this.layers.retireImage(vol))) return;
    // An instance's whole snapshot directory: its layered snapshots are unmounted before anything is removed.
    await this.layers.removeNested(vol);
    await rm(this.mountPath(vol), { recursive: true, force: true });
  }

  private trash(vol: { pool: string; poolConfig: Record<string, string> }): string {
    return join(this.source(vol.poolConfig, vol.pool), '.trash');
  }

  async discardVolume(vol: Volume): Promise<void> {
    const trash = this.trash(vol);
    await mkdir(trash, { recursive: true, mode: 0o700 });
    if (await this.layers.isLayered(vol)) {
      for (const d of await this.layers.discard(vol, trash)) void rm(d, { recursive: true, force: true }).catch(() => undefined);
      return;
    }
    const doomed = tempName(trash, `${vol.name}-`);
    // A rename is instant where removing a full rootfs takes seconds; the request need not wait for the disk.
    try {
      await rename(this.mountPath(vol), doomed);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    void rm(doomed, { recursive: true, force: true }).catch(() => undefined);
  }

  async sweepDiscarded(config: Record<string, string>, name: string): Promise<void> {
    const trash = this.trash({ pool: name, poolConfig: config });
    for (const entry of await readdir(trash).catch(() => [] as string[])) await rm(join(trash, entry), { recursive: true, force: true });
  }

  async renameVolume(vol: Volume, newName: string): Promise<void> {
    if (await this.layers.isLayered(vol)) return this.layers.rename(vol, newName);
    await this.layers.renameNested(vol, newName);
    await rename(this.mountPath(vol), this.mountPath({ ...vol, name: newName }));
  }

  async usage(vol: Volume): Promise<number | undefined> {
    if (await this.layers.isLayered(vol)) return this.layers.usage(vol);
    const r = await this.runner.run('du', ['-s', '-B1', '-x', this.mountPath(vol)]).catch(() => undefined);
    const n = Number(r?.stdout.split(/\s/)[0]);
    return Number.isFinite(n) ? n : undefined;
  }

  async prepareStart(vol: Volume, maps: readonly IdmapEntry[]): Promise<boolean> {
    if (!(await this.layers.isLayered(vol))) return false;
    // A privileged container uses the daemon's view as it is: nothing to map.
    if (maps.length === 0) {
      await this.layers.mountDaemonView(vol);
      return false;
    }
    await this.layers.mountContainerView(vol, maps);
    return true;
  }

  async useDaemonView(vol: Volume): Promise<void> {
    if (await this.layers.isLayered(vol)) await this.layers.mountDaemonView(vol);
  }

  async openReadView(vol: Volume): Promise<ReadView> {
    // A layered instance volume is always read through a view of its own: the mounts of the daemon's and the
    // container's views are swapped at start and stop, and a read of the mount point in between finds an empty
    // directory. A snapshot's read-only view is never swapped.
    if (vol.kind === 'containers' && (await this.layers.isLayered(vol))) return this.layers.openReadView(vol);
    return { path: this.mountPath(vol), close: async () => undefined };
  }

  async restoreMounts(config: Record<string, string>, name: string): Promise<void> {
    await this.layers.restoreViews({ pool: name, poolConfig: config });
  }
}
