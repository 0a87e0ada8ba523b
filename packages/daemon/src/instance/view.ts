// InstanceView: an instance record with its project, host names and expanded config, loaded together.
import type { Devices, Instance } from '@lodge/api';
import { ApiError, StatusCode } from '@lodge/api';
import type { InstanceRecord } from '../db/records.js';
import type { Tx } from '../db/store.js';
import type { InstanceContext } from './context.js';
import { expand, rootDisk } from './expand.js';
import { hostNames, type HostNames } from './naming.js';

export interface InstanceView {
  project: string;
  rec: InstanceRecord;
  names: HostNames;
  expandedConfig: Record<string, string>;
  expandedDevices: Devices;
}

export async function loadView(ctx: InstanceContext, tx: Tx, project: string, name: string): Promise<InstanceView> {
  const rec = await tx.instances.get(project, name);
  if (!rec) throw ApiError.notFound('Instance not found');
  return viewOf(ctx, tx, project, rec);
}

export async function viewOf(ctx: InstanceContext, tx: Tx, project: string, rec: InstanceRecord): Promise<InstanceView> {
  const profiles = await ctx.profiles.records(tx, project, rec.profiles);
  const e = expand(profiles, rec);
  return { project, rec, names: hostNames(ctx.daemonId, project, rec.name), expandedConfig: e.config, expandedDevices: e.devices };
}

/** The pool holding the root disk. */
export function rootPool(view: Pick<InstanceView, 'expandedDevices'>): string {
  const root = rootDisk(view.expandedDevices);
  if (!root?.device.pool) throw ApiError.badRequest('No root device could be found');
  return root.device.pool;
}

export const statusCodes: Record<string, number> = {
  Running: StatusCode.Running,
  Stopped: StatusCode.Stopped,
  Frozen: StatusCode.Frozen,
  Error: StatusCode.Error,
};

export function toApi(view: InstanceView, status: string): Instance {
  const r = view.rec;
  return {
    architecture: r.architecture,
    config: r.config,
    devices: r.devices,
    ephemeral: r.ephemeral,
    profiles: r.profiles,
    stateful: r.stateful,
    description: r.description,
    created_at: r.created_at,
    expanded_config: view.expandedConfig,
    expanded_devices: view.expandedDevices,
    name: r.name,
    status,
    status_code: statusCodes[status] ?? StatusCode.Error,
    last_used_at: r.last_used_at,
    location: 'none',
    type: r.type,
    project: view.project,
  };
}
