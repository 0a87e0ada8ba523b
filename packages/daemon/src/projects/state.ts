// Project resource usage against its limits (GET /1.0/projects/{name}/state, `lxc project info`).
import type { ProjectState } from '@lodge/api';
import { parseByteSize } from '../config/units.js';
import type { Tx } from '../db/store.js';
import { globalScope } from '../db/store.js';

function limit(config: Record<string, string>, key: string, size = false): number {
  const v = config[key];
  if (!v) return -1;
  return size ? parseByteSize(v) : Number(v);
}

export async function projectState(tx: Tx, project: string): Promise<ProjectState> {
  const rec = await tx.projects.must(globalScope, project);
  const instances = await tx.instances.list(project);
  const sum = (key: string, parse: (v: string) => number): number =>
    instances.reduce((n, i) => n + (i.config[key] ? parse(i.config[key]!) : 0), 0);
  return {
    resources: {
      containers: { Limit: limit(rec.config, 'limits.containers'), Usage: instances.length },
      'virtual-machines': { Limit: limit(rec.config, 'limits.virtual-machines'), Usage: 0 },
      instances: { Limit: limit(rec.config, 'limits.instances'), Usage: instances.length },
      cpu: { Limit: limit(rec.config, 'limits.cpu'), Usage: sum('limits.cpu', (v) => (/^\d+$/.test(v) ? Number(v) : 0)) },
      memory: { Limit: limit(rec.config, 'limits.memory', true), Usage: sum('limits.memory', (v) => (v.endsWith('%') ? 0 : parseByteSize(v))) },
      processes: { Limit: limit(rec.config, 'limits.processes'), Usage: sum('limits.processes', Number) },
      disk: { Limit: limit(rec.config, 'limits.disk', true), Usage: 0 },
      networks: { Limit: limit(rec.config, 'limits.networks'), Usage: 0 },
    },
  };
}

/** limits.instances / limits.containers, checked before an instance is created. */
export async function checkInstanceQuota(tx: Tx, project: string): Promise<string | undefined> {
  const rec = await tx.projects.must(globalScope, project);
  const count = (await tx.instances.names(project)).length;
  for (const key of ['limits.instances', 'limits.containers']) {
    const max = rec.config[key];
    if (max !== undefined && count >= Number(max)) return `Reached maximum number of instances in project "${project}"`;
  }
  return undefined;
}
