// Unit tests: USB devices and interfaces from /sys/bus/usb, hubs skipped, names from usb.ids.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeHost, type Tree } from './fake-tree.js';
import { parseUsbIds } from './ids.js';
import { readUsb } from './usb.js';

const usbIds = [
  '# usb.ids',
  '046d  Logitech, Inc.',
  '\tc52b  Unifying Receiver',
  '\t\t00  interface',
  '0bda  Realtek Semiconductor Corp.',
  '\t8153  RTL8153 Gigabit Ethernet Adapter',
  'C 03  Human Interface Device',
  '\t00  No Subclass',
  '\t01  Boot Interface Subclass',
  '\t\t01  Keyboard',
  'AT 0001  Audio terminal',
  '0002  not a vendor: still in the AT section',
  '',
].join('\n');

/** A device under sys/devices/usb/<name>, listed in sys/bus/usb/devices. */
function usbDevice(name: string, attrs: Record<string, string>, extra: Tree = {}): Tree {
  const tree: Tree = { [`sys/bus/usb/devices/${name}`]: { link: `../../../devices/usb/${name}` } };
  for (const [k, v] of Object.entries(attrs)) tree[`sys/devices/usb/${name}/${k}`] = `${v}\n`;
  for (const [k, v] of Object.entries(extra)) tree[`sys/devices/usb/${name}/${k}`] = v;
  return tree;
}

test('usb.ids: vendors, products and classes; other sections ignored', () => {
  const db = parseUsbIds(usbIds);
  assert.equal(db.vendors.get(0x046d)?.name, 'Logitech, Inc.');
  assert.equal(db.vendors.get(0x0bda)?.products.get(0x8153), 'RTL8153 Gigabit Ethernet Adapter');
  assert.equal(db.classes.get(3)?.subclasses.get(1), 'Boot Interface Subclass');
  assert.equal(db.vendors.has(2), false);
});

test('devices with interfaces and drivers; hubs and interface entries are not devices', async (t) => {
  const host = await fakeHost(t, {
    'usr/share/misc/usb.ids': usbIds,
    ...usbDevice('usb1', { busnum: '1', devnum: '1', bDeviceClass: '09', idVendor: '1d6b', idProduct: '0002' }),
    ...usbDevice(
      '1-2',
      { busnum: '1', devnum: '3', bDeviceClass: '00', idVendor: '046d', idProduct: 'c52b', product: 'USB Receiver', speed: '12' },
      {
        '1-2:1.0/bInterfaceClass': '03\n',
        '1-2:1.0/bInterfaceSubClass': '01\n',
        '1-2:1.0/bInterfaceNumber': '00\n',
        '1-2:1.0/driver': { link: '../../../../bus/usb/drivers/usbhid' },
        '1-2:1.1/bInterfaceClass': '03\n',
        '1-2:1.1/bInterfaceSubClass': '00\n',
        '1-2:1.1/bInterfaceNumber': '01\n',
        power: '',
      },
    ),
    'sys/bus/usb/drivers/usbhid/bind': '',
    'sys/bus/usb/devices/1-2:1.0': { link: '../../../devices/usb/1-2/1-2:1.0' },
    ...usbDevice('2-1', { busnum: '2', devnum: '2', idVendor: '0bda', idProduct: '8153', speed: '5000' }),
  });
  const usb = readUsb(host);
  assert.equal(usb.total, 2);
  assert.deepEqual(usb.devices, [
    {
      bus_address: 1,
      device_address: 3,
      interfaces: [
        { class: 'Human Interface Device', class_id: 3, driver: 'usbhid', driver_version: '6.1.0-test', number: 0, subclass: 'Boot Interface Subclass', subclass_id: 1 },
        { class: 'Human Interface Device', class_id: 3, driver: '', driver_version: '', number: 1, subclass: '', subclass_id: 0 },
      ],
      vendor: 'Logitech, Inc.',
      vendor_id: '046d',
      // The device's own product string wins over usb.ids.
      product: 'USB Receiver',
      product_id: 'c52b',
      speed: 12,
    },
    { bus_address: 2, device_address: 2, interfaces: null, vendor: 'Realtek Semiconductor Corp.', vendor_id: '0bda', product: 'RTL8153 Gigabit Ethernet Adapter', product_id: '8153', speed: 5000 },
  ]);
});

test('no USB bus: no devices', async (t) => {
  assert.deepEqual(readUsb(await fakeHost(t, {})), { devices: [], total: 0 });
});
