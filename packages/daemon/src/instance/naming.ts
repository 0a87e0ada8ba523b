// Names on the host for an instance: LXC container name, storage volume, cgroups and log directory.
export function lxcName(project: string, name: string): string {
  return `${project}_${name}`;
}

/** Scope of an instance's snapshot records (and the directory of its snapshot volumes). */
export function snapshotScope(project: string, name: string): string {
  return `${project}_${name}`;
}

/** Volume name of one snapshot, under containers-snapshots/. */
export function snapshotVolume(project: string, name: string, snapshot: string): string {
  return `${snapshotScope(project, name)}/${snapshot}`;
}

export interface HostNames {
  lxc: string;
  volume: string;
  cgroupPayload: string;
  cgroupMonitor: string;
}

/** daemonId keeps the cgroups of two daemons apart even when their containers share a name. */
export function hostNames(daemonId: string, project: string, name: string): HostNames {
  const lxc = lxcName(project, name);
  return { lxc, volume: lxc, cgroupPayload: `lodge-${daemonId}.payload.${lxc}`, cgroupMonitor: `lodge-${daemonId}.monitor.${lxc}` };
}
