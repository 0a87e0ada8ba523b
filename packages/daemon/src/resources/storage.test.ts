// Unit tests: disks and partitions from /sys/class/block, refined by udev's database and /dev/disk links.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeHost, type Tree } from './fake-tree.js';
import { parseUdevData, readStorage, udevDecode } from './storage.js';

/** A block device below sys/devices/<deviceDir> with its /sys/class/block link; subsystem is the device's bus. */
function disk(deviceDir: string, subsystem: string, name: string, attrs: Record<string, string>, parts: Record<string, Record<string, string>> = {}): Tree {
  const up = deviceDir.split('/').length + 1;
  const block = `sys/devices/${deviceDir}/block/${name}`;
  const tree: Tree = {
    [`sys/bus/${subsystem}/uevent`]: '',
    [`sys/devices/${deviceDir}/subsystem`]: { link: `${'../'.repeat(up)}bus/${subsystem}` },
    [`sys/class/block/${name}`]: { link: `../../devices/${deviceDir}/block/${name}` },
    [`${block}/device`]: { link: '../..' },
  };
  for (const [k, v] of Object.entries(attrs)) tree[`${block}/${k}`] = `${v}\n`;
  for (const [part, pattrs] of Object.entries(parts)) {
    tree[`sys/class/block/${part}`] = { link: `../../devices/${deviceDir}/block/${name}/${part}` };
    for (const [k, v] of Object.entries(pattrs)) tree[`${block}/${part}/${k}`] = `${v}\n`;
  }
  return tree;
}

const sata = 'pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0';

test('virtio and SATA disks, a CD drive without media; loop and rbd devices left out', async (t) => {
  const host = await fakeHost(t, {
    ...disk('pci0000:00/0000:00:02.0/virtio1', 'virtio', 'vda', { dev: '254:0', size: '536870912', ro: '0', removable: '0', 'queue/physical_block_size': '4096', 'queue/rotational': '1' }, { vda1: { dev: '254:1', partition: '1', size: '2048', ro: '0' }, vda2: { dev: '254:2', partition: '2', size: '4096', ro: '1' } }),
    'sys/devices/pci0000:00/0000:00:02.0/subsystem': { link: '../../../bus/pci' },
    'sys/bus/pci/uevent': '',
    'dev/vda': '',
    ...disk(sata, 'scsi', 'sda', { dev: '8:0', size: '976773168', ro: '0', removable: '0', wwid: 'naa.5002538e40a0b1c2', 'queue/physical_block_size': '512', 'queue/rotational': '0' }),
    [`sys/devices/${sata}/model`]: 'Samsung SSD 860 \n',
    'run/udev/data/b8:0': ['S:disk/by-id/ata-Samsung_SSD_860_EVO_500GB_S3Z1NB0K', 'E:ID_ATA_SATA=1', 'E:ID_MODEL=Samsung_SSD_860_EVO_500GB', 'E:ID_MODEL_ENC=Samsung\\x20SSD\\x20860\\x20EVO\\x20500GB\\x20\\x20', 'E:ID_SERIAL_SHORT=S3Z1NB0K', 'E:ID_REVISION=RVT02B6Q', 'E:ID_ATA_ROTATION_RATE_RPM=0', ''].join('\n'),
    'dev/sda': '',
    'dev/disk/by-id/ata-Samsung_SSD_860_EVO_500GB_S3Z1NB0K': { link: '../../sda' },
    'dev/disk/by-id/wwn-0x5002538e40a0b1c2': { link: '../../sda' },
    'dev/disk/by-path/pci-0000:00:17.0-ata-1': { link: '../../sda' },
    'dev/disk/by-path/pci-0000:00:17.0-ata-1-part1': { link: '../../sda1' },
    ...disk('pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0', 'scsi', 'sr0', { dev: '11:0', size: '2097151', ro: '0', removable: '1', 'queue/rotational': '1' }),
    ...disk('rbd/0', 'rbd', 'rbd0', { dev: '252:0', size: '2048', ro: '0', removable: '0' }),
    'sys/class/block/loop0': { link: '../../devices/virtual/block/loop0' },
    'sys/devices/virtual/block/loop0/dev': '7:0\n',
  });
  const storage = await readStorage(host);
  assert.equal(storage.total, 5);
  assert.deepEqual(storage.disks[0], {
    id: 'sda',
    device: '8:0',
    model: 'Samsung SSD 860 EVO 500GB',
    type: 'sata',
    read_only: false,
    size: 976773168 * 512,
    removable: false,
    wwn: 'naa.5002538e40a0b1c2',
    numa_node: 0,
    device_path: 'pci-0000:00:17.0-ata-1',
    block_size: 512,
    firmware_version: 'RVT02B6Q',
    rpm: 0,
    serial: 'S3Z1NB0K',
    // The last matching link wins.
    device_id: 'wwn-0x5002538e40a0b1c2',
    partitions: [],
  });
  // No /dev/sr0 to open: LXD cannot ask for the block size either.
  assert.deepEqual(storage.disks[1], { id: 'sr0', device: '11:0', type: 'cdrom', read_only: false, size: 0, removable: true, numa_node: 0, block_size: 0, rpm: 1, device_id: '', partitions: [] });
  assert.deepEqual(storage.disks[2], {
    id: 'vda',
    device: '254:0',
    type: 'virtio',
    read_only: false,
    size: 536870912 * 512,
    removable: false,
    numa_node: 0,
    block_size: 4096,
    rpm: 1,
    device_id: '',
    partitions: [
      { id: 'vda1', device: '254:1', read_only: false, size: 2048 * 512, partition: 1 },
      { id: 'vda2', device: '254:2', read_only: true, size: 4096 * 512, partition: 2 },
    ],
    pci_address: '0000:00:02.0',
  });
  assert.equal(storage.disks.length, 3);
});

test('udev escapes and properties', () => {
  assert.equal(udevDecode('WDC\\x20WD10EZEX\\x2d08M'), 'WDC WD10EZEX-08M');
  assert.equal(udevDecode('caf\\xc3\\xa9'), 'café');
  assert.equal(udevDecode('bad\\xZZ'), undefined);
  assert.deepEqual([...parseUdevData('S:x\nE:ID_BUS=ata\nE:ID_EMPTY=\nG:systemd\n')], [
    ['ID_BUS', 'ata'],
    ['ID_EMPTY', ''],
  ]);
});

test('no block class: no disks', async (t) => {
  assert.deepEqual(await readStorage(await fakeHost(t, {})), { disks: [], total: 0 });
});
