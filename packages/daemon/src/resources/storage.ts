// Disk inventory: whole block devices with a backing device, their partitions, udev facts (as LXD's resources.GetStorage).
import type { ResourcesStorage, ResourcesStorageDisk, ResourcesStorageDiskPartition } from '@lodge/api';
import { basename, join } from 'node:path';
import { numaNode, pciAddress, usbAddress } from './device.js';
import type { Host } from './host.js';
import { omitEmpty } from './omit.js';

export const sysClassBlock = '/sys/class/block';
export const devDiskByPath = '/dev/disk/by-path';
export const devDiskById = '/dev/disk/by-id';
export const runUdevData = '/run/udev/data';

/** CD-ROM drives report this size (in sectors) whether or not a disc is in. */
const noMediaSectors = 0x1fffff;

/** Undoes udev's \xNN escaping (ID_MODEL_ENC); undefined on a malformed escape. */
export function udevDecode(s: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === 'x' && i + 4 <= s.length) {
      const hex = s.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 3;
    } else {
      bytes.push(...Buffer.from(s[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The E: properties of a udev database entry. */
export function parseUdevData(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const i = line.indexOf('=');
    if (line.startsWith('E:') && i >= 0) props.set(line.slice(2, i).trim(), line.slice(i + 1).trim());
  }
  return props;
}

/** The link name in a /dev/disk/by-* directory that resolves to /dev/<name> (the last one wins, as in LXD). */
function diskLink(host: Host, dir: string, name: string): string {
  return host.list(dir).filter((link) => host.resolve(join(dir, link)) === join('/dev', name)).pop() ?? '';
}

function readPartition(host: Host, name: string): ResourcesStorageDiskPartition {
  const dir = join(sysClassBlock, name);
  return {
    id: name,
    device: host.trimmed(join(dir, 'dev')) ?? '',
    read_only: host.uint(join(dir, 'ro')) === 1,
    size: (host.uint(join(dir, 'size')) ?? 0) * 512,
    partition: host.uint(join(dir, 'partition')) ?? 0,
  };
}

/** udev's view of the drive: finer type, serial, model, firmware and rotation rate. */
function addUdevInfo(host: Host, disk: ResourcesStorageDisk): void {
  const text = host.text(join(runUdevData, `b${disk.device}`));
  if (text === undefined) return;
  const p = parseUdevData(text);
  if (p.get('ID_CDROM') === '1') disk.type = 'cdrom';
  else if (p.get('ID_USB_DRIVER') === 'usb-storage') disk.type = 'usb';
  else if (p.get('ID_ATA_SATA') === '1') disk.type = 'sata';
  if (p.get('ID_REVISION') && !disk.firmware_version) disk.firmware_version = p.get('ID_REVISION');
  if (p.get('ID_SERIAL_SHORT')) disk.serial = p.get('ID_SERIAL_SHORT');
  const encoded = p.get('ID_MODEL_ENC');
  const decoded = encoded ? udevDecode(encoded) : undefined;
  if (decoded !== undefined) disk.model = decoded.trim();
  else if (p.get('ID_MODEL')) disk.model = p.get('ID_MODEL');
  const rpm = p.get('ID_ATA_ROTATION_RATE_RPM');
  if (rpm && /^\d+$/.test(rpm) && disk.rpm === 0) disk.rpm = Number(rpm);
}

async function readDisk(host: Host, name: string, all: string[]): Promise<ResourcesStorageDisk | undefined> {
  const entry = join(sysClassBlock, name);
  const devicePath = join(entry, 'device');
  const device = host.trimmed(join(entry, 'dev'));
  // Multipath members have no dev node; only the main node counts.
  if (device === undefined) return undefined;
  const subsystem = host.exists(join(devicePath, 'subsystem')) ? host.resolve(join(devicePath, 'subsystem')) : undefined;
  const type = subsystem === undefined ? '' : basename(subsystem);
  // rbd devices are network block devices, not local disks.
  if (type === 'rbd') return undefined;
  const removable = host.uint(join(entry, 'removable')) === 1;
  const cdrom = name.startsWith('sr') && removable;
  const sectors = host.uint(join(entry, 'size')) ?? 0;
  const disk: ResourcesStorageDisk = {
    id: name,
    device,
    model: host.trimmed(join(devicePath, 'model')) ?? '',
    type: cdrom ? 'cdrom' : type,
    read_only: host.uint(join(entry, 'ro')) === 1,
    size: cdrom && sectors === noMediaSectors ? 0 : sectors * 512,
    removable,
    wwn: host.trimmed(join(entry, 'wwid')) ?? '',
    numa_node: numaNode(host, devicePath),
    device_path: diskLink(host, devDiskByPath, name),
    // BLKPBSZGET is the queue's physical block size; LXD only gets it when it can open the node
    // (opening can wait on the drive, e.g. a CD tray, hence async).
    block_size: (await host.opens(join('/dev', name))) ? (host.uint(join(entry, 'queue', 'physical_block_size')) ?? 0) : 0,
    firmware_version: host.trimmed(join(devicePath, 'firmware_rev')) ?? '',
    rpm: 0,
    serial: '',
    device_id: diskLink(host, devDiskById, name),
    // Partitions are the entries named after the disk with a "partition" attribute.
    partitions: all.filter((n) => n.startsWith(name) && host.exists(join(sysClassBlock, n, 'partition'))).map((n) => readPartition(host, n)),
    pci_address: pciAddress(host, devicePath),
    usb_address: usbAddress(host, devicePath),
  };
  addUdevInfo(host, disk);
  // Without a udev rotation rate, "rotational" gives 1 for spinning disks (speed unknown).
  if (disk.rpm === 0) disk.rpm = host.uint(join(entry, 'queue', 'rotational')) ?? 0;
  return omitEmpty(disk, ['model', 'type', 'wwn', 'device_path', 'firmware_version', 'serial', 'pci_address', 'usb_address']);
}

export async function readStorage(host: Host): Promise<ResourcesStorage> {
  const all = host.list(sysClassBlock);
  // Whole disks have a "device" link; partitions, loop, zram and device-mapper nodes do not.
  const whole = all.filter((n) => host.exists(join(sysClassBlock, n, 'device')));
  const disks = (await Promise.all(whole.map((n) => readDisk(host, n, all)))).filter((d): d is ResourcesStorageDisk => d !== undefined);
  return { disks, total: disks.reduce((t, d) => t + 1 + d.partitions.length, 0) };
}
