// Instance creation: resolve the source image, validate, record, clone the image volume; undo all on failure.
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import type { Devices, InstancesPost } from '@lodge/api';
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
import { deleteAllSnapshots } from './snapshots.js';
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
  if (!['image', 'none', 'copy', 'migration'].includes(type)) throw ApiError.badRequest(`Source type "${type}" is not supported yet`);
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

/** What the source contributes: defaults for the new record and how to fill its volume. */
export interface SourcePlan {
  config: Record<string, string>;
  devices?: Devices;
  profiles?: string[];
  architecture?: string;
  ephemeral?: boolean;
  description?: string;
  /** volatile.apply_template for the first start ("create" for images, "copy" for copies). */
  template?: string;
  image?: ImageRecord;
  /** Creates the new instance's root volume. */
  fill(pool: string, volume: string, progress: Progress): Promise<void>;
  /** Runs once the instance exists (copies of snapshots); undone with the instance on failure. */
  after?(project: string, name: string, pool: string): Promise<void>;
}

export type SourcePlanner = (tx: Tx, project: string, req: InstancesPost) => Promise<SourcePlan>;

export interface Created {
  rec: InstanceRecord;
  image?: ImageRecord;
}

function imagePlan(ctx: InstanceContext): SourcePlanner {
  return async (tx, project, req) => {
    const image = await resolveSourceImage(ctx, tx, project, req.source!);
    if (image.type !== 'container') throw ApiError.badRequest('Virtual machine images are not supported (lodge runs containers)');
    return {
      config: imageConfig(image),
      architecture: image.architecture,
      template: 'create',
      image,
      fill: async (pool, volume, progress) => ctx.pools.createInstanceVolume(pool, volume, await unpackImage(ctx, pool, image, progress)),
    };
  };
}

const emptyPlan = (ctx: InstanceContext): SourcePlanner => async () => ({ config: {}, fill: (pool, volume) => ctx.pools.createInstanceVolume(pool, volume) });

/** Validates, records, and builds the volume; returns the new record. Nothing remains on failure. */
export async function createInstance(
  ctx: InstanceContext,
  project: string,
  req: InstancesPost,
  progress: Progress,
  lc: LifecycleOptions,
  planners: Record<string, SourcePlanner> = {},
): Promise<Created> {
  const name = validateRequest(req);
  const type = req.source?.type ?? 'none';
  const planner = planners[type] ?? (type === 'image' ? imagePlan(ctx) : emptyPlan(ctx));
  const revert = new Reverter();
  try {
    const { rec, plan, pool } = await ctx.store.tx(async (tx) => {
      if (await tx.instances.exists(project, name)) throw ApiError.conflict(`Instance "${name}" already exists`);
      const quota = await checkInstanceQuota(tx, project);
      if (quota) throw ApiError.badRequest(quota);
      const plan = await planner(tx, project, req);
      const profiles = req.profiles ?? plan.profiles ?? ['default'];
      const profileRecs = await ctx.profiles.records(tx, project, profiles);
      const config: Record<string, string> = { ...plan.config, ...withoutEmpty(req.config) };
      const devices = req.devices ?? plan.devices ?? {};
      const expanded = expand(profileRecs, { config, devices });
      validateConfig(instanceSchema, expanded.config);
      validateDevices(expanded.devices);
      await checkPools(tx, expanded.devices);
      await checkDevices(expanded.devices);
      await checkNics(ctx, tx, expanded.devices, project, { name });
      const pool = rootPool({ expandedDevices: expanded.devices });
      const idmap = await chooseIdmap(tx, ctx.subids, { project, name }, expanded.config);
      const rec: InstanceRecord = {
        name,
        type: 'container',
        architecture: req.architecture || plan.architecture || ctx.host.architecture,
        description: req.description ?? plan.description ?? '',
        config: {
          ...config,
          'volatile.uuid': randomUUID(),
          'volatile.idmap.base': String(idmap.base),
          'volatile.idmap.next': JSON.stringify(idmap.map),
          'volatile.last_state.idmap': '[]',
          ...(plan.template ? { 'volatile.apply_template': plan.template } : {}),
        },
        devices,
        profiles,
        ephemeral: req.ephemeral ?? plan.ephemeral ?? false,
        stateful: false,
        created_at: formatTime(new Date()),
        last_used_at: epochTime,
        pool,
        creating: true,
      };
      await tx.instances.create(project, name, rec);
      return { rec, plan, pool };
    });
    revert.add(() => ctx.store.tx(async (tx) => tx.instances.delete(project, name)));
    const names = hostNames(ctx.daemonId, project, name);
    await mkdir(ctx.paths.instanceLogs(names.lxc), { recursive: true, mode: 0o700 });
    revert.add(() => rm(ctx.paths.instanceLogs(names.lxc), { recursive: true, force: true }));
    revert.add(() => ctx.pools.deleteVolume(pool, 'containers', names.volume));
    await plan.fill(pool, names.volume, progress);
    if (plan.after) {
      revert.add(() => deleteAllSnapshots(ctx, project, name, pool));
      await plan.after(project, name, pool);
    }
    await ctx.store.tx(async (tx) => {
      const cur = await tx.instances.must(project, name);
      delete cur.creating;
      tx.instances.put(project, name, cur);
    });
    revert.success();
    delete rec.creating;
    if (plan.image) await ctx.images.touch(project, plan.image.fingerprint);
    ctx.events.lifecycle(project, 'instance-created', `/1.0/instances/${seg(name)}`, { ...lc, context: { 'storage-pool': pool, type: 'container' } });
    return { rec, image: plan.image };
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
