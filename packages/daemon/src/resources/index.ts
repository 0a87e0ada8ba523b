// The host hardware inventory behind GET /1.0/resources, read from /proc and /sys on each call.
import type { Resources } from '@lodge/api';
import { readCpu } from './cpu.js';
import { readGpu } from './gpu.js';
import { Host } from './host.js';
import { readMemory } from './memory.js';
import { readNetwork } from './network.js';
import { readPci } from './pci.js';
import { readStorage } from './storage.js';
import { readSystem } from './system.js';
import { readUsb } from './usb.js';

export { Host } from './host.js';

/**
 * Each section degrades to empty values on its own rather than failing the request. The
 * sections with reads that can wait (link state, disk nodes, VPD) run concurrently.
 */
export async function readResources(host: Host = new Host()): Promise<Resources> {
  const [network, storage, pci] = await Promise.all([readNetwork(host), readStorage(host), readPci(host)]);
  return { cpu: readCpu(host), memory: readMemory(host), gpu: readGpu(host), network, storage, usb: readUsb(host), pci, system: readSystem(host) };
}
