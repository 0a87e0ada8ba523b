// A simplestreams image server for tests: a tree (index.json, images.json, image files) built from the test
// images, served over HTTPS on 127.0.0.1 with a test CA, counting the requests it gets.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { arch, tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import type { TestContext } from 'node:test';
import { run } from './run.js';

export interface TestCa {
  dir: string;
  /** The CA certificate (PEM file): what clients are told to trust. */
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A CA and a server certificate for 127.0.0.1/localhost signed by it (openssl, EC P-256). */
export async function makeTestCa(dir: string): Promise<TestCa> {
  const p = (n: string) => join(dir, n);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=lodge test CA']);
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(p('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  await run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.crt'), '-days', '2', '-extfile', p('ext.cnf')]);
  return { dir, caFile: p('ca.crt'), certFile: p('server.crt'), keyFile: p('server.key') };
}

async function sha256(...files: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) h.update(await readFile(f));
  return h.digest('hex');
}

/** The distribution name simplestreams servers use for this host's architecture. */
export function productArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'armhf', ppc64: 'ppc64el', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch()] ?? arch();
}

export interface PublishOptions {
  /** Version serial (YYYYMMDD_HH:MM). */
  serial: string;
  meta: string;
  rootfs: string;
  /** Write a wrong sha256 for the rootfs item (the download must be refused). */
  badRootfsSha?: boolean;
}

interface Version {
  serial: string;
  meta: { path: string; size: number; sha256: string };
  rootfs: { path: string; size: number; sha256: string };
  combined: string;
}

export class SimpleStreamsServer {
  /** Requests per path (query strings dropped). */
  readonly requests = new Map<string, number>();
  private readonly versions: Version[] = [];
  private server?: Server;
  url = '';

  constructor(
    readonly root: string,
    private readonly ca: TestCa,
    /** Product aliases (comma-separated, as in images.json). */
    private readonly aliases = 'busybox,busybox/test',
  ) {}

  async start(): Promise<void> {
    const [cert, key] = await Promise.all([readFile(this.ca.certFile), readFile(this.ca.keyFile)]);
    this.server = createServer({ cert, key }, (req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'https://x').pathname);
      this.requests.set(path, (this.requests.get(path) ?? 0) + 1);
      const file = normalize(join(this.root, path));
      if (!file.startsWith(`${this.root}/`) || req.method !== 'GET') {
        res.writeHead(404).end();
        return;
      }
      readFile(file).then(
        (body) => res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length }).end(body),
        () => res.writeHead(404).end('not found'),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** How many times a file under images/ was downloaded. */
  get fileDownloads(): number {
    return [...this.requests].filter(([p]) => p.startsWith('/images/')).reduce((n, [, c]) => n + c, 0);
  }

  /** Adds a version of the busybox product (files copied into the tree) and rewrites the index and products. */
  async publish(o: PublishOptions): Promise<{ fingerprint: string }> {
    const dir = `images/busybox/${o.serial}`;
    await mkdir(join(this.root, dir), { recursive: true });
    await copyFile(o.meta, join(this.root, dir, 'lxd.tar.xz'));
    await copyFile(o.rootfs, join(this.root, dir, 'rootfs.squashfs'));
    const item = async (name: string) => ({ path: `${dir}/${name}`, size: (await stat(join(this.root, dir, name))).size, sha256: await sha256(join(this.root, dir, name)) });
    const meta = await item('lxd.tar.xz');
    const rootfs = await item('rootfs.squashfs');
    if (o.badRootfsSha) rootfs.sha256 = createHash('sha256').update('not the rootfs').digest('hex');
    const combined = await sha256(o.meta, o.rootfs);
    this.versions.push({ serial: o.serial, meta, rootfs, combined });
    await this.writeIndex();
    return { fingerprint: combined };
  }

  /** Removes a version from the products file (its files stay). */
  async unpublish(serial: string): Promise<void> {
    const i = this.versions.findIndex((v) => v.serial === serial);
    if (i >= 0) this.versions.splice(i, 1);
    await this.writeIndex();
  }

  private async writeIndex(): Promise<void> {
    const product = `busybox:test:${productArch()}:default`;
    const versions: Record<string, unknown> = {};
    for (const v of this.versions) {
      versions[v.serial] = {
        items: {
          'lxd.tar.xz': { ftype: 'lxd.tar.xz', ...v.meta, combined_squashfs_sha256: v.combined },
          'root.squashfs': { ftype: 'squashfs', ...v.rootfs },
        },
      };
    }
    const products = {
      content_id: 'images',
      datatype: 'image-downloads',
      format: 'products:1.0',
      products: { [product]: { aliases: this.aliases, arch: productArch(), os: 'Busybox', release: 'test', release_title: 'test', variant: 'default', versions } },
    };
    const index = { format: 'index:1.0', index: { images: { datatype: 'image-downloads', path: 'streams/v1/images.json', format: 'products:1.0', products: [product] } } };
    await mkdir(join(this.root, 'streams/v1'), { recursive: true });
    await writeFile(join(this.root, 'streams/v1/images.json'), JSON.stringify(products));
    await writeFile(join(this.root, 'streams/v1/index.json'), JSON.stringify(index));
  }
}

/** A CA, and a simplestreams server with its tree in a temp dir; all removed when the test ends. */
export async function startSimpleStreams(t: TestContext, aliases?: string): Promise<{ ca: TestCa; server: SimpleStreamsServer }> {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-ss-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'ca'));
  const ca = await makeTestCa(join(dir, 'ca'));
  const server = new SimpleStreamsServer(join(dir, 'tree'), ca, aliases);
  await mkdir(server.root);
  await server.start();
  t.after(() => server.close());
  return { ca, server };
}

/**
 * Another version of an image's metadata tarball: the same files with metadata.yaml's creation_date moved
 * on, so that the combined fingerprint differs while the image stays valid.
 */
export async function newerMetadata(meta: string, outDir: string, bumpSeconds: number): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'lodge-meta-'));
  try {
    const entries = (await run('tar', ['-tJf', meta])).stdout.split('\n').filter((e) => e !== '');
    await run('tar', ['-xJf', meta, '-C', work]);
    const yamlPath = join(work, entries.find((e) => e.replace(/^\.\//, '') === 'metadata.yaml') ?? 'metadata.yaml');
    const yaml = await readFile(yamlPath, 'utf8');
    await writeFile(yamlPath, yaml.replace(/creation_date: (\d+)/, (_m, n: string) => `creation_date: ${Number(n) + bumpSeconds}`));
    const out = join(outDir, `meta-${bumpSeconds}.tar.xz`);
    await mkdir(dirname(out), { recursive: true });
    await run('tar', ['-cJf', out, '-C', work, '--numeric-owner', '--no-recursion', ...entries]);
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
