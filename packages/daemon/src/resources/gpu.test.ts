// Unit tests: GPUs from DRM and from the PCI bus, with names, DRM nodes, mdev profiles, NVIDIA and SR-IOV facts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeHost, pciFunction } from './fake-tree.js';
import { readGpu } from './gpu.js';
import { parsePciIds } from './ids.js';

const pciIds = [
  '# comment',
  '8086  Intel Corporation',
  '\t5916  HD Graphics 620',
  '\t\t1028 0767  Inspiron',
  '10de  NVIDIA Corporation',
  '\t1eb8  TU104GL [Tesla T4]',
  'ffff  Illegal Vendor ID',
  '\t0001  Never attached',
  'C 03  Display controller',
  '\t00  VGA compatible controller',
  '',
].join('\n');

test('pci.ids: vendors and their devices; the class section holds no devices', () => {
  const db = parsePciIds(pciIds);
  assert.equal(db.vendors.get('8086')?.name, 'Intel Corporation');
  assert.equal(db.vendors.get('8086')?.products.get('5916'), 'HD Graphics 620');
  assert.equal(db.vendors.get('10de')?.products.get('1eb8'), 'TU104GL [Tesla T4]');
  // As in the Go library LXD uses, the last vendor before the class section keeps no devices.
  assert.equal(db.vendors.get('ffff')?.products.size, 0);
});

test('a DRM card with render node and mdev profiles, an NVIDIA card with a virtual function', async (t) => {
  const intel = 'sys/devices/pci0000:00/0000:00:02.0';
  const host = await fakeHost(t, {
    'usr/share/misc/pci.ids': pciIds,
    ...pciFunction('0000:00:02.0', {
      vendor: '0x8086',
      device: '0x5916',
      class: '0x030000',
      driver: 'i915',
      extra: {
        'drm/card0/dev': '226:0\n',
        'drm/card0/device': { link: '../../../0000:00:02.0' },
        'drm/renderD128/dev': '226:128\n',
        'mdev_supported_types/i915-GVTg_V5_4/device_api': 'vfio-pci\n',
        'mdev_supported_types/i915-GVTg_V5_4/available_instances': '1\n',
        'mdev_supported_types/i915-GVTg_V5_4/description': 'low_gm_size: 128MB\nhigh_gm_size: 512MB\n',
        'mdev_supported_types/i915-GVTg_V5_4/devices/8c3ab6c8-6ec5-4b8f-9c6f-6d3e7e2a1f00': '',
        'mdev_supported_types/i915-GVTg_V5_8/device_api': 'vfio-pci\n',
      },
    }),
    'sys/class/drm/card0': { link: `../../${intel.slice(4)}/drm/card0` },
    'sys/class/drm/card0-HDMI-A-1/status': 'connected\n',
    'sys/class/drm/renderD128': { link: `../../${intel.slice(4)}/drm/renderD128` },
    ...pciFunction('0000:01:00.0', { vendor: '0x10de', device: '0x1eb8', class: '0x030200', driver: 'nvidia', extra: { sriov_totalvfs: '4\n', sriov_numvfs: '1\n' } }),
    'sys/bus/pci/drivers/nvidia/module': { link: '../../../../module/nvidia' },
    'sys/module/nvidia/version': '535.129.03\n',
    'proc/driver/nvidia/gpus/0000:01:00.0/information': 'Model: \t\t Tesla T4\nIRQ:   \t\t 40\nDevice Minor: \t 0\n',
    ...pciFunction('0000:01:00.4', { vendor: '0x10de', device: '0x1eb8', class: '0x030200', driver: 'vfio-pci', extra: { physfn: { link: '../0000:01:00.0' } } }),
    ...pciFunction('0000:00:03.0', { vendor: '0x1af4', device: '0x1041', class: '0x020000' }),
  });
  const gpu = readGpu(host);
  assert.equal(gpu.total, 3);
  assert.deepEqual(gpu.cards[0], {
    driver: 'i915',
    driver_version: '6.1.0-test',
    drm: { id: 0, card_name: 'card0', card_device: '226:0', render_name: 'renderD128', render_device: '226:128' },
    mdev: {
      'i915-GVTg_V5_4': { api: 'vfio-pci', available: 1, description: 'low_gm_size: 128MB\nhigh_gm_size: 512MB', devices: ['8c3ab6c8-6ec5-4b8f-9c6f-6d3e7e2a1f00'] },
      'i915-GVTg_V5_8': { api: 'vfio-pci', available: 0, devices: null },
    },
    numa_node: 0,
    pci_address: '0000:00:02.0',
    vendor: 'Intel Corporation',
    vendor_id: '8086',
    product: 'HD Graphics 620',
    product_id: '5916',
  });
  assert.deepEqual(gpu.cards[1], {
    driver: 'nvidia',
    driver_version: '535.129.03',
    sriov: {
      current_vfs: 1,
      maximum_vfs: 4,
      vfs: [{ driver: 'vfio-pci', driver_version: '6.1.0-test', numa_node: 0, pci_address: '0000:01:00.4', vendor: 'NVIDIA Corporation', vendor_id: '10de', product: 'TU104GL [Tesla T4]', product_id: '1eb8' }],
    },
    nvidia: { brand: 'Tesla', model: 'Tesla T4', card_name: 'nvidia0', card_device: '195:0' },
    numa_node: 0,
    pci_address: '0000:01:00.0',
    vendor: 'NVIDIA Corporation',
    vendor_id: '10de',
    product: 'TU104GL [Tesla T4]',
    product_id: '1eb8',
  });
  assert.equal(gpu.cards.length, 2);
});

test('no DRM and no PCI bus: no cards', async (t) => {
  assert.deepEqual(readGpu(await fakeHost(t, {})), { cards: [], total: 0 });
});
