// Facts every sysfs device reader needs: PCI/USB address, NUMA node, ids, driver, SR-IOV.
import { basename, dirname, join } from 'node:path';
import type { Host } from './host.js';

export const sysBusPci = '/sys/bus/pci/devices';

/** The device's NUMA node; negative (no affinity) and missing read as 0. */
export function numaNode(host: Host, devicePath: string): number {
  const n = host.int(join(devicePath, 'numa_node'));
  return n !== undefined && n > 0 ? n : 0;
}

/** The PCI address behind a device ("" when not on PCI); a virtio device reports its PCI parent. */
export function pciAddress(host: Host, devicePath: string): string {
  if (!host.exists(join(devicePath, 'subsystem'))) return '';
  let target = host.resolve(devicePath);
  if (target === undefined) return '';
  let subsystem = host.resolve(join(target, 'subsystem'));
  if (subsystem !== undefined && basename(subsystem) === 'virtio') {
    target = dirname(target);
    subsystem = host.resolve(join(target, 'subsystem'));
  }
  return subsystem !== undefined && basename(subsystem) === 'pci' ? basename(target) : '';
}

/** "bus:device" of the USB device a sysfs path sits under ("" when not on USB). */
export function usbAddress(host: Host, devicePath: string): string {
  const resolved = host.resolve(devicePath);
  if (resolved === undefined || !resolved.includes('/usb')) return '';
  for (let path = resolved; path !== '' && path !== '/'; path = dirname(path)) {
    if (!host.exists(join(path, 'busnum')) || !host.exists(join(path, 'devnum'))) continue;
    const bus = host.uint(join(path, 'busnum'));
    const dev = host.uint(join(path, 'devnum'));
    return bus === undefined || dev === undefined ? '' : `${bus}:${dev}`;
  }
  return '';
}

/** PCI-style vendor and product ids from the "vendor" and "device" files, without 0x. */
export function deviceIds(host: Host, devicePath: string): { vendorId: string; productId: string } {
  const id = (name: string): string => (host.trimmed(join(devicePath, name)) ?? '').replace(/^0x/, '');
  return { vendorId: id('vendor'), productId: id('device') };
}

/** The bound kernel driver and its module version (the kernel release for built-in drivers); "" when unbound. */
export function driverInfo(host: Host, devicePath: string): { driver: string; version: string } {
  const driverPath = join(devicePath, 'driver');
  if (!host.exists(driverPath)) return { driver: '', version: '' };
  const target = host.resolve(driverPath);
  const version = host.trimmed(join(driverPath, 'module', 'version'));
  return { driver: target === undefined ? '' : basename(target), version: version ?? host.uname.release };
}

/** Current and maximum SR-IOV virtual functions, when the device supports SR-IOV. */
export function sriovCounts(host: Host, devicePath: string): { current_vfs: number; maximum_vfs: number } | undefined {
  if (!host.exists(join(devicePath, 'sriov_numvfs'))) return undefined;
  return { current_vfs: host.uint(join(devicePath, 'sriov_numvfs')) ?? 0, maximum_vfs: host.uint(join(devicePath, 'sriov_totalvfs')) ?? 0 };
}

/** The PCI address of a virtual function's parent (physical function), undefined for anything else. */
export function physicalFunction(host: Host, devicePath: string): string | undefined {
  const link = join(devicePath, 'physfn');
  if (!host.exists(link)) return undefined;
  const target = host.resolve(link);
  return target === undefined ? undefined : basename(target);
}

export interface Candidate {
  devicePath: string;
  /** "" for a device not on PCI. */
  pciAddr: string;
}

/**
 * The devices behind a class directory (/sys/class/drm, /sys/class/net), one per PCI
 * function, followed by the PCI functions of the class code (e.g. 0x03 display) that no
 * entry claimed, such as cards bound to vfio-pci.
 */
export function classDevices(host: Host, classDir: string, accept: (name: string) => boolean, pciClass: string): Candidate[] {
  const known = new Set<string>();
  const out: Candidate[] = [];
  for (const name of host.list(classDir)) {
    if (!accept(name)) continue;
    const devicePath = join(classDir, name, 'device');
    const pciAddr = pciAddress(host, devicePath);
    if (pciAddr !== '') {
      if (known.has(pciAddr)) continue;
      known.add(pciAddr);
    }
    out.push({ devicePath, pciAddr });
  }
  for (const name of host.list(sysBusPci)) {
    if (!known.has(name) && (host.text(join(sysBusPci, name, 'class')) ?? '').startsWith(pciClass)) out.push({ devicePath: join(sysBusPci, name), pciAddr: name });
  }
  return out;
}

interface SriovCard<T> {
  pci_address?: string;
  sriov?: { vfs: T[] | null };
}

/** Hangs virtual functions under their physical function's card; the total counts both. */
export function attachVfs<T extends SriovCard<T>>(read: { card: T; parent: string | undefined }[]): { cards: T[]; total: number } {
  const cards: T[] = [];
  const vfs = new Map<string, T[]>();
  for (const { card, parent } of read) {
    if (parent === undefined) cards.push(card);
    else vfs.set(parent, [...(vfs.get(parent) ?? []), card]);
  }
  let total = 0;
  for (const card of cards) {
    if (card.sriov) {
      // null, not [], when the function has none: LXD's nil slice.
      card.sriov.vfs = vfs.get(card.pci_address ?? '') ?? null;
      total += card.sriov.vfs?.length ?? 0;
    }
    total++;
  }
  return { cards, total };
}
