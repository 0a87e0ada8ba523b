// Layered volumes of the dir driver: an instance is an overlay of its image's rootfs and its own upper directory.
//
// On a filesystem without reflinks (ext4) a full copy of an image for every instance costs as much as LXD's
// unpack; an overlay costs a few mounts. The volume directory keeps its usual content (metadata.yaml,
// templates/, backup.yaml) and rootfs/ is a mount point; the layers live apart, in <pool>/layers/<kind>/<name>
// (upper/, work/ and `image`, the fingerprint of the lower layer), so anything that archives or sends the
// volume directory sees one merged tree. What is mounted on rootfs/ depends on the state:
//   - stopped instance: the daemon's view (layers as they are on disk, unshifted), read-write;
//   - running instance: the container's view (layers idmapped with its map), read-write;
//   - snapshot: a read-only stack of its upper over the image.
// Only one read-write overlay uses an upper directory at a time: the views are swapped at start and stop.
import { constants } from 'node:fs';
import { copyFile, chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exists, tempName } from '../../sys/fs.js';
import type { IdmapEntry } from '../../sys/idmap.js';
import { mountAt, mountOverlay, mountsUnder, unmountAll } from '../../sys/overlay.js';
import type { Runner } from '../../sys/runner.js';
import type { ReadView, Volume } from '../driver.js';

const views = { daemon: 'lodge-view', container: 'lodge-ct', snapshot: 'lodge-snap', read: 'lodge-read' } as const;

export class Layers {
  private readonly usable = new Map<string, Promise<boolean>>();

  constructor(
    private readonly runner: Runner,
    private readonly poolDir: (vol: Pick<Volume, 'pool' | 'poolConfig'>) => string,
    private readonly volumeDir: (vol: Volume) => string,
  ) {}

  dir(vol: Volume): string {
    return join(this.poolDir(vol), 'layers', vol.kind, vol.name);
  }

  isLayered(vol: Volume): Promise<boolean> {
    // A file: an instance's snapshot directory holds one directory per snapshot, and a snapshot may be named "image".
    return lstat(join(this.dir(vol), 'image')).then((st) => st.isFile(), () => false);
  }

  /** Layers pay off where copies cost bytes (no reflinks) and the kernel can idmap overlay layers. */
  enabled(vol: Volume): Promise<boolean> {
    if (process.env.LODGE_STORAGE_LAYERS === 'off') return Promise.resolve(false);
    const root = this.poolDir(vol);
    let p = this.usable.get(root);
    if (!p) {
      p = this.probe(root).catch(() => false);
      this.usable.set(root, p);
    }
    return p;
  }

  private async probe(root: string): Promise<boolean> {
    const tmp = await mkdtemp(join(root, '.probe-'));
    try {
      await writeFile(join(tmp, 'f'), 'x');
      if (await copyFile(join(tmp, 'f'), join(tmp, 'g'), constants.COPYFILE_FICLONE_FORCE).then(() => true, () => false)) return false;
      for (const d of ['l', 'rw/upper', 'rw/work', 'm']) await mkdir(join(tmp, d), { recursive: true });
      const maps: IdmapEntry[] = [{ Isuid: true, Isgid: true, Hostid: 1_000_000_000, Nsid: 0, Maprange: 65536 }];
      await mountOverlay(this.runner, { target: join(tmp, 'm'), lowers: [join(tmp, 'l')], rw: join(tmp, 'rw'), maps, source: views.read });
      await unmountAll(this.runner, join(tmp, 'm'));
      return true;
    } finally {
      await unmountAll(this.runner, join(tmp, 'm')).catch(() => undefined);
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** The image's rootfs: in place, or kept aside after the image was deleted while instances still used it. */
  private async lower(vol: Volume): Promise<string> {
    const fp = (await readFile(join(this.dir(vol), 'image'), 'utf8')).trim();
    const live = join(this.poolDir(vol), 'images', fp, 'rootfs');
    if (await exists(live)) return live;
    const retired = join(this.poolDir(vol), 'images-retired');
    const kept = (await readdir(retired).catch(() => [] as string[])).filter((n) => n.startsWith(`${fp}-`));
    if (kept[0] === undefined) throw new Error(`The image ${fp} of volume ${vol.name} is gone`);
    return join(retired, kept[0], 'rootfs');
  }

  private rootfs(vol: Volume): string {
    return join(this.volumeDir(vol), 'rootfs');
  }

  /** The view the daemon works on when no container runs: read-write for instances, read-only for snapshots. */
  async mountDaemonView(vol: Volume): Promise<void> {
    const target = this.rootfs(vol);
    const source = vol.kind === 'containers' ? views.daemon : views.snapshot;
    const current = await mountAt(target);
    if (current?.source === source) return;
    if (current) await unmountAll(this.runner, target);
    const lower = await this.lower(vol);
    if (vol.kind === 'containers') await mountOverlay(this.runner, { target, lowers: [lower], rw: this.dir(vol), source });
    else await mountOverlay(this.runner, { target, lowers: [join(this.dir(vol), 'upper'), lower], source, readonly: true });
  }

  /** Swaps the daemon's view for the container's (idmapped layers) before a start. */
  async mountContainerView(vol: Volume, maps: readonly IdmapEntry[]): Promise<void> {
    const target = this.rootfs(vol);
    await unmountAll(this.runner, target);
    // LXC opens the rootfs as the container's root: it must be able to traverse the volume directory (LXD's 0100).
    const root = (isUid: boolean): number => maps.find((m) => (isUid ? m.Isuid : m.Isgid) && m.Nsid === 0)?.Hostid ?? 0;
    await chown(this.volumeDir(vol), root(true), root(false));
    await chmod(this.volumeDir(vol), 0o100);
    try {
      await mountOverlay(this.runner, { target, lowers: [await this.lower(vol)], rw: this.dir(vol), maps, source: views.container });
    } catch (e) {
      await this.mountDaemonView(vol).catch(() => undefined);
      throw e;
    }
  }

  /**
   * A read-only, unshifted copy of the volume's tree while the container's view is mounted: the metadata
   * files copied beside a fresh overlay of the upper directory over the image.
   */
  async openReadView(vol: Volume): Promise<ReadView> {
    const path = await mkdtemp(join(this.poolDir(vol), '.view-'));
    const close = async (): Promise<void> => {
      await unmountAll(this.runner, join(path, 'rootfs')).catch(() => undefined);
      await rm(path, { recursive: true, force: true });
    };
    try {
      await chmod(path, 0o711);
      await this.copyMetadata(this.volumeDir(vol), path);
      await mkdir(join(path, 'rootfs'));
      await mountOverlay(this.runner, { target: join(path, 'rootfs'), lowers: [join(this.dir(vol), 'upper'), await this.lower(vol)], source: views.read, readonly: true });
      return { path, close };
    } catch (e) {
      await close();
      throw e;
    }
  }

  /** Whether the container's view is mounted (the instance runs, or stopped without the daemon knowing yet). */
  async containerViewMounted(vol: Volume): Promise<boolean> {
    return (await mountAt(this.rootfs(vol)))?.source === views.container;
  }

  /** Everything in a volume directory but rootfs (metadata.yaml, templates/, backup.yaml). */
  private async copyMetadata(from: string, to: string): Promise<void> {
    const entries = (await readdir(from)).filter((n) => n !== 'rootfs');
    if (entries.length > 0) await this.runner.run('cp', ['-a', '--reflink=auto', ...entries.map((n) => join(from, n)), `${to}/`]);
  }

  /** A new layered volume: dst's directory and layers beside src's, the upper copied (or empty for an image). */
  private async create(dst: Volume, o: { fromDir: string; fromRootfs: string; upper?: string; image: string }): Promise<void> {
    const dir = this.volumeDir(dst);
    const layer = this.dir(dst);
    try {
      // The image reference comes first: an image deletion meanwhile sees this volume stand on it.
      await mkdir(layer, { recursive: true, mode: 0o700 });
      await writeFile(join(layer, 'image'), `${o.image}\n`);
      await mkdir(dir, { mode: (await stat(o.fromDir)).mode & 0o7777 });
      await this.copyMetadata(o.fromDir, dir);
      if (o.upper) await this.runner.run('cp', ['-a', '--reflink=auto', o.upper, join(layer, 'upper')]);
      else await copyDirAttrs(o.fromRootfs, join(layer, 'upper'));
      await mkdir(join(layer, 'work'), { mode: 0o700 });
      await copyDirAttrs(o.fromRootfs, join(dir, 'rootfs'));
      await this.mountDaemonView(dst);
    } catch (e) {
      await this.remove(dst);
      throw e;
    }
  }

  createFromImage(image: Volume, dst: Volume): Promise<void> {
    const from = this.volumeDir(image);
    return this.create(dst, { fromDir: from, fromRootfs: join(from, 'rootfs'), image: image.name });
  }

  async copy(src: Volume, dst: Volume): Promise<void> {
    const image = (await readFile(join(this.dir(src), 'image'), 'utf8')).trim();
    const upper = join(this.dir(src), 'upper');
    await this.create(dst, { fromDir: this.volumeDir(src), fromRootfs: upper, upper, image });
  }

  async remove(vol: Volume): Promise<void> {
    await unmountAll(this.runner, this.rootfs(vol));
    const image = await readFile(join(this.dir(vol), 'image'), 'utf8').catch(() => '');
    await rm(this.volumeDir(vol), { recursive: true, force: true });
    await rm(this.dir(vol), { recursive: true, force: true });
    await this.pruneRetired(vol, image.trim());
  }

  /** Removes the layered volumes under vol's name (the snapshots of one instance), and anything mounted there. */
  async removeNested(vol: Volume): Promise<void> {
    if (vol.kind !== 'containers-snapshots' || vol.name.includes('/')) return;
    for (const snap of await readdir(this.dir(vol)).catch(() => [] as string[])) {
      const child: Volume = { ...vol, name: `${vol.name}/${snap}` };
      if (await this.isLayered(child)) await this.remove(child);
    }
    await rm(this.dir(vol), { recursive: true, force: true });
    for (const m of await mountsUnder(this.volumeDir(vol))) await unmountAll(this.runner, m);
  }

  /** Renames the layers of an instance's snapshots with their directory (their mounts move along). */
  async renameNested(vol: Volume, newName: string): Promise<void> {
    if (vol.kind !== 'containers-snapshots' || vol.name.includes('/') || !(await exists(this.dir(vol)))) return;
    await rename(this.dir(vol), this.dir({ ...vol, name: newName }));
  }

  /** Moves the volume and its layers to trash (instant); the caller frees them in the background. */
  async discard(vol: Volume, trash: string): Promise<string[]> {
    await unmountAll(this.runner, this.rootfs(vol));
    const image = (await readFile(join(this.dir(vol), 'image'), 'utf8')).trim();
    const doomed = [tempName(trash, `${vol.kind}-`), tempName(trash, 'layers-')];
    await rename(this.volumeDir(vol), doomed[0]!);
    await rename(this.dir(vol), doomed[1]!);
    await this.pruneRetired(vol, image);
    return doomed;
  }

  async rename(vol: Volume, newName: string): Promise<void> {
    const to = { ...vol, name: newName };
    await unmountAll(this.runner, this.rootfs(vol));
    await mkdir(join(this.dir(to), '..'), { recursive: true, mode: 0o700 });
    await rename(this.volumeDir(vol), this.volumeDir(to));
    await rename(this.dir(vol), this.dir(to));
    await rmdir(join(this.dir(vol), '..')).catch(() => undefined);
    await this.mountDaemonView(to);
  }

  async usage(vol: Volume): Promise<number | undefined> {
    const r = await this.runner.run('du', ['-s', '-B1', '-x', '-c', this.volumeDir(vol), join(this.dir(vol), 'upper')]).catch(() => undefined);
    const n = Number(r?.stdout.trim().split('\n').pop()?.split(/\s/)[0]);
    return Number.isFinite(n) ? n : undefined;
  }

  /** Fingerprints of the images that the pool's layered instances and snapshots stand on (each one's `image` file). */
  private async imagesInUse(pool: Pick<Volume, 'pool' | 'poolConfig'>): Promise<Set<string>> {
    const base = join(this.poolDir(pool), 'layers');
    const children = async (dir: string): Promise<string[]> => (await readdir(dir).catch(() => [] as string[])).map((n) => join(dir, n));
    const volumes = [...(await children(join(base, 'containers'))), ...(await Promise.all((await children(join(base, 'containers-snapshots'))).map(children))).flat()];
    const used = new Set<string>();
    for (const dir of volumes) {
      const fp = await readFile(join(dir, 'image'), 'utf8').catch(() => undefined);
      if (fp) used.add(fp.trim());
    }
    return used;
  }

  /** An image volume that instances still stand on is kept aside instead of deleted; true when it was. */
  async retireImage(image: Volume): Promise<boolean> {
    if (!(await exists(this.volumeDir(image))) || !(await this.imagesInUse(image)).has(image.name)) return false;
    const retired = join(this.poolDir(image), 'images-retired');
    await mkdir(retired, { recursive: true, mode: 0o711 });
    await rename(this.volumeDir(image), tempName(retired, `${image.name}-`));
    return true;
  }

  private async pruneRetired(pool: Pick<Volume, 'pool' | 'poolConfig'>, fp: string): Promise<void> {
    const retired = join(this.poolDir(pool), 'images-retired');
    const kept = (await readdir(retired).catch(() => [] as string[])).filter((x) => x.startsWith(`${fp}-`));
    if (!fp || kept.length === 0 || (await this.imagesInUse(pool)).has(fp)) return;
    for (const n of kept) await rm(join(retired, n), { recursive: true, force: true });
  }

  /** After a host reboot nothing is mounted: every layered volume gets its daemon view back (running ones keep theirs). */
  async restoreViews(pool: Pick<Volume, 'pool' | 'poolConfig'>): Promise<void> {
    const base = join(this.poolDir(pool), 'layers');
    for (const name of await readdir(join(base, 'containers')).catch(() => [] as string[])) {
      const vol: Volume = { ...pool, kind: 'containers', name };
      if (!(await this.containerViewMounted(vol))) await this.mountDaemonView(vol).catch(() => undefined);
    }
    for (const inst of await readdir(join(base, 'containers-snapshots')).catch(() => [] as string[])) {
      for (const snap of await readdir(join(base, 'containers-snapshots', inst)).catch(() => [] as string[])) {
        await this.mountDaemonView({ ...pool, kind: 'containers-snapshots', name: `${inst}/${snap}` }).catch(() => undefined);
      }
    }
  }
}

/** An empty directory with the owner, mode and times of another (the root of an overlay takes its upper's). */
async function copyDirAttrs(from: string, to: string): Promise<void> {
  const st = await stat(from);
  await mkdir(to);
  await chown(to, st.uid, st.gid);
  await chmod(to, st.mode & 0o7777);
}
