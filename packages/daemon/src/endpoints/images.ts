// Image endpoints: list, upload (raw, multipart, or into a push token), copy from image servers, get, update,
// delete, export (download, or push to another server), one-time secrets, refresh.
import type { ImageExportPost, ImagePut, ImagesPost } from '@lodge/api';
import { ApiError, isUnsetTime, zeroTime } from '@lodge/api';
import { exportImage } from '../images/export.js';
import { pushToTarget } from '../images/push.js';
import { randomSecret, type PushTokenMetadata } from '../images/tokens.js';
import { spoolImage } from '../images/upload.js';
import { authenticated, mayUseProject, untrusted } from '../http/access.js';
import { empty, operation, raw, sync } from '../http/reply.js';
import type { Shape } from '../http/shape.js';
import * as shapes from '../http/shapes.js';
import type { ApiRequest, Endpoint } from '../http/types.js';
import type { OperationContext } from '../operations/operation.js';
import type { State } from '../state.js';
import { etagCheck, lc, listReply } from './common.js';

const exportPostShape: Shape = { target: 'string', secret: 'string', certificate: 'string', aliases: 'any', project: 'string', profiles: 'stringList' };

/** Trusted callers allowed into the project see every image; others only public ones (or one whose secret they hold). */
function headerValues(req: ApiRequest, name: string): string[] {
  const v = req.raw.headersDistinct[name];
  return v ?? [];
}

function propertiesHeader(req: ApiRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of headerValues(req, 'x-lxd-properties')) {
    for (const [k, v] of new URLSearchParams(h)) out[k] = v;
  }
  return out;
}

function isTrueHeader(v: string | undefined): boolean {
  return v === 'true' || v === '1';
}

function header(req: ApiRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * A raw or multipart upload. With X-LXD-secret and X-LXD-fingerprint it goes into a push token (an
 * untrusted server may do that): the token's aliases, properties, expiry and visibility apply, and the
 * upload operation gets its own secret so that the uploader can wait for it.
 */
async function upload(req: ApiRequest, s: State) {
  const secret = header(req, 'x-lxd-secret');
  const fingerprint = header(req, 'x-lxd-fingerprint');
  const project = req.project;
  const token = secret && fingerprint ? await s.imageTokens.use(project, fingerprint, secret) : undefined;
  if (!token && !mayUseProject(req)) throw ApiError.forbidden();
  const pushed = (token?.metadata ?? {}) as PushTokenMetadata;
  const spooled = await spoolImage(req.raw, s.paths.images);
  const op = s.operations.start({
    project,
    description: 'Downloading image',
    resources: null,
    metadata: token ? { secret: randomSecret() } : null,
    run: async () => {
      const rec = await s.imageImporter.import({
        project,
        spooled,
        expectedFingerprint: fingerprint,
        public: pushed.public ?? isTrueHeader(header(req, 'x-lxd-public')),
        filename: header(req, 'x-lxd-filename'),
        properties: { ...(pushed.properties ?? {}), ...propertiesHeader(req) },
        aliases: pushed.aliases ?? undefined,
        expiresAt: pushed.expires_at && !isUnsetTime(pushed.expires_at) ? pushed.expires_at : undefined,
        lc: lc(req),
      });
      return { fingerprint: rec.fingerprint, size: String(rec.size) };
    },
  });
  return operation(op);
}

/** POST /1.0/images from an instance or snapshot ("lxc publish"). */
async function publish(req: ApiRequest, s: State, body: ImagesPost) {
  const source = body.source?.name ?? '';
  const isSnapshot = source.includes('/');
  if (body.source?.type === 'snapshot' && !isSnapshot) throw ApiError.badRequest('Not a snapshot');
  if (body.source?.type !== 'snapshot' && isSnapshot) throw ApiError.badRequest('This is a snapshot');
  if (body.source?.type === 'virtual-machine') throw ApiError.badRequest('Virtual machines are not supported');
  await s.instances.view(req.project, source.split('/')[0] ?? '');
  const project = req.project;
  const compression = body.compression_algorithm || (await s.server.config())['images.compression_algorithm'] || 'gzip';
  const op = s.operations.start({
    project,
    description: 'Downloading image',
    resources: null,
    run: async (ctx) => {
      const spooled = await s.instances.pack(project, { source, properties: body.properties, expiresAt: body.expires_at, compression, progress: (md) => ctx.setMetadata(md) });
      const rec = await s.imageImporter.import({
        project,
        spooled,
        public: body.public ?? false,
        filename: body.filename || undefined,
        aliases: body.aliases ?? undefined,
        profiles: body.profiles ?? undefined,
        lc: lc(req),
      });
      return { fingerprint: rec.fingerprint, size: String(rec.size) };
    },
  });
  return operation(op);
}

/** POST /1.0/images with source.type "image": copy from an image server (lxd or simplestreams protocol). */
function pull(req: ApiRequest, s: State, body: ImagesPost) {
  const src = body.source ?? {};
  const alias = src.fingerprint || src.alias;
  if (!alias) throw ApiError.badRequest('must specify one of alias or fingerprint for init from image');
  if (!src.server) throw ApiError.badRequest('No image server given (source.server)');
  const project = req.project;
  const op = s.operations.start({
    project,
    description: 'Downloading image',
    resources: null,
    cancel: () => undefined,
    run: async (ctx) => {
      const rec = await s.imageDownloader.download({
        project,
        server: src.server!,
        protocol: src.protocol,
        certificate: src.certificate,
        secret: src.secret,
        alias,
        type: src.image_type,
        sourceProject: src.project,
        autoUpdate: body.auto_update ?? false,
        public: body.public ?? false,
        progress: (md) => ctx.setMetadata(md),
        signal: ctx.signal,
        lc: lc(req),
      });
      ctx.setMetadata({ fingerprint: rec.fingerprint, size: String(rec.size) });
      await s.images.applyCopy(project, rec.fingerprint, {
        public: body.public,
        autoUpdate: body.auto_update,
        filename: body.filename,
        properties: body.properties ?? undefined,
      });
      await s.aliases.createAll(project, rec.fingerprint, body.aliases ?? [], lc(req));
      return { fingerprint: rec.fingerprint, size: String(rec.size) };
    },
  });
  return operation(op);
}

/** POST /1.0/images with source.mode "push": a token an untrusted server uploads the image into. */
function pushToken(req: ApiRequest, s: State, body: ImagesPost) {
  const fingerprint = body.source?.fingerprint;
  if (!fingerprint) throw ApiError.badRequest('The push mode needs source.fingerprint');
  const meta: PushTokenMetadata = { aliases: body.aliases ?? null, expires_at: body.expires_at || zeroTime, properties: body.properties ?? null, public: body.public ?? false };
  return operation(s.imageTokens.create(req.project, fingerprint, lc(req), meta));
}

async function createImage(req: ApiRequest, s: State) {
  const ctype = (req.headers['content-type'] ?? '').toLowerCase();
  if (!ctype.startsWith('application/json')) return upload(req, s);
  if (!mayUseProject(req)) throw ApiError.forbidden();
  const body = await req.json<ImagesPost>(shapes.imagesPost);
  if (body.source?.mode === 'push') return pushToken(req, s, body);
  const type = body.source?.type ?? '';
  if (['instance', 'container', 'snapshot', 'virtual-machine'].includes(type)) return publish(req, s, body);
  if (type === 'image') return pull(req, s, body);
  throw ApiError.badRequest(type ? `Image source type "${type}" is not supported yet` : 'No source provided');
}

/** An operation on one image of the request's project (named by its fingerprint or a prefix of it). */
async function imageOperation(
  req: ApiRequest,
  s: State,
  description: string,
  run: (project: string, fingerprint: string, ctx: OperationContext) => Promise<Record<string, unknown> | void>,
  opts: { cancellable?: boolean } = {},
) {
  const { record } = await s.images.get(req.project, req.param('fingerprint'));
  const project = req.project;
  const op = s.operations.start({
    project,
    description,
    resources: { images: [`/1.0/images/${record.fingerprint}`] },
    cancel: opts.cancellable ? () => undefined : undefined,
    run: (ctx) => run(project, record.fingerprint, ctx),
  });
  return operation(op);
}

/** The image for a caller: private ones need trust in the project or this image's secret (which the use spends). */
async function visibleImage(req: ApiRequest, s: State) {
  const found = await s.images.get(req.project, req.param('fingerprint'));
  if (found.image.public || mayUseProject(req)) {
    // A trusted caller presenting a secret spends it too, as in LXD.
    await s.imageTokens.use(req.project, found.record.fingerprint, req.query.get('secret'));
    return found;
  }
  if (await s.imageTokens.use(req.project, found.record.fingerprint, req.query.get('secret'))) return found;
  throw ApiError.notFound(`Image "${found.record.fingerprint}" not found`);
}

export const imageEndpoints: Endpoint[] = [
  {
    path: '/1.0/images',
    get: {
      // Untrusted callers (and restricted ones outside their projects) see the public images only.
      access: untrusted,
      handle: async (req, s) => {
        const all = await s.images.list(req.project);
        return listReply(req, mayUseProject(req) ? all : all.filter((i) => i.public), (i) => `/1.0/images/${i.fingerprint}`);
      },
    },
    // Untrusted callers may only upload into a push token (checked in upload).
    post: { access: untrusted, handle: createImage },
  },
  {
    path: '/1.0/images/{fingerprint}',
    get: {
      access: untrusted,
      handle: async (req, s) => {
        const { image, etag } = await visibleImage(req, s);
        return sync(image, { etag });
      },
    },
    put: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<Partial<ImagePut>>(shapes.imagePut);
        await s.images.update(req.project, req.param('fingerprint'), body, { patch: false, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    patch: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<Partial<ImagePut>>(shapes.imagePut);
        await s.images.update(req.project, req.param('fingerprint'), body, { patch: true, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    delete: {
      access: authenticated,
      handle: (req, s) => imageOperation(req, s, 'Deleting image', (project, fp) => s.images.delete(project, fp, lc(req))),
    },
  },
  {
    path: '/1.0/images/{fingerprint}/export',
    get: {
      access: untrusted,
      handle: async (req, s) => {
        const { record } = await visibleImage(req, s);
        const out = await exportImage(s.paths, record);
        s.events.lifecycle(req.project, 'image-retrieved', `/1.0/images/${record.fingerprint}`, lc(req));
        return raw(out.body, out.headers);
      },
    },
    // Push the image to another server's push token (lxc image copy --mode push).
    post: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<ImageExportPost>(exportPostShape);
        return imageOperation(req, s, 'Downloading image', async (project, fp) => {
          await pushToTarget(s.paths, (await s.images.get(project, fp)).record, body);
          s.events.lifecycle(project, 'image-retrieved', `/1.0/images/${fp}`, { ...lc(req), context: { target: body.target } });
        });
      },
    },
  },
  {
    path: '/1.0/images/{fingerprint}/secret',
    post: {
      access: authenticated,
      handle: async (req, s) => {
        const { record } = await s.images.get(req.project, req.param('fingerprint'));
        return operation(s.imageTokens.create(req.project, record.fingerprint, lc(req)));
      },
    },
  },
  {
    path: '/1.0/images/{fingerprint}/refresh',
    post: {
      access: authenticated,
      handle: (req, s) =>
        imageOperation(
          req,
          s,
          'Refreshing image',
          async (project, fp, ctx) => {
            const r = await s.imageRefresher.refresh(project, fp, { manual: true, lc: lc(req), progress: (md) => ctx.setMetadata(md), signal: ctx.signal });
            return { refreshed: r.refreshed };
          },
          { cancellable: true },
        ),
    },
  },
];
