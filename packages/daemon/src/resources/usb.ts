// USB device inventory from /sys/bus/usb/devices, hubs left out, names from usb.ids (as LXD's resources.GetUSB).
import type { ResourcesUSB, ResourcesUSBDevice, ResourcesUSBDeviceInterface } from '@lodge/api';
import { join } from 'node:path';
import { driverInfo } from './device.js';
import type { Host } from './host.js';
import { loadUsbIds, type UsbIds } from './ids.js';

export const sysBusUsb = '/sys/bus/usb/devices';

const usbHubClass = 9;

function readInterface(host: Host, path: string, db: UsbIds | undefined): ResourcesUSBDeviceInterface {
  const hex = (f: string): number | undefined => host.uint(join(path, f), 16);
  const classId = hex('bInterfaceClass');
  const subclassId = hex('bInterfaceSubClass') ?? 0;
  const cls = classId === undefined ? undefined : db?.classes.get(classId);
  const { driver, version } = driverInfo(host, path);
  return {
    class: cls?.name ?? '',
    class_id: classId ?? 0,
    driver,
    driver_version: version,
    number: hex('bInterfaceNumber') ?? 0,
    subclass: subclassId > 0 ? (cls?.subclasses.get(subclassId) ?? '') : '',
    subclass_id: subclassId,
  };
}

function readDevice(host: Host, name: string, db: UsbIds | undefined): ResourcesUSBDevice | undefined {
  const path = join(sysBusUsb, name);
  // Interfaces ("1-1:1.0") are listed here too; only devices have a bus number.
  if (!host.exists(join(path, 'busnum'))) return undefined;
  if (host.uint(join(path, 'bDeviceClass'), 16) === usbHubClass) return undefined;
  const vendorId = (host.trimmed(join(path, 'idVendor')) ?? '').replace(/^0x/, '');
  const productId = (host.trimmed(join(path, 'idProduct')) ?? '').replace(/^0x/, '');
  const vendor = db?.vendors.get(Number.parseInt(vendorId || '0', 16));
  // The device's own product string wins; usb.ids only fills in when there is none.
  const product = host.trimmed(join(path, 'product')) || (vendor?.products.get(Number.parseInt(productId || '0', 16)) ?? '');
  const speed = Number.parseFloat(host.trimmed(join(path, 'speed')) ?? '');
  const interfaces = host
    .entries(path)
    .filter((d) => d.isDirectory() && d.name.startsWith(name))
    .map((d) => readInterface(host, join(path, d.name), db));
  return {
    bus_address: host.uint(join(path, 'busnum')) ?? 0,
    device_address: host.uint(join(path, 'devnum')) ?? 0,
    // LXD leaves the list nil (JSON null) for a device without interface directories.
    interfaces: interfaces.length ? interfaces : null,
    vendor: vendor?.name ?? '',
    vendor_id: vendorId,
    product,
    product_id: productId,
    speed: Number.isFinite(speed) ? speed : 0,
  };
}

export function readUsb(host: Host): ResourcesUSB {
  const db = loadUsbIds(host);
  const devices = host
    .list(sysBusUsb)
    .map((n) => readDevice(host, n, db))
    .filter((d): d is ResourcesUSBDevice => d !== undefined);
  return { devices, total: devices.length };
}
