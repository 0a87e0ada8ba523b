// Simplestreams: index.json and products files turned into LXD images, downloadable files and aliases (LXD's rules).
import type { Image, ImageAliasesEntry } from '@lodge/api';
import { ApiError, epochTime, formatTime, zeroTime } from '@lodge/api';

/** streams/v1/index.json */
export interface Stream {
  format?: string;
  updated?: string;
  index: Record<string, StreamIndexEntry>;
}

export interface StreamIndexEntry {
  datatype: string;
  path: string;
  products?: string[] | null;
  format?: string;
  updated?: string;
}

/** The products file an index entry points at (images.json on LXD image servers). */
export interface Products {
  content_id?: string;
  datatype?: string;
  format?: string;
  updated?: string;
  products: Record<string, Product>;
}

export interface Product {
  aliases?: string;
  arch: string;
  os?: string;
  release?: string;
  release_title?: string;
  variant?: string;
  version?: string;
  lxd_requirements?: Record<string, string>;
  support_eol?: string;
  versions?: Record<string, ProductVersion>;
}

export interface ProductVersion {
  items?: Record<string, ProductItem>;
  label?: string;
  pubname?: string;
}

export interface ProductItem {
  ftype: string;
  path: string;
  size?: number;
  sha256?: string;
  md5?: string;
  delta_base?: string;
  combined_sha256?: string;
  combined_rootxz_sha256?: string;
  combined_squashfs_sha256?: string;
  'combined_disk-kvm-img_sha256'?: string;
  'combined_disk1-img_sha256'?: string;
  'combined_uefi1-img_sha256'?: string;
}

/** One file to fetch, relative to the server URL, with the sha256 it must have. */
export interface DownloadableFile {
  path: string;
  sha256: string;
  size: number;
}

/** The files of one image: "meta", "root" (split images) and "root.delta-<base fingerprint>" patches. */
export type ImageFiles = Record<string, DownloadableFile>;

// ---------------------------------------------------------------------------------------------
// Architectures (LXD's shared/osarch): canonical names, the distribution names they go by, and
// which 32-bit personalities a 64-bit host also runs.

const archAliases: Record<string, string[]> = {
  i686: ['i386', 'i586', '386', 'x86', 'generic_32'],
  x86_64: ['amd64', 'generic_64'],
  armv6l: ['armel', 'arm'],
  armv7l: ['armhf', 'armhfp', 'armv7a_hardfp', 'armv7', 'armv7a_vfpv3_hardfp'],
  armv8l: [],
  aarch64: ['arm64', 'arm64_generic'],
  ppc: ['powerpc'],
  ppc64: ['powerpc64'],
  ppc64le: ['ppc64el'],
  s390x: [],
  mips: ['mipsel'],
  mips64: ['mips64el'],
  riscv32: [],
  riscv64: [],
};

const archPersonalities: Record<string, string[]> = {
  x86_64: ['i686'],
  armv7l: ['armv6l'],
  armv8l: ['armv6l', 'armv7l'],
  aarch64: ['armv6l', 'armv7l', 'armv8l'],
  ppc64: ['ppc'],
  mips64: ['mips'],
};

/** The LXD name of an architecture given by its LXD or distribution name (amd64 → x86_64); undefined if unknown. */
export function architectureName(arch: string): string | undefined {
  if (arch in archAliases) return arch;
  for (const [name, aliases] of Object.entries(archAliases)) if (aliases.includes(arch)) return name;
  return undefined;
}

/** Architectures a host of this architecture also runs (i686 on x86_64). */
export function architecturePersonalities(arch: string): string[] {
  return archPersonalities[architectureName(arch) ?? ''] ?? [];
}

// ---------------------------------------------------------------------------------------------
// Products → images

const rootfsTypes = ['squashfs', 'root.tar.xz', 'disk-kvm.img', 'disk1.img', 'uefi1.img'];
const vmRootfsTypes = ['disk-kvm.img', 'disk1.img', 'uefi1.img'];
/** Preference among otherwise equal images (LXD hosts prefer squashfs). */
const rootfsPreference = ['squashfs', 'root.tar.xz', 'disk-kvm.img', 'uefi1.img', 'disk1.img'];

/** The fingerprint of the image made of this metadata item and rootfs item (undefined: unified image). */
function fingerprintOf(meta: ProductItem, root: ProductItem | undefined): string | undefined {
  if (!root) return meta.sha256;
  switch (root.ftype) {
    case 'root.tar.xz':
      return meta.combined_rootxz_sha256 || meta.combined_sha256;
    case 'squashfs':
      return meta.combined_squashfs_sha256;
    case 'disk-kvm.img':
      return meta['combined_disk-kvm-img_sha256'];
    case 'disk1.img':
      return meta['combined_disk1-img_sha256'];
    case 'uefi1.img':
      return meta['combined_uefi1-img_sha256'];
    default:
      return undefined;
  }
}

/** "20231105_13:00" → the date of its first 8 characters (UTC), or undefined if it is not a serial. */
export function serialDate(serial: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(serial);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return date;
}

function eolDate(eol: string | undefined): string {
  if (!eol || !/^\d{4}-\d{2}-\d{2}$/.test(eol)) return epochTime;
  const t = Date.parse(`${eol}T00:00:00Z`);
  return Number.isNaN(t) ? epochTime : formatTime(t);
}

function basename(path: string): string {
  return path.split('/').pop() ?? path;
}

export interface ProductImages {
  images: Image[];
  files: Map<string, ImageFiles>;
}

/** Every LXD image of a products file (LXD's Products.ToLXD): unified items, and metadata × each rootfs item. */
export function productsToImages(products: Products): ProductImages {
  const images: Image[] = [];
  const files = new Map<string, ImageFiles>();
  for (const product of Object.values(products.products ?? {})) {
    const architecture = architectureName(product.arch);
    if (!architecture) continue;
    for (const [serial, version] of Object.entries(product.versions ?? {})) {
      const created = serialDate(serial);
      if (!created) continue;
      const items = Object.values(version.items ?? {});
      const add = (meta: ProductItem, root: ProductItem | undefined): void => {
        const fingerprint = fingerprintOf(meta, root);
        if (!fingerprint || !meta.path) return;
        let description = `${product.os ?? ''} ${product.release_title ?? ''} ${product.arch}`;
        if (version.label) description += ` (${version.label})`;
        description += ` (${serial})`;
        const properties: Record<string, string> = {
          os: product.os ?? '',
          release: product.release ?? '',
          version: product.version ?? '',
          architecture: product.arch,
          label: version.label ?? '',
          serial,
          description,
          variant: product.variant ?? '',
          type: root ? root.ftype : 'tar.gz',
        };
        for (const [k, v] of Object.entries(product.lxd_requirements ?? {})) properties[`requirements.${k}`] = v;
        for (const k of Object.keys(properties)) if (properties[k] === '') delete properties[k];
        const when = formatTime(created);
        images.push({
          aliases: (product.aliases ?? '')
            .split(',')
            .filter((a) => a !== '')
            .map((name) => ({ name, description: '' })),
          architecture,
          auto_update: false,
          cached: false,
          created_at: when,
          expires_at: eolDate(product.support_eol),
          filename: basename(meta.path),
          fingerprint,
          last_used_at: zeroTime,
          profiles: [],
          properties,
          public: true,
          size: (meta.size ?? 0) + (root?.size ?? 0),
          type: root && vmRootfsTypes.includes(root.ftype) ? 'virtual-machine' : 'container',
          uploaded_at: when,
        });
        const f: ImageFiles = { meta: { path: meta.path, sha256: meta.sha256 ?? '', size: meta.size ?? 0 } };
        if (root) {
          f.root = { path: root.path, sha256: root.sha256 ?? '', size: root.size ?? 0 };
          if (root.ftype === 'squashfs') {
            for (const delta of items.filter((i) => i.ftype === 'squashfs.vcdiff' && i.delta_base)) {
              const base = Object.values(product.versions?.[delta.delta_base!]?.items ?? {}).find((i) => i.ftype === 'lxd.tar.xz')?.combined_squashfs_sha256;
              if (base) f[`root.delta-${base}`] = { path: delta.path, sha256: delta.sha256 ?? '', size: delta.size ?? 0 };
            }
          }
        }
        files.set(fingerprint, f);
      };
      for (const item of items) {
        if (item.ftype === 'lxd_combined.tar.gz') add(item, undefined);
        if (item.ftype === 'lxd.tar.xz') for (const root of items) if (rootfsTypes.includes(root.ftype)) add(item, root);
      }
    }
  }
  return { images, files };
}

// ---------------------------------------------------------------------------------------------
// Sorting and aliases

/** LXD's image order: os, release, variant, newest serial first, architecture; then the preferred rootfs type. */
export function compareImages(a: Image, b: Image): number {
  for (const prop of ['os', 'release', 'variant', 'serial', 'architecture']) {
    const x = a.properties[prop] ?? '';
    const y = b.properties[prop] ?? '';
    if (x === y) continue;
    if (x === '') return 1;
    if (y === '') return -1;
    if (prop === 'serial') return x > y ? -1 : 1;
    return x < y ? -1 : 1;
  }
  const score = (i: Image): number => Math.max(0, rootfsPreference.indexOf(i.properties.type ?? ''));
  return score(a) - score(b);
}

/** An alias as the catalogue keeps it: per image type and architecture. */
export interface CatalogAlias extends ImageAliasesEntry {
  architecture: string;
}

export interface CatalogOptions {
  /** The server URL (https://cloud-images.ubuntu.com strips a leading "ubuntu/" from aliases). */
  url: string;
  /** The host's architecture (LXD name); its images get the short aliases in their alias lists. */
  nativeArchitecture: string;
}

const defaultOsByUrl: Record<string, string> = { 'https://cloud-images.ubuntu.com': 'ubuntu' };

/**
 * Sorts the images and derives the aliases: for each product alias A, "A" and "A/<product arch>" per
 * (type, architecture); the first image to claim a name wins, so it points at the newest serial and
 * the preferred rootfs. Images list "A" only when of the native architecture.
 */
export function applyAliases(input: Image[], opts: CatalogOptions): { images: Image[]; aliases: CatalogAlias[] } {
  const images = [...input].sort(compareImages);
  const defaultOs = Object.entries(defaultOsByUrl).find(([prefix]) => opts.url.startsWith(prefix))?.[1];
  const aliases: CatalogAlias[] = [];
  const add = (image: Image, raw: string): boolean => {
    const name = defaultOs && raw.startsWith(`${defaultOs}/`) ? raw.slice(defaultOs.length + 1) : raw;
    if (aliases.some((a) => a.name === name && a.type === image.type && a.architecture === image.architecture)) return false;
    aliases.push({ name, description: '', target: image.fingerprint, type: image.type, architecture: image.architecture });
    return true;
  };
  const out = images.map((image) => {
    const listed: { name: string; description: string }[] = [];
    for (const { name } of image.aliases) {
      if (add(image, name) && image.architecture === opts.nativeArchitecture) listed.push({ name: stripped(name, defaultOs), description: '' });
      const medium = `${name}/${image.properties.architecture ?? image.architecture}`;
      if (add(image, medium)) listed.push({ name: stripped(medium, defaultOs), description: '' });
    }
    return { ...image, aliases: listed };
  });
  return { images: out, aliases };
}

function stripped(name: string, defaultOs: string | undefined): string {
  return defaultOs && name.startsWith(`${defaultOs}/`) ? name.slice(defaultOs.length + 1) : name;
}

/** Native architecture first, then its personalities, then the rest in their existing order. */
export function sortByArchitecturePreference<T extends { architecture: string }>(list: T[], native: string): T[] {
  const personalities = architecturePersonalities(native);
  const rank = (a: string): number => (a === native ? 0 : personalities.includes(a) ? 1 : 2);
  return list
    .map((v, i) => ({ v, i }))
    .sort((x, y) => rank(x.v.architecture) - rank(y.v.architecture) || x.i - y.i)
    .map((x) => x.v);
}

/** Paths of the products files an index lists (datatype "image-downloads" with a non-empty product list). */
export function productPaths(stream: Stream): string[] {
  const out: string[] = [];
  for (const entry of Object.values(stream.index ?? {})) {
    if (entry.datatype !== 'image-downloads' || !entry.products || entry.products.length === 0) continue;
    if (!out.includes(entry.path)) out.push(entry.path);
  }
  return out;
}

/** What a simplestreams server offers, resolved as LXD resolves it. */
export class SimpleStreamsCatalog {
  private constructor(
    readonly images: Image[],
    private readonly aliasList: CatalogAlias[],
    private readonly files: Map<string, ImageFiles>,
    readonly nativeArchitecture: string,
  ) {}

  /** Builds the catalogue from the index and the products files it names (in productPaths order). */
  static from(stream: Stream, products: Map<string, Products>, opts: CatalogOptions): SimpleStreamsCatalog {
    const all: Image[] = [];
    const files = new Map<string, ImageFiles>();
    for (const path of productPaths(stream)) {
      const p = products.get(path);
      if (!p) continue;
      const r = productsToImages(p);
      all.push(...r.images);
      for (const [fp, f] of r.files) files.set(fp, f);
    }
    const { images, aliases } = applyAliases(all, opts);
    return new SimpleStreamsCatalog(images, sortByArchitecturePreference(aliases, opts.nativeArchitecture), files, opts.nativeArchitecture);
  }

  /** One entry per (name, type), the preferred architecture's. */
  listAliases(): ImageAliasesEntry[] {
    const out: ImageAliasesEntry[] = [];
    for (const a of this.aliasList) {
      if (out.some((o) => o.name === a.name && o.type === a.type)) continue;
      out.push({ name: a.name, description: a.description, target: a.target, type: a.type });
    }
    return out;
  }

  /** The alias for a type ("" for any) on the preferred architecture; 404 if none, 400 if it names several types. */
  getAlias(type: string, name: string): ImageAliasesEntry {
    let match: CatalogAlias | undefined;
    for (const a of this.aliasList) {
      if (a.name !== name || (type !== '' && a.type !== type)) continue;
      if (match) {
        if (match.type !== a.type) throw ApiError.badRequest(`More than one match for alias '${name}'`);
        continue;
      }
      match = a;
    }
    if (!match) throw ApiError.notFound(`Alias '${name}' doesn't exist`);
    return { name: match.name, description: match.description, target: match.target, type: match.type };
  }

  /** The alias on each architecture that has it. */
  getAliasArchitectures(type: string, name: string): Record<string, ImageAliasesEntry> {
    const out: Record<string, ImageAliasesEntry> = {};
    for (const a of this.aliasList) {
      if (a.name !== name || (type !== '' && a.type !== type)) continue;
      if (out[a.architecture]) throw ApiError.badRequest(`More than one match for alias '${name}'`);
      out[a.architecture] = { name: a.name, description: a.description, target: a.target, type: a.type };
    }
    if (Object.keys(out).length === 0) throw ApiError.notFound(`Alias '${name}' doesn't exist`);
    return out;
  }

  /** The image with this fingerprint or unique fingerprint prefix. */
  getImage(fingerprint: string): Image {
    const matches = fingerprint ? this.images.filter((i) => i.fingerprint.startsWith(fingerprint)) : [];
    const unique = [...new Map(matches.map((m) => [m.fingerprint, m])).values()];
    if (unique.length === 0) throw ApiError.notFound("The requested image couldn't be found");
    if (unique.length > 1) throw ApiError.badRequest('More than one match for the provided partial fingerprint');
    return unique[0]!;
  }

  /** The files to download for an image. */
  getFiles(fingerprint: string): ImageFiles {
    const fp = this.getImage(fingerprint).fingerprint;
    const f = this.files.get(fp);
    if (!f) throw ApiError.notFound("Couldn't find the requested image");
    return f;
  }

  /** The alias of a type; with no type, a container's alias, else a virtual machine's (LXD's GetImageAliasType). */
  getAliasType(type: string, name: string): ImageAliasesEntry {
    if (type !== '') return this.getAlias(type, name);
    try {
      return this.getAlias('container', name);
    } catch {
      return this.getAlias('virtual-machine', name);
    }
  }

  /** An alias if there is one (of the type), else the image by fingerprint prefix: what "name" means to LXD. */
  resolve(type: string, nameOrFingerprint: string): { image: Image; alias?: ImageAliasesEntry } {
    let alias: ImageAliasesEntry | undefined;
    try {
      alias = this.getAliasType(type, nameOrFingerprint);
    } catch {
      alias = undefined;
    }
    return { image: this.getImage(alias?.target ?? nameOrFingerprint), alias };
  }
}
