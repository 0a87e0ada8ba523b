// Helpers the instance commands share: name checks, the writable part of an instance, waiting with progress.
import type { Instance, InstancePut } from '@lodge/api';
import type { RemoteOperation } from '@lodge/client';
import type { Context, Resource } from '../context.js';
import { Progress } from '../progress.js';

export async function instanceRef(ctx: Context, raw: string, missing = 'Missing instance name'): Promise<Resource> {
  const r = await ctx.resolve(raw);
  if (r.name === '') throw new Error(missing);
  return r;
}

/** api.Instance.Writable() (also the InstancePut part of a snapshot, for copies). */
export function writable(i: Partial<InstancePut> & Pick<Instance, 'architecture'>): InstancePut {
  const put: InstancePut = {
    architecture: i.architecture ?? '',
    config: { ...(i.config ?? {}) },
    devices: structuredClone(i.devices ?? {}),
    ephemeral: i.ephemeral === true,
    profiles: [...(i.profiles ?? [])],
    stateful: i.stateful === true,
    description: i.description ?? '',
  };
  return put;
}

/** Waits for an operation, drawing its `*_progress` metadata on a terminal (lxc's ProgressRenderer). */
export async function waitWithProgress(ctx: Context, op: RemoteOperation, format = ''): Promise<void> {
  const progress = new Progress(ctx.io.stdout, format || '%s', ctx.quiet);
  op.onUpdate((o) => progress.updateOp(o));
  try {
    await op.wait();
  } finally {
    progress.done('');
  }
}

/** Read, change, write back with If-Match, and wait for the "Updating instance" operation. */
export async function updateInstance(r: Resource, change: (i: Instance) => InstancePut | void): Promise<void> {
  const { instance, etag } = await r.client.instances.get(r.name);
  const put = change(instance) ?? writable(instance);
  const op = await r.client.instances.update(r.name, put, etag);
  await op.wait();
}

/** "<remote>:<name>" only when the remote was given, as lxc prints names back. */
export function displayName(raw: string, name: string): string {
  return raw.includes(':') ? raw : name;
}
