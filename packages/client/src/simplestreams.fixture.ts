// Fixture: a small simplestreams tree shaped like images.linuxcontainers.org's (index.json + images.json).
import type { Products, Stream } from './simplestreams.js';

export const h = (c: string): string => c.repeat(64).slice(0, 64);

export const index: Stream = {
  format: 'index:1.0',
  index: {
    images: {
      datatype: 'image-downloads',
      path: 'streams/v1/images.json',
      format: 'products:1.0',
      products: ['alpine:edge:amd64:default', 'alpine:edge:arm64:default', 'alpine:edge:i386:default', 'tiny:1:amd64:default'],
      updated: 'Sun, 05 Nov 2023 13:00:00 +0000',
    },
    // Ignored: not image downloads, or no products.
    other: { datatype: 'content-download', path: 'streams/v1/other.json', products: ['x'] },
    empty: { datatype: 'image-downloads', path: 'streams/v1/empty.json', products: [] },
  },
};

const alpineVersions = (arch: string, c: string) => ({
  '20231104_13:00': {
    items: {
      'lxd.tar.xz': { ftype: 'lxd.tar.xz', path: `images/alpine/edge/${arch}/default/20231104_13:00/lxd.tar.xz`, size: 100, sha256: h('1'), combined_squashfs_sha256: h(`a${c}`), combined_rootxz_sha256: h('b') },
      'root.squashfs': { ftype: 'squashfs', path: `images/alpine/edge/${arch}/default/20231104_13:00/rootfs.squashfs`, size: 1000, sha256: h('2') },
    },
  },
  '20231105_13:00': {
    label: 'daily',
    items: {
      'lxd.tar.xz': {
        ftype: 'lxd.tar.xz',
        path: `images/alpine/edge/${arch}/default/20231105_13:00/lxd.tar.xz`,
        size: 101,
        sha256: h('3'),
        combined_squashfs_sha256: h(`c${c}`),
        combined_rootxz_sha256: h(`d${c}`),
        'combined_disk-kvm-img_sha256': h(`e${c}`),
      },
      'root.tar.xz': { ftype: 'root.tar.xz', path: `images/alpine/edge/${arch}/default/20231105_13:00/rootfs.tar.xz`, size: 2000, sha256: h('4') },
      'root.squashfs': { ftype: 'squashfs', path: `images/alpine/edge/${arch}/default/20231105_13:00/rootfs.squashfs`, size: 1001, sha256: h('5') },
      'disk.qcow2': { ftype: 'disk-kvm.img', path: `images/alpine/edge/${arch}/default/20231105_13:00/disk.qcow2`, size: 5000, sha256: h('6') },
      delta: { ftype: 'squashfs.vcdiff', path: `images/alpine/edge/${arch}/default/20231105_13:00/20231104_13:00.vcdiff`, size: 10, sha256: h('7'), delta_base: '20231104_13:00' },
    },
  },
  // Not a serial: skipped.
  latest: { items: { 'lxd.tar.xz': { ftype: 'lxd.tar.xz', path: 'x', size: 1, sha256: h('8'), combined_squashfs_sha256: h('9') } } },
});

export const products: Products = {
  content_id: 'images',
  datatype: 'image-downloads',
  format: 'products:1.0',
  products: {
    'alpine:edge:amd64:default': { aliases: 'alpine/edge/default,alpine/edge', arch: 'amd64', os: 'Alpine', release: 'edge', release_title: 'edge', variant: 'default', support_eol: '2030-01-02', versions: alpineVersions('amd64', '1') },
    'alpine:edge:arm64:default': { aliases: 'alpine/edge/default,alpine/edge', arch: 'arm64', os: 'Alpine', release: 'edge', release_title: 'edge', variant: 'default', versions: alpineVersions('arm64', '2') },
    'alpine:edge:i386:default': { aliases: 'alpine/edge/default,alpine/edge', arch: 'i386', os: 'Alpine', release: 'edge', release_title: 'edge', variant: 'default', versions: alpineVersions('i386', '3') },
    'tiny:1:amd64:default': {
      aliases: 'tiny',
      arch: 'amd64',
      os: 'Tiny',
      release: '1',
      release_title: 'One',
      lxd_requirements: { secureboot: 'false' },
      versions: { '20230101': { items: { 'lxd.tar.gz': { ftype: 'lxd_combined.tar.gz', path: 'images/tiny/tiny.tar.gz', size: 42, sha256: h('f') } } } },
    },
    'weird:1:sparc:default': { aliases: 'weird', arch: 'sparc', os: 'Weird', release: '1', versions: { '20230101': { items: { 'lxd.tar.gz': { ftype: 'lxd_combined.tar.gz', path: 'w', size: 1, sha256: h('0') } } } } },
  },
};
