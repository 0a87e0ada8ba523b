// Instance creation: resolve the source image, validate, record, clone the image volume; undo all on failure.
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import type { InstancesPost } from '@lodge/api';
import { ApiError, formatTime, epochTime } from '@lodge/api';
import { validateDevices } from '../config/devices.js';
import { instanceSchema } from '../config/instance.js';
import { validateConfig, withoutEmpty } from '../config/keys.js';
import { validateInstanceName } from '../config/names.js';
import type { ImageRecord, InstanceRecord } from '../db/records.js';
import type { Tx } from '../db/store.js';
import type { LifecycleOptions } from '../events/hub.js';
import { checkPools } from '../profiles/service.js';
import { checkInstanceQuota } from '../projects/state.js';
import { detectCompression } from '../images/compression.js';
import { Reverter } from '../util/reverter.js';
import { seg } from '../util/url.js';
import type { InstanceContext } from './context.js';
import { checkDevices } from './devices.js';
import { checkNics } from './nic.js';
import { expand } from './expand.js';
import { chooseIdmap } from './idmap.js';
import { hostNames } from './naming.js';
import { rootPool } from './view.js';

export type Progress = (metadata: Record<string, unknown>) => void;

/** Finds the image by alias, fingerprint (prefix) or properties, in the instance's project. */
export async function resolveSourceImage(ctx: InstanceContext, tx: Tx, project: string, source: NonNullable<InstancesPost['source']>): Promise<ImageRecord> {
  const scope = await ctx.images.scope(tx, project);
  if (source.alias) {
    const alias = await tx.aliases.get(scope, source.alias);
    if (!alias) throw ApiError.notFound(`Image alias "${source.alias}" not found`);
    return ctx.images.resolve(tx, project, alias.target);
  }
  if (source.fingerprint) return ctx.images.resolve(tx, project, source.fingerprint);
  const props = source.properties ?? {};
  if (Object.keys(props).length > 0) {
    const matches = (await tx.images.list(scope)).filter((i) => Object.entries(props).every(([k, v]) => i.properties[k] === v));
    matches.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
    if (matches[0]) return matches[0];
    throw ApiError.notFound('No image matches the requested properties');
  }
  throw ApiError.badRequest('must specify one of alias, fingerprint or properties for init from image');
}

function validateRequest(req: InstancesPost): string {
  const name = validateInstanceName(req.name);
  if (req.type && req.type !== 'container') throw ApiError.badRequest(`Instance type "${req.type}" is not supported (lodge runs containers)`);
  const type = req.source?.type ?? 'none';
  if (type !== 'image' && type !== 'none') throw ApiError.badRequest(`Source type "${type}" is not supported yet`);
  if (req.source?.server) throw ApiError.badRequest('Images from remote servers are not supported yet');
  validateConfig(instanceSchema, req.config);
  validateDevices(req.devices);
  return name;
}

function imageConfig(image: ImageRecord): Record<string, string> {
  const out: Record<string, string> = { 'volatile.base_image': image.fingerprint };
  for (const [k, v] of Object.entries(image.properties)) out[`image.${k}`] = v;
  return out;
}

export interface Created {
  rec: InstanceRecord;
  image?: ImageRecord;
}

/** Validates, records, and builds the volume; returns the new record. Nothing remains on failure. */
export async function createInstance(ctx: InstanceContext, project: string, req: InstancesPost, progress: Progress, lc: LifecycleOptions): Promise<Created> {
  const name = validateRequest(req);
  const revert = new Reverter();
  try {
    const { rec, image, pool } = await ctx.store.tx(async (tx) => {
      if (await tx.instances.exists(project, name)) throw ApiError.conflict(`Instance "${name}" already exists`);
      const quota = await checkInstanceQuota(tx, project);
      if (quota) throw ApiError.badRequest(quota);
      const image = req.source?.type === 'image' ? await resolveSourceImage(ctx, tx, project, req.source) : undefined;
      if (image && image.type !== 'container') throw ApiError.badRequest('Virtual machine images are not supported (lodge runs containers)');
      const profiles = req.profiles ?? ['default'];
      const profileRecs = await ctx.profiles.records(tx, project, profiles);
      const config: Record<string, string> = { ...(image ? imageConfig(image) : {}), ...withoutEmpty(req.config) };
      const devices = req.devices ?? {};
      const expanded = expand(profileRecs, { config, devices });
      validateConfig(instanceSchema, expanded.config);
      validateDevices(expanded.devices);
      await checkPools(tx, expanded.devices);
      await checkDevices(expanded.devices);
      await checkNics(ctx, tx, expanded.devices, { project, name });
      const pool = rootPool({ expandedDevices: expanded.devices });
      const idmap = await chooseIdmap(tx, ctx.subids, { project, name }, expanded.config);
      const now = formatTime(new Date());
      const rec: InstanceRecord = {
        name,
        type: 'container',
        architecture: image?.architecture ?? req.architecture ?? ctx.host.architecture,
        description: req.description ?? '',
        config: {
          ...config,
          'volatile.uuid': randomUUID(),
          'volatile.idmap.base': String(idmap.base),
          'volatile.idmap.next': JSON.stringify(idmap.map),
          'volatile.last_state.idmap': '[]',
          ...(image ? { 'volatile.apply_template': 'create' } : {}),
        },
        devices,
        profiles,
        ephemeral: req.ephemeral ?? false,
        stateful: false,
        created_at: now,
        last_used_at: epochTime,
        pool,
        creating: true,
      };
      await tx.instances.create(project, name, rec);
      return { rec, image, pool };
    });
    revert.add(() => ctx.store.tx(async (tx) => tx.instances.delete(project, name)));
    const names = hostNames(ctx.daemonId, project, name);
    await mkdir(ctx.paths.instanceLogs(names.lxc), { recursive: true, mode: 0o700 });
    revert.add(() => rm(ctx.paths.instanceLogs(names.lxc), { recursive: true, force: true }));
    const from = image ? await unpackImage(ctx, pool, image, progress) : undefined;
    revert.add(() => ctx.pools.deleteVolume(pool, 'containers', names.volume));
    await ctx.pools.createInstanceVolume(pool, names.volume, from);
    await ctx.store.tx(async (tx) => {
      const cur = await tx.instances.must(project, name);
      delete cur.creating;
      tx.instances.put(project, name, cur);
    });
    revert.success();
    delete rec.creating;
    if (image) await ctx.images.touch(project, image.fingerprint);
    ctx.events.lifecycle(project, 'instance-created', `/1.0/instances/${seg(name)}`, { ...lc, context: { 'storage-pool': pool, type: 'container' } });
    return { rec, image };
  } finally {
    await revert.run((e) => ctx.log.warn('Failed to undo part of an instance creation', { err: String(e) }));
  }
}

async function unpackImage(ctx: InstanceContext, pool: string, image: ImageRecord, progress: Progress) {
  progress({ create_instance_from_image_unpack_progress: 'Unpack: 0%' });
  const vol = await ctx.pools.ensureImageVolume(pool, image.fingerprint, async () => {
    const meta = ctx.paths.image(image.fingerprint);
    if (!image.split) return { meta };
    const rootfs = ctx.paths.imageRootfs(image.fingerprint);
    return { meta, rootfs, rootfsIsSquashfs: (await detectCompression(rootfs))?.squashfs ?? false };
  });
  progress({ create_instance_from_image_unpack_progress: 'Unpack: 100%' });
  return vol;
}
