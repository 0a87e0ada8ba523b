// Profile expansion: profiles in order, then the instance's own config and devices, last one wins.
import type { Devices } from '@lodge/api';

export interface Expandable {
  config: Record<string, string>;
  devices: Devices;
}

export function expand(profiles: Expandable[], own: Expandable): Expandable {
  const config: Record<string, string> = {};
  const devices: Devices = {};
  for (const p of [...profiles, own]) {
    Object.assign(config, p.config);
    for (const [name, dev] of Object.entries(p.devices)) devices[name] = { ...dev };
  }
  return { config, devices };
}

/** The root disk device (path "/") and its name, if any. */
export function rootDisk(devices: Devices): { name: string; device: Record<string, string> } | undefined {
  for (const [name, device] of Object.entries(devices)) if (device.type === 'disk' && device.path === '/') return { name, device };
  return undefined;
}
