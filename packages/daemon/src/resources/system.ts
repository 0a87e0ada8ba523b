// System identity from /sys/class/dmi/id: product, firmware, chassis, motherboard (as LXD's resources.GetSystem).
import type { ResourcesSystem } from '@lodge/api';
import { join } from 'node:path';
import type { Host } from './host.js';
import { systemType } from './virt.js';

export const sysClassDmiId = '/sys/class/dmi/id';

/** SMBIOS chassis types (DMTF spec, table "System Enclosure or Chassis Types"). */
const chassisTypes = [
  '',
  'Other',
  'Unknown',
  'Desktop',
  'Low Profile Desktop',
  'Pizza Box',
  'Mini Tower',
  'Tower',
  'Portable',
  'Laptop',
  'Notebook',
  'Hand Held',
  'Docking Station',
  'All in One',
  'Sub Notebook',
  'Space-saving',
  'Lunch Box',
  'Main Server Chassis',
  'Expansion Chassis',
  'SubChassis',
  'Bus Expansion Chassis',
  'Peripheral Chassis',
  'RAID Chassis',
  'Rack Mount Chassis',
  'Sealed-case PC',
  'Multi-system chassis',
  'Compact PCI',
  'Advanced TCA',
  'Blade',
  'Blade Enclosure',
  'Tablet',
  'Convertible',
  'Detachable',
  'IoT Gateway',
  'Embedded PC',
  'Mini PC',
  'Stick PC',
];

export function readSystem(host: Host): ResourcesSystem {
  const type = systemType(host);
  const system: ResourcesSystem = { uuid: '', vendor: '', product: '', family: '', version: '', sku: '', serial: '', type, firmware: null, chassis: null, motherboard: null };
  if (!host.exists(sysClassDmiId)) return system;
  // uuid and the serials are root-only; a caller without access gets "" for them.
  const dmi = (name: string): string => host.trimmed(join(sysClassDmiId, name)) ?? '';
  const chassisType = host.uint(join(sysClassDmiId, 'chassis_type'));
  return {
    uuid: dmi('product_uuid'),
    vendor: dmi('sys_vendor'),
    product: dmi('product_name'),
    family: dmi('product_family'),
    version: dmi('product_version'),
    sku: dmi('product_sku'),
    serial: dmi('product_serial'),
    type,
    firmware: { vendor: dmi('bios_vendor'), date: dmi('bios_date'), version: dmi('bios_version') },
    chassis: {
      vendor: dmi('chassis_vendor'),
      type: chassisType === undefined ? '' : (chassisTypes[chassisType] ?? ''),
      serial: dmi('chassis_serial'),
      version: dmi('chassis_version'),
    },
    motherboard: { vendor: dmi('board_vendor'), product: dmi('board_name'), serial: dmi('board_serial'), version: dmi('board_version') },
  };
}
