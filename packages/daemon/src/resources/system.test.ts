// Unit tests: system identity from DMI, and the physical / virtual-machine / container guess.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeHost } from './fake-tree.js';
import { readSystem } from './system.js';
import { systemType } from './virt.js';

const dmi = 'sys/class/dmi/id';

test('DMI identity, firmware, chassis and motherboard', async (t) => {
  const host = await fakeHost(t, {
    [`${dmi}/product_uuid`]: '7fa1c0cc-2271-11b2-a85c-aab32a05d71a\n',
    [`${dmi}/sys_vendor`]: 'LENOVO\n',
    [`${dmi}/product_name`]: '20HRCTO1WW\n',
    [`${dmi}/product_family`]: 'ThinkPad X1 Carbon 5th\n',
    [`${dmi}/product_version`]: 'ThinkPad X1 Carbon 5th\n',
    [`${dmi}/product_sku`]: 'LENOVO_MT_20HR_BU_Think_FM_ThinkPad X1 Carbon 5th\n',
    [`${dmi}/product_serial`]: 'PY3DD4X9\n',
    [`${dmi}/bios_vendor`]: 'LENOVO\n',
    [`${dmi}/bios_date`]: '10/14/2020\n',
    [`${dmi}/bios_version`]: 'N1MET64W (1.49)\n',
    [`${dmi}/chassis_vendor`]: 'LENOVO\n',
    [`${dmi}/chassis_type`]: '10\n',
    [`${dmi}/chassis_version`]: 'None\n',
    [`${dmi}/board_vendor`]: 'LENOVO\n',
    [`${dmi}/board_name`]: '20HRCTO1WW\n',
    [`${dmi}/board_version`]: 'None\n',
  });
  assert.deepEqual(readSystem(host), {
    uuid: '7fa1c0cc-2271-11b2-a85c-aab32a05d71a',
    vendor: 'LENOVO',
    product: '20HRCTO1WW',
    family: 'ThinkPad X1 Carbon 5th',
    version: 'ThinkPad X1 Carbon 5th',
    sku: 'LENOVO_MT_20HR_BU_Think_FM_ThinkPad X1 Carbon 5th',
    serial: 'PY3DD4X9',
    type: 'physical',
    firmware: { vendor: 'LENOVO', date: '10/14/2020', version: 'N1MET64W (1.49)' },
    chassis: { vendor: 'LENOVO', type: 'Notebook', serial: '', version: 'None' },
    motherboard: { vendor: 'LENOVO', product: '20HRCTO1WW', serial: '', version: 'None' },
  });
});

test('no DMI: empty strings and null sections', async (t) => {
  const host = await fakeHost(t, { '.dockerenv': '' });
  assert.deepEqual(readSystem(host), { uuid: '', vendor: '', product: '', family: '', version: '', sku: '', serial: '', type: 'container', firmware: null, chassis: null, motherboard: null });
});

test('system type: container markers first, then hypervisor signs', async (t) => {
  const cases: [Record<string, string>, string][] = [
    [{ 'run/systemd/container': 'lxc\n', 'proc/cpuinfo': 'flags\t\t: fpu hypervisor\n' }, 'container'],
    [{ 'proc/1/environ': 'PATH=/bin\0container=lxc\0' }, 'container'],
    [{ 'proc/cpuinfo': 'processor\t: 0\nflags\t\t: fpu vme hypervisor lahf_lm\n' }, 'virtual-machine'],
    [{ [`${dmi}/sys_vendor`]: 'QEMU\n' }, 'virtual-machine'],
    [{ [`${dmi}/sys_vendor`]: 'Microsoft Corporation\n', [`${dmi}/product_name`]: 'Virtual Machine\n' }, 'virtual-machine'],
    [{ 'proc/cpuinfo': 'processor\t: 0\nflags\t\t: fpu vme lahf_lm\n', [`${dmi}/sys_vendor`]: 'Dell Inc.\n' }, 'physical'],
  ];
  for (const [tree, want] of cases) assert.equal(systemType(await fakeHost(t, tree)), want, JSON.stringify(tree));
});
