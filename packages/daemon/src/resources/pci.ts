// PCI device inventory from /sys/bus/pci/devices: ids, names, driver, IOMMU group, VPD (as LXD's resources.GetPCI).
import type { ResourcesPCI, ResourcesPCIDevice } from '@lodge/api';
import { basename, join } from 'node:path';
import { deviceIds, driverInfo, numaNode, sysBusPci } from './device.js';
import type { Host } from './host.js';
import { loadPciIds, pciNames, type PciIds } from './ids.js';
import { parseVpd } from './vpd.js';

async function readDevice(host: Host, address: string, db: PciIds | undefined): Promise<ResourcesPCIDevice> {
  const path = join(sysBusPci, address);
  const { driver, version } = driverInfo(host, path);
  const { vendorId, productId } = deviceIds(host, path);
  const names = pciNames(db, vendorId, productId);
  const group = host.link(join(path, 'iommu_group'));
  // VPD comes from the device itself and can take long; a device without the capability reads as empty.
  const vpd = await host.slowBuffer(join(path, 'vpd'));
  return {
    driver,
    driver_version: version,
    numa_node: numaNode(host, path),
    pci_address: address,
    vendor: names.vendor,
    vendor_id: vendorId,
    product: names.product,
    product_id: productId,
    iommu_group: group !== undefined && /^\d+$/.test(basename(group)) ? Number(basename(group)) : 0,
    vpd: vpd ? parseVpd(vpd) : {},
  };
}

export async function readPci(host: Host): Promise<ResourcesPCI> {
  const db = loadPciIds(host);
  const devices = await Promise.all(host.list(sysBusPci).map((a) => readDevice(host, a, db)));
  return { devices, total: devices.length };
}
