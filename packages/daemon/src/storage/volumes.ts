// Storage volumes of a pool, as LXD lists them: instance volumes (and their snapshots) and image volumes.
import { readdir } from 'node:fs/promises';
import type { StorageVolume } from '@lodge/api';
import { ApiError, zeroTime } from '@lodge/api';
import { globalScope, type Store } from '../db/store.js';
import type { PoolService } from './pools.js';

export interface VolumeRef {
  type: 'container' | 'image' | 'custom';
  name: string;
  project: string;
  url: string;
}

/** Volumes of a pool: instances from their records (pool fixed at creation), images from the unpacked copies. */
export async function poolVolumes(store: Store, pools: PoolService, pool: string): Promise<StorageVolume[]> {
  await store.read((tx) => tx.pools.must(globalScope, pool));
  const instances = await store.read(async (tx) => (await tx.instances.all()).filter((i) => i.value.pool === pool));
  const images = (await readdir(await pools.mountPath(pool, 'images', '')).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{64}$/.test(n));
  const vol = (name: string, type: string, project: string, usedBy: string[], created = zeroTime): StorageVolume => ({
    config: {},
    description: '',
    name,
    type,
    used_by: usedBy,
    location: 'none',
    content_type: 'filesystem',
    project,
    created_at: created,
  });
  return [
    ...instances.map((i) => vol(i.name, 'container', i.scope, [`/1.0/instances/${encodeURIComponent(i.name)}${i.scope === 'default' ? '' : `?project=${i.scope}`}`], i.value.created_at)),
    ...images.map((fp) => vol(fp, 'image', 'default', [`/1.0/images/${fp}`])),
  ];
}

export async function poolVolume(store: Store, pools: PoolService, pool: string, type: string, name: string, project: string): Promise<StorageVolume> {
  const all = await poolVolumes(store, pools, pool);
  const wanted = type === 'container' || type === 'virtual-machine' ? 'container' : type;
  const v = all.find((x) => x.type === wanted && x.name === name && (x.type === 'image' || x.project === project));
  if (!v) throw ApiError.notFound('Storage volume not found');
  return v;
}
