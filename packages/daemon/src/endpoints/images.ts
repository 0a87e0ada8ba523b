// Image endpoints: list, upload (raw or multipart), get, update, delete, export.
import type { ImagePut, ImagesPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { exportImage } from '../images/export.js';
import { spoolImage } from '../images/upload.js';
import { authenticated } from '../http/access.js';
import { empty, operation, raw, sync } from '../http/reply.js';
import * as shapes from '../http/shapes.js';
import type { ApiRequest, Endpoint } from '../http/types.js';
import type { State } from '../state.js';
import { etagCheck, lc, listReply } from './common.js';

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

async function upload(req: ApiRequest, s: State) {
  const spooled = await spoolImage(req.raw, s.paths.images);
  const project = req.project;
  const op = s.operations.start({
    project,
    description: 'Downloading image',
    resources: null,
    run: async () => {
      const rec = await s.imageImporter.import({
        project,
        spooled,
        expectedFingerprint: req.headers['x-lxd-fingerprint'] as string | undefined,
        public: isTrueHeader(req.headers['x-lxd-public'] as string | undefined),
        filename: req.headers['x-lxd-filename'] as string | undefined,
        properties: propertiesHeader(req),
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

async function createImage(req: ApiRequest, s: State) {
  const ctype = (req.headers['content-type'] ?? '').toLowerCase();
  if (!ctype.startsWith('application/json')) return upload(req, s);
  const body = await req.json<ImagesPost>(shapes.imagesPost);
  const type = body.source?.type ?? '';
  if (['instance', 'container', 'snapshot', 'virtual-machine'].includes(type)) return publish(req, s, body);
  throw ApiError.badRequest(type ? `Image source type "${type}" is not supported yet` : 'No source provided');
}

export const imageEndpoints: Endpoint[] = [
  {
    path: '/1.0/images',
    get: {
      access: authenticated,
      handle: async (req, s) => listReply(req, await s.images.list(req.project), (i) => `/1.0/images/${i.fingerprint}`),
    },
    post: { access: authenticated, handle: createImage },
  },
  {
    path: '/1.0/images/{fingerprint}',
    get: {
      access: authenticated,
      handle: async (req, s) => {
        const { image, etag } = await s.images.get(req.project, req.param('fingerprint'));
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
      handle: async (req, s) => {
        const { record } = await s.images.get(req.project, req.param('fingerprint'));
        const project = req.project;
        const op = s.operations.start({
          project,
          description: 'Deleting image',
          resources: { images: [`/1.0/images/${record.fingerprint}`] },
          run: async () => {
            await s.images.delete(project, record.fingerprint, lc(req));
          },
        });
        return operation(op);
      },
    },
  },
  {
    path: '/1.0/images/{fingerprint}/export',
    get: {
      access: authenticated,
      handle: async (req, s) => {
        const { record } = await s.images.get(req.project, req.param('fingerprint'));
        const out = await exportImage(s.paths, record);
        s.events.lifecycle(req.project, 'image-retrieved', `/1.0/images/${record.fingerprint}`, lc(req));
        return raw(out.body, out.headers);
      },
    },
  },
];
