// Unit tests: PCI devices (ids, names, driver, IOMMU group) and their Vital Product Data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeHost, pciFunction } from './fake-tree.js';
import { readPci } from './pci.js';
import { parseVpd } from './vpd.js';

function large(tag: number, body: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16LE(body.length);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

function keyword(key: string, value: string): Buffer {
  return Buffer.concat([Buffer.from(key, 'latin1'), Buffer.from([value.length]), Buffer.from(value, 'latin1')]);
}

const vpd = Buffer.concat([
  large(0x82, Buffer.from('HP Ethernet 1Gb 4-port 331i Adapter  ', 'latin1')),
  large(0x90, Buffer.concat([keyword('PN', '647594-B21'), keyword('EC', 'A-5545\0'), keyword('V0', '5W PCIeGen2'), keyword('XX', 'dropped'), keyword('RV', '\x8b')])),
  large(0x91, Buffer.concat([keyword('YA', 'asset 42'), keyword('MN', '103C')])),
  Buffer.from([0x78]),
]);

test('VPD: product name and the known keywords from read-only and read-write sections', () => {
  assert.deepEqual(parseVpd(vpd), { product_name: 'HP Ethernet 1Gb 4-port 331i Adapter', entries: { PN: '647594-B21', EC: 'A-5545', V0: '5W PCIeGen2', YA: 'asset 42', MN: '103C' } });
  assert.deepEqual(parseVpd(Buffer.alloc(0)), {});
  // A length past the end is not skipped; what follows is still read as tags.
  assert.deepEqual(parseVpd(Buffer.concat([Buffer.from([0x84, 0xff, 0x00]), large(0x82, Buffer.from('Name'))])), { product_name: 'Name' });
  // A section cut short keeps what it has.
  assert.deepEqual(parseVpd(large(0x90, keyword('SN', 'ABC123')).subarray(0, 9)), { entries: { SN: 'ABC' } });
});

test('every PCI function, with driver version, IOMMU group and VPD', async (t) => {
  const host = await fakeHost(t, {
    'usr/share/hwdata/pci.ids': '8086  Intel Corporation\n\t15bb  Ethernet Connection (7) I219-LM\nffff  Illegal Vendor ID\n',
    ...pciFunction('0000:00:00.0', { vendor: '0x8086', device: '0x0d57', class: '0x060000', extra: { iommu_group: { link: '../../../kernel/iommu_groups/3' } } }),
    'sys/kernel/iommu_groups/3/type': 'DMA\n',
    ...pciFunction('0000:00:1f.6', { vendor: '0x8086', device: '0x15bb', class: '0x020000', driver: 'e1000e', extra: { vpd } }),
    'sys/bus/pci/drivers/e1000e/module': { link: '../../../../module/e1000e' },
    'sys/module/e1000e/version': '3.2.6-k\n',
  });
  const pci = await readPci(host);
  assert.deepEqual(pci, {
    devices: [
      { driver: '', driver_version: '', numa_node: 0, pci_address: '0000:00:00.0', vendor: 'Intel Corporation', vendor_id: '8086', product: '', product_id: '0d57', iommu_group: 3, vpd: {} },
      {
        driver: 'e1000e',
        driver_version: '3.2.6-k',
        numa_node: 0,
        pci_address: '0000:00:1f.6',
        vendor: 'Intel Corporation',
        vendor_id: '8086',
        product: 'Ethernet Connection (7) I219-LM',
        product_id: '15bb',
        iommu_group: 0,
        vpd: { product_name: 'HP Ethernet 1Gb 4-port 331i Adapter', entries: { PN: '647594-B21', EC: 'A-5545', V0: '5W PCIeGen2', YA: 'asset 42', MN: '103C' } },
      },
    ],
    total: 2,
  });
});

test('no PCI bus: no devices', async (t) => {
  assert.deepEqual(await readPci(await fakeHost(t, {})), { devices: [], total: 0 });
});
