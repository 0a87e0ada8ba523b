// What kind of system lodged runs on (physical, virtual-machine, container), from files, where LXD asks systemd-detect-virt.
import type { Host } from './host.js';

/** DMI vendor/product prefixes that only hypervisors report (the list systemd-detect-virt checks). */
const vmDmiPrefixes = ['KVM', 'OpenStack', 'KubeVirt', 'Amazon EC2', 'QEMU', 'VMware', 'VMW', 'innotek GmbH', 'VirtualBox', 'Xen', 'Bochs', 'Parallels', 'BHYVE', 'Hyper-V', 'Apple Virtualization', 'Google Compute Engine'];
const dmiFiles = ['product_name', 'sys_vendor', 'board_vendor', 'bios_vendor', 'product_version'];

function isContainer(host: Host): boolean {
  // OpenVZ: /proc/vz without /proc/bc (which only the host has).
  if (host.exists('/proc/vz') && !host.exists('/proc/bc')) return true;
  if (/Microsoft|WSL/.test(host.text('/proc/sys/kernel/osrelease') ?? '')) return true;
  for (const f of ['/run/host/container-manager', '/run/systemd/container']) if ((host.trimmed(f) ?? '') !== '') return true;
  const environ = host.text('/proc/1/environ') ?? '';
  if (environ.split('\0').some((v) => /^container=.+/.test(v))) return true;
  return host.exists('/run/.containerenv') || host.exists('/.dockerenv');
}

function isVirtualMachine(host: Host): boolean {
  for (const f of dmiFiles) {
    const v = host.trimmed(`/sys/class/dmi/id/${f}`) ?? '';
    if (vmDmiPrefixes.some((p) => v.startsWith(p))) return true;
    if (f === 'sys_vendor' && v === 'Microsoft Corporation' && (host.trimmed('/sys/class/dmi/id/product_name') ?? '') === 'Virtual Machine') return true;
  }
  // The CPUID hypervisor bit, as the kernel lists it.
  const cpuinfo = host.text('/proc/cpuinfo') ?? '';
  if (/^flags\s*:.*\bhypervisor\b/m.test(cpuinfo) || /^vendor_id\s*:\s*User Mode Linux/m.test(cpuinfo)) return true;
  if (host.exists('/sys/hypervisor/type') || host.exists('/proc/device-tree/hypervisor/compatible')) return true;
  return /VM00 Control Program/.test(host.text('/proc/sysinfo') ?? '');
}

const cache = new Map<string, string>();

/** Checked once per root, as LXD caches it: none of this changes while the daemon runs. */
export function systemType(host: Host): string {
  let type = cache.get(host.root);
  if (type === undefined) {
    type = isContainer(host) ? 'container' : isVirtualMachine(host) ? 'virtual-machine' : 'physical';
    cache.set(host.root, type);
  }
  return type;
}
