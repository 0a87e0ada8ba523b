// Simplestreams parsing and alias resolution against a fixture shaped like a real image server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { h, index, products } from './simplestreams.fixture.js';
import { applyAliases, architectureName, architecturePersonalities, compareImages, productPaths, productsToImages, serialDate, SimpleStreamsCatalog } from './simplestreams.js';

const catalog = (native: string, url = 'https://images.example') => SimpleStreamsCatalog.from(index, new Map([['streams/v1/images.json', products]]), { url, nativeArchitecture: native });

test('index: only image-downloads entries with products are read', () => {
  assert.deepEqual(productPaths(index), ['streams/v1/images.json']);
});

test('architecture names: distribution names map to LXD names, personalities', () => {
  assert.equal(architectureName('amd64'), 'x86_64');
  assert.equal(architectureName('arm64'), 'aarch64');
  assert.equal(architectureName('armhf'), 'armv7l');
  assert.equal(architectureName('i386'), 'i686');
  assert.equal(architectureName('ppc64el'), 'ppc64le');
  assert.equal(architectureName('x86_64'), 'x86_64');
  assert.equal(architectureName('sparc'), undefined);
  assert.deepEqual(architecturePersonalities('x86_64'), ['i686']);
  assert.deepEqual(architecturePersonalities('amd64'), ['i686']);
  assert.deepEqual(architecturePersonalities('s390x'), []);
});

test('serials: the first 8 characters must be a date', () => {
  assert.equal(serialDate('20231105_13:00')?.toISOString(), '2023-11-05T00:00:00.000Z');
  assert.equal(serialDate('20230230'), undefined);
  assert.equal(serialDate('latest'), undefined);
  assert.equal(serialDate('2023'), undefined);
});

test('products become images: one per metadata × rootfs item, fingerprints from the combined fields', () => {
  const { images, files } = productsToImages(products);
  const amd = images.filter((i) => i.properties.architecture === 'amd64' && i.properties.os === 'Alpine');
  // 20231104: squashfs; 20231105: root.tar.xz, squashfs, disk-kvm.img. "latest" is skipped.
  assert.equal(amd.length, 4);
  const bySerialType = (serial: string, type: string) => amd.find((i) => i.properties.serial === serial && i.properties.type === type)!;
  assert.equal(bySerialType('20231105_13:00', 'squashfs').fingerprint, h('c1'));
  assert.equal(bySerialType('20231105_13:00', 'root.tar.xz').fingerprint, h('d1'));
  assert.equal(bySerialType('20231104_13:00', 'squashfs').fingerprint, h('a1'));
  const vm = bySerialType('20231105_13:00', 'disk-kvm.img');
  assert.equal(vm.type, 'virtual-machine');
  assert.equal(vm.fingerprint, h('e1'));

  const sq = bySerialType('20231105_13:00', 'squashfs');
  assert.equal(sq.type, 'container');
  assert.equal(sq.architecture, 'x86_64');
  assert.equal(sq.public, true);
  assert.equal(sq.size, 101 + 1001);
  assert.equal(sq.filename, 'lxd.tar.xz');
  assert.equal(sq.created_at, '2023-11-05T00:00:00Z');
  assert.equal(sq.expires_at, '2030-01-02T00:00:00Z');
  assert.deepEqual(sq.properties, {
    os: 'Alpine',
    release: 'edge',
    architecture: 'amd64',
    label: 'daily',
    serial: '20231105_13:00',
    description: 'Alpine edge amd64 (daily) (20231105_13:00)',
    variant: 'default',
    type: 'squashfs',
  });
  assert.deepEqual(
    sq.aliases.map((a) => a.name),
    ['alpine/edge/default', 'alpine/edge'],
  );
  const f = files.get(h('c1'))!;
  assert.deepEqual(f.meta, { path: 'images/alpine/edge/amd64/default/20231105_13:00/lxd.tar.xz', sha256: h('3'), size: 101 });
  assert.deepEqual(f.root, { path: 'images/alpine/edge/amd64/default/20231105_13:00/rootfs.squashfs', sha256: h('5'), size: 1001 });
  // The delta is against the 20231104 squashfs image.
  assert.equal(f[`root.delta-${h('a1')}`]?.path, 'images/alpine/edge/amd64/default/20231105_13:00/20231104_13:00.vcdiff');
  assert.equal(files.get(h('d1'))?.[`root.delta-${h('a1')}`], undefined, 'deltas only for squashfs');

  const tiny = images.find((i) => i.properties.os === 'Tiny')!;
  assert.equal(tiny.fingerprint, h('f'), 'unified images use the item sha256');
  assert.equal(tiny.properties.type, 'tar.gz');
  assert.equal(tiny.properties['requirements.secureboot'], 'false');
  assert.equal(tiny.properties.label, undefined, 'empty properties are dropped');
  assert.equal(tiny.expires_at, '1970-01-01T00:00:00Z');
  assert.deepEqual(files.get(h('f')), { meta: { path: 'images/tiny/tiny.tar.gz', sha256: h('f'), size: 42 } });
  assert.ok(!images.some((i) => i.properties.os === 'Weird'), 'unknown architectures are skipped');
});

test('sorting: newest serial first, then architecture, then squashfs before root.tar.xz', () => {
  const { images } = productsToImages(products);
  const sorted = images.filter((i) => i.properties.os === 'Alpine').sort(compareImages);
  assert.deepEqual(
    sorted.slice(0, 4).map((i) => [i.properties.serial, i.properties.architecture, i.properties.type]),
    [
      ['20231105_13:00', 'amd64', 'squashfs'],
      ['20231105_13:00', 'amd64', 'root.tar.xz'],
      ['20231105_13:00', 'amd64', 'disk-kvm.img'],
      ['20231105_13:00', 'arm64', 'squashfs'],
    ],
  );
});

test('aliases: short and arch-qualified names, the newest preferred image wins, short ones listed on native images only', () => {
  const { images } = productsToImages(products);
  const { images: out, aliases } = applyAliases(images, { url: 'https://x', nativeArchitecture: 'x86_64' });
  const edge = aliases.filter((a) => a.name === 'alpine/edge' && a.type === 'container');
  assert.deepEqual(edge.map((a) => [a.architecture, a.target]), [
    ['x86_64', h('c1')],
    ['aarch64', h('c2')],
    ['i686', h('c3')],
  ]);
  assert.equal(aliases.find((a) => a.name === 'alpine/edge/arm64')?.target, h('c2'));
  assert.equal(aliases.find((a) => a.name === 'alpine/edge' && a.type === 'virtual-machine')?.target, h('e1'));
  assert.deepEqual(out.find((i) => i.fingerprint === h('c1'))!.aliases.map((a) => a.name), ['alpine/edge/default', 'alpine/edge/default/amd64', 'alpine/edge', 'alpine/edge/amd64']);
  assert.deepEqual(out.find((i) => i.fingerprint === h('c2'))!.aliases.map((a) => a.name), ['alpine/edge/default/arm64', 'alpine/edge/arm64']);
  assert.deepEqual(out.find((i) => i.fingerprint === h('d1'))!.aliases, [], 'root.tar.xz loses to squashfs');
  assert.deepEqual(out.find((i) => i.fingerprint === h('a1'))!.aliases, [], 'the older serial has no alias');
});

test('cloud-images.ubuntu.com aliases lose their "ubuntu/" prefix', () => {
  const ubuntu = { products: { 'u:22.04:amd64': { aliases: 'ubuntu/jammy,22.04', arch: 'amd64', os: 'ubuntu', release: 'jammy', versions: { '20231101': { items: { m: { ftype: 'lxd_combined.tar.gz', path: 'u.tar.gz', size: 1, sha256: h('9') } } } } } } };
  const c = SimpleStreamsCatalog.from({ index: { i: { datatype: 'image-downloads', path: 'p.json', products: ['u'] } } }, new Map([['p.json', ubuntu]]), { url: 'https://cloud-images.ubuntu.com/releases', nativeArchitecture: 'x86_64' });
  assert.deepEqual(c.listAliases().map((a) => a.name).sort(), ['22.04', '22.04/amd64', 'jammy', 'jammy/amd64']);
});

test('lookup prefers the native architecture, then its personalities', () => {
  assert.equal(catalog('x86_64').getAlias('container', 'alpine/edge').target, h('c1'));
  assert.equal(catalog('aarch64').getAlias('container', 'alpine/edge').target, h('c2'));
  // No x86_64 image: i686 runs on x86_64, so it beats aarch64.
  const noAmd = { ...products, products: Object.fromEntries(Object.entries(products.products).filter(([k]) => !k.includes('amd64'))) };
  const c = SimpleStreamsCatalog.from(index, new Map([['streams/v1/images.json', noAmd]]), { url: 'https://x', nativeArchitecture: 'x86_64' });
  assert.equal(c.getAlias('container', 'alpine/edge').target, h('c3'));
  assert.deepEqual(Object.keys(c.getAliasArchitectures('container', 'alpine/edge')).sort(), ['aarch64', 'i686']);
});

test('lookup by type, any type, missing alias, fingerprints and prefixes', () => {
  const c = catalog('x86_64');
  assert.equal(c.getAlias('virtual-machine', 'alpine/edge').target, h('e1'));
  assert.throws(() => c.getAlias('', 'alpine/edge'), /More than one match for alias 'alpine\/edge'/);
  assert.equal(c.getAliasType('', 'alpine/edge').target, h('c1'), 'no type: containers first');
  assert.throws(() => c.getAlias('container', 'nope'), /Alias 'nope' doesn't exist/);
  assert.equal(c.getImage(h('c1').slice(0, 6)).fingerprint, h('c1'));
  assert.throws(() => c.getImage('c'), /More than one match/);
  assert.throws(() => c.getImage('0123'), /couldn't be found/);
  assert.equal(c.resolve('', 'alpine/edge').image.fingerprint, h('c1'));
  assert.equal(c.resolve('', 'alpine/edge').alias?.name, 'alpine/edge');
  assert.equal(c.resolve('', h('d1')).alias, undefined);
  assert.equal(c.resolve('', h('d1')).image.properties.type, 'root.tar.xz');
  assert.deepEqual(Object.keys(c.getFiles(h('c1'))).sort(), ['meta', 'root', `root.delta-${h('a1')}`]);
  const names = c.listAliases().filter((a) => a.name === 'alpine/edge');
  assert.deepEqual(names.map((a) => [a.type, a.target]), [
    ['container', h('c1')],
    ['virtual-machine', h('e1')],
  ]);
});
