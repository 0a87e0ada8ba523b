// Unit tests: the whole inventory on an empty or garbled host is empty values, never an error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeHost } from './fake-tree.js';
import { readResources } from './index.js';

test('an empty host: every section present and empty', async (t) => {
  const res = await readResources(await fakeHost(t, {}));
  assert.deepEqual(res, {
    cpu: { architecture: 'x86_64', sockets: [], total: 0 },
    memory: { hugepages_total: 0, hugepages_used: 0, hugepages_size: 0, used: 0, total: 0 },
    gpu: { cards: [], total: 0 },
    network: { cards: [], total: 0 },
    storage: { disks: [], total: 0 },
    usb: { devices: [], total: 0 },
    pci: { devices: [], total: 0 },
    system: { uuid: '', vendor: '', product: '', family: '', version: '', sku: '', serial: '', type: 'physical', firmware: null, chassis: null, motherboard: null },
  });
});

test('garbled files and dangling links read as zero values', async (t) => {
  const host = await fakeHost(t, {
    'proc/meminfo': 'MemTotal: lots\nnonsense\n',
    'sys/devices/system/cpu/cpu0/topology/core_id': 'x\n',
    'sys/devices/system/cpu/cpu0/cache/index0/level': '1\n',
    'sys/devices/system/cpu/cpu0/cache/index0/size': '1M\n',
    'sys/devices/system/memory/block_size_bytes': 'zz\n',
    'sys/class/net/eth9': { link: '../../devices/gone/net/eth9' },
    'sys/class/block/sdz/device': { link: '../nowhere' },
    'sys/bus/usb/devices/9-9/busnum': 'nine\n',
    'sys/bus/pci/devices/0000:09:00.0': { link: '../../../devices/missing' },
    'sys/class/dmi/id/chassis_type': '999\n',
  });
  const res = await readResources(host);
  assert.equal(res.cpu.total, 1);
  assert.deepEqual(res.cpu.sockets[0]?.cache, [{ level: 1, type: 'Unknown', size: 0 }]);
  assert.equal(res.memory.total, 0);
  assert.deepEqual(res.network, { cards: [], total: 0 });
  assert.equal(res.storage.total, 0);
  assert.equal(res.usb.devices[0]?.bus_address, 0);
  assert.equal(res.pci.devices[0]?.pci_address, '0000:09:00.0');
  assert.equal(res.system.chassis?.type, '');
});
