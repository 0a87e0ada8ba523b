// GPU inventory: DRM cards, then any other display-class PCI device (as LXD's resources.GetGPU).
import type { ResourcesGPU, ResourcesGPUCard, ResourcesGPUCardDRM, ResourcesGPUCardMdev, ResourcesGPUCardNvidia } from '@lodge/api';
import { join } from 'node:path';
import { attachVfs, classDevices, deviceIds, driverInfo, numaNode, physicalFunction, sriovCounts, usbAddress } from './device.js';
import type { Host } from './host.js';
import { loadPciIds, pciNames, type PciIds } from './ids.js';
import { omitEmpty } from './omit.js';

export const sysClassDrm = '/sys/class/drm';
export const procDriverNvidia = '/proc/driver/nvidia/gpus';

/**
 * NVIDIA cards from the proprietary driver's /proc files, keyed by PCI address. (LXD first
 * asks nvidia-container-cli, which adds CUDA/NVRM versions, UUID and architecture; lodged
 * runs no external program for an inventory.)
 */
export function readNvidiaCards(host: Host): Map<string, ResourcesGPUCardNvidia> {
  const cards = new Map<string, ResourcesGPUCardNvidia>();
  for (const address of host.list(procDriverNvidia)) {
    const text = host.text(join(procDriverNvidia, address, 'information'));
    if (text === undefined) continue;
    const card: ResourcesGPUCardNvidia = { brand: '', model: '', card_name: '', card_device: '' };
    for (const line of text.split('\n')) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const key = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (key === 'Model') {
        card.model = value;
        card.brand = value.split(' ')[0] ?? '';
      } else if (key === 'Device Minor') {
        card.card_name = `nvidia${value}`;
        card.card_device = `195:${value}`;
      }
    }
    cards.set(address, card);
  }
  return cards;
}

function readDrm(host: Host, drmPath: string): ResourcesGPUCardDRM {
  const drm: ResourcesGPUCardDRM = { id: 0, card_name: '', card_device: '' };
  for (const name of host.list(drmPath)) {
    const dev = (): string => host.trimmed(join(drmPath, name, 'dev')) ?? '';
    const card = /^card(\d+)$/.exec(name);
    if (card) Object.assign(drm, { id: Number(card[1]), card_name: name, card_device: dev() });
    else if (name.startsWith('controlD')) Object.assign(drm, { control_name: name, control_device: dev() });
    else if (name.startsWith('renderD')) Object.assign(drm, { render_name: name, render_device: dev() });
  }
  return omitEmpty(drm, ['control_name', 'control_device', 'render_name', 'render_device']);
}

/** Mediated device profiles (vGPU types) by profile id; undefined when the card offers none. */
function readMdev(host: Host, mdevPath: string): Record<string, ResourcesGPUCardMdev> | undefined {
  const out: Record<string, ResourcesGPUCardMdev> = {};
  for (const name of host.list(mdevPath)) {
    const dir = join(mdevPath, name);
    const devicesDir = join(dir, 'devices');
    const profile: ResourcesGPUCardMdev = {
      api: host.trimmed(join(dir, 'device_api')) ?? '',
      available: host.uint(join(dir, 'available_instances')) ?? 0,
      name: host.trimmed(join(dir, 'name')) ?? '',
      description: host.trimmed(join(dir, 'description')) ?? '',
      devices: host.exists(devicesDir) ? host.list(devicesDir) : null,
    };
    out[name] = omitEmpty(profile, ['name', 'description']);
  }
  return Object.keys(out).length ? out : undefined;
}

function addDeviceInfo(host: Host, devicePath: string, nvidia: Map<string, ResourcesGPUCardNvidia>, db: PciIds | undefined, card: ResourcesGPUCard): void {
  // A DRM entry can sit on a child of the real device; the one with ids is further down.
  if (host.isDir(join(devicePath, 'device'))) return addDeviceInfo(host, join(devicePath, 'device'), nvidia, db, card);
  const sriov = sriovCounts(host, devicePath);
  if (sriov) card.sriov = { ...sriov, vfs: null };
  card.numa_node = numaNode(host, devicePath);
  if (host.exists(join(devicePath, 'device', 'busnum'))) {
    card.usb_address = usbAddress(host, join(devicePath, 'device'));
  } else {
    const { vendorId, productId } = deviceIds(host, devicePath);
    const names = pciNames(db, vendorId, productId);
    Object.assign(card, { vendor_id: vendorId, product_id: productId, vendor: names.vendor, product: names.product });
  }
  const { driver, version } = driverInfo(host, devicePath);
  card.driver = driver;
  card.driver_version = version;
  if (driver === 'nvidia' && card.pci_address) {
    const info = nvidia.get(card.pci_address) ?? nvidia.get(`0000${card.pci_address}`);
    if (info) card.nvidia = info;
  }
  if (host.exists(join(devicePath, 'drm'))) card.drm = readDrm(host, join(devicePath, 'drm'));
  if (host.exists(join(devicePath, 'mdev_supported_types'))) card.mdev = readMdev(host, join(devicePath, 'mdev_supported_types'));
}

/** In the key order of LXD's struct, so the JSON reads the same side by side. */
function ordered(card: ResourcesGPUCard): ResourcesGPUCard {
  const out: ResourcesGPUCard = {
    driver: card.driver,
    driver_version: card.driver_version,
    drm: card.drm,
    sriov: card.sriov,
    nvidia: card.nvidia,
    mdev: card.mdev,
    numa_node: card.numa_node,
    pci_address: card.pci_address,
    vendor: card.vendor,
    vendor_id: card.vendor_id,
    product: card.product,
    product_id: card.product_id,
    usb_address: card.usb_address,
  };
  return omitEmpty(out, ['driver', 'driver_version', 'drm', 'sriov', 'nvidia', 'mdev', 'pci_address', 'vendor', 'vendor_id', 'product', 'product_id', 'usb_address']);
}

export function readGpu(host: Host): ResourcesGPU {
  const db = loadPciIds(host);
  const nvidia = readNvidiaCards(host);
  // DRM "cardN" entries with a dev node (not connectors such as card0-HDMI-A-1), then display controllers.
  const candidates = classDevices(host, sysClassDrm, (name) => name.startsWith('card') && host.exists(join(sysClassDrm, name, 'dev')), '0x03');
  const read = candidates.map(({ devicePath, pciAddr }) => {
    const card: ResourcesGPUCard = { numa_node: 0, pci_address: pciAddr };
    addDeviceInfo(host, devicePath, nvidia, db, card);
    return { card: ordered(card), parent: physicalFunction(host, devicePath) };
  });
  return attachVfs(read);
}
