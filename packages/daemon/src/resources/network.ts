// Network card inventory: interfaces backed by a device, then other network-class PCI devices (as LXD's resources.GetNetwork).
import type { ResourcesNetwork, ResourcesNetworkCard, ResourcesNetworkCardPort, ResourcesNetworkCardPortInfiniband } from '@lodge/api';
import { join } from 'node:path';
import { attachVfs, classDevices, deviceIds, driverInfo, numaNode, physicalFunction, sriovCounts, usbAddress } from './device.js';
import type { Host } from './host.js';
import { loadPciIds, pciNames, type PciIds } from './ids.js';
import { omitEmpty } from './omit.js';

export const sysClassNet = '/sys/class/net';

/** ARPHRD_* link types LXD names; any other type reports an empty protocol, as in LXD. */
const protocols: Record<number, string> = { 1: 'ethernet', 19: 'ATM', 32: 'infiniband' };

/** The umad/issm device of this port (ports count from 1 there) and the card's single verbs device. */
function readInfiniband(host: Host, devicePath: string, port: number): ResourcesNetworkCardPortInfiniband | 'skip' {
  const ib: ResourcesNetworkCardPortInfiniband = {};
  const mad = join(devicePath, 'infiniband_mad');
  for (const name of host.list(mad)) {
    if (host.uint(join(mad, name, 'port')) !== port + 1) continue;
    const dev = host.trimmed(join(mad, name, 'dev'));
    if (dev === undefined) continue;
    if (name.startsWith('issm')) Object.assign(ib, { issm_name: name, issm_device: dev });
    if (name.startsWith('umad')) Object.assign(ib, { mad_name: name, mad_device: dev });
  }
  const verbs = host.list(join(devicePath, 'infiniband_verbs'));
  const [verb] = verbs;
  if (verbs.length === 1 && verb !== undefined) {
    ib.verb_name = verb;
    const dev = host.trimmed(join(devicePath, 'infiniband_verbs', verb, 'dev'));
    // LXD drops the whole port when the verbs device has no dev node.
    if (dev === undefined) return 'skip';
    ib.verb_device = dev;
  }
  return omitEmpty(ib, ['issm_name', 'issm_device', 'mad_name', 'mad_device', 'verb_name', 'verb_device']);
}

/**
 * Link state from sysfs, where LXD asks the ethtool ioctls: carrier, speed and duplex are
 * the same kernel values. Port type, transceiver, autonegotiation, supported modes and the
 * firmware version exist only behind ethtool, so they stay unset. These attributes take
 * RTNL in the kernel, hence the async reads.
 */
async function addLinkInfo(host: Host, dir: string, port: ResourcesNetworkCardPort): Promise<void> {
  // carrier is unreadable while the interface is down: no link then, as ETHTOOL_GLINK says.
  port.link_detected = (await host.slowText(join(dir, 'carrier')))?.trim() === '1';
  if (!port.link_detected) return;
  const [duplex, speed] = await Promise.all([host.slowText(join(dir, 'duplex')), host.slowText(join(dir, 'speed'))]);
  if (duplex?.trim() === 'half' || duplex?.trim() === 'full') port.link_duplex = duplex.trim();
  // speed is signed here: -1 is SPEED_UNKNOWN.
  const mbits = Number(speed?.trim());
  if (Number.isInteger(mbits) && mbits > 0 && mbits < 0xffffffff) port.link_speed = mbits;
}

async function readPort(host: Host, devicePath: string, iface: string, isVf: boolean): Promise<ResourcesNetworkCardPort | undefined> {
  const dir = join(devicePath, 'net', iface);
  const type = host.exists(join(dir, 'type')) ? host.uint(join(dir, 'type')) : undefined;
  const port: ResourcesNetworkCardPort = {
    id: iface,
    address: host.trimmed(join(dir, 'address')) ?? '',
    port: host.uint(join(dir, 'dev_port')) ?? 0,
    protocol: type === undefined ? '' : (protocols[type] ?? ''),
    auto_negotiation: false,
    link_detected: false,
  };
  if (port.protocol === 'infiniband' && host.exists(join(devicePath, 'infiniband'))) {
    const ib = readInfiniband(host, devicePath, port.port);
    if (ib === 'skip') return undefined;
    port.infiniband = ib;
  }
  // Physical link details mean nothing for a virtual function (LXD skips ethtool there too).
  if (!isVf) await addLinkInfo(host, dir, port);
  const ordered: ResourcesNetworkCardPort = {
    id: port.id,
    address: port.address,
    port: port.port,
    protocol: port.protocol,
    auto_negotiation: port.auto_negotiation,
    link_detected: port.link_detected,
    link_speed: port.link_speed,
    link_duplex: port.link_duplex,
    infiniband: port.infiniband,
  };
  return omitEmpty(ordered, ['address', 'link_speed', 'link_duplex', 'infiniband']);
}

async function readCard(host: Host, devicePath: string, pciAddr: string, db: PciIds | undefined): Promise<{ card: ResourcesNetworkCard; parent: string | undefined }> {
  const { vendorId, productId } = deviceIds(host, devicePath);
  const names = pciNames(db, vendorId, productId);
  const { driver, version } = driverInfo(host, devicePath);
  const sriov = sriovCounts(host, devicePath);
  const parent = physicalFunction(host, devicePath);
  const netDir = join(devicePath, 'net');
  const ports = host.exists(netDir) ? await Promise.all(host.list(netDir).map((iface) => readPort(host, devicePath, iface, parent !== undefined))) : [];
  const card: ResourcesNetworkCard = {
    driver,
    driver_version: version,
    ports: ports.filter((p): p is ResourcesNetworkCardPort => p !== undefined),
    sriov: sriov ? { ...sriov, vfs: null } : undefined,
    numa_node: numaNode(host, devicePath),
    pci_address: pciAddr,
    vendor: names.vendor,
    vendor_id: vendorId,
    product: names.product,
    product_id: productId,
    usb_address: usbAddress(host, devicePath),
  };
  const keys = ['driver', 'driver_version', 'ports', 'sriov', 'pci_address', 'vendor', 'vendor_id', 'product', 'product_id', 'usb_address'] as const;
  return { card: omitEmpty(card, keys), parent };
}

export async function readNetwork(host: Host): Promise<ResourcesNetwork> {
  const db = loadPciIds(host);
  // Interfaces with a "device" link are physical ports (or VFs), then network controllers without one.
  const candidates = classDevices(host, sysClassNet, (name) => host.exists(join(sysClassNet, name, 'device')), '0x02');
  return attachVfs(await Promise.all(candidates.map((c) => readCard(host, c.devicePath, c.pciAddr, db))));
}
