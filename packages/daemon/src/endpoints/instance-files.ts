// Instance files API: pull, push (file, directory, symlink; append), delete, listing; always inside the instance.
import { basename } from 'node:path';
import { ApiError } from '@lodge/api';
import { authenticated } from '../http/access.js';
import { empty, raw, sync } from '../http/reply.js';
import type { ApiRequest, Endpoint } from '../http/types.js';
import { fileErrorToApi, goTime, instancePath, parseId, parseMode } from '../instance/files.js';
import type { State } from '../state.js';
import { fileDelete, fileGet, filePut, fileStat, type FileHeader, type FileType } from '../sys/helper-files.js';
import { seg } from '../util/url.js';
import { lc } from './common.js';

function lxdHeaders(h: FileHeader): Record<string, string> {
  return {
    'X-LXD-uid': String(h.uid),
    'X-LXD-gid': String(h.gid),
    'X-LXD-mode': (h.type === 'symlink' ? 0o777 : h.mode & 0o7777).toString(8).padStart(4, '0'),
    'X-LXD-type': h.type,
    'X-LXD-modified': goTime(h.mtime),
  };
}

function target(req: ApiRequest): { name: string; path: string } {
  const name = req.param('name');
  if (name.includes('/')) throw ApiError.badRequest('Snapshots do not support the files API');
  return { name, path: instancePath(req.query.get('path')) };
}

async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw fileErrorToApi(e);
  }
}

async function getFile(req: ApiRequest, s: State) {
  const { name, path } = target(req);
  const t = await s.instances.fileTarget(req.project, name);
  if (req.method === 'HEAD') {
    const h = await guard(fileStat(t, path));
    return raw('', { ...lxdHeaders(h), 'Content-Type': 'application/octet-stream', 'Content-Length': h.type === 'file' ? h.size : 0 });
  }
  const { header, content } = await guard(fileGet(t, path));
  s.events.lifecycle(req.project, 'instance-file-retrieved', `/1.0/instances/${seg(name)}`, { ...lc(req), context: { path } });
  if (header.type === 'directory') return sync(header.entries ?? [], { headers: lxdHeaders(header) });
  if (header.type === 'symlink') {
    const body = header.target ?? '';
    return raw(body, { ...lxdHeaders(header), 'Content-Type': 'application/octet-stream', 'Content-Length': Buffer.byteLength(body) });
  }
  return raw(content!, {
    ...lxdHeaders(header),
    'Content-Type': 'application/octet-stream',
    'Content-Length': header.size,
    'Content-Disposition': `inline;filename=${basename(path)}`,
    'Accept-Ranges': 'bytes',
    'Last-Modified': new Date(header.mtime * 1000).toUTCString(),
  });
}

async function putFile(req: ApiRequest, s: State) {
  const { name, path } = target(req);
  const type = (req.headers['x-lxd-type'] as string | undefined) || 'file';
  if (!['file', 'directory', 'symlink'].includes(type)) throw ApiError.badRequest(`Bad file type: ${type}`);
  const write = (req.headers['x-lxd-write'] as string | undefined) || 'overwrite';
  if (write !== 'overwrite' && write !== 'append') throw ApiError.badRequest(`Bad file write mode: ${write}`);
  const opts = {
    type: type as FileType,
    uid: parseId(req.headers['x-lxd-uid'] as string | undefined, 'uid'),
    gid: parseId(req.headers['x-lxd-gid'] as string | undefined, 'gid'),
    mode: parseMode(req.headers['x-lxd-mode'] as string | undefined),
    append: write === 'append',
  };
  if (opts.append && type !== 'file') throw ApiError.badRequest('Append only applies to files');
  const t = await s.instances.fileTarget(req.project, name);
  await guard(filePut(t, path, opts, type === 'directory' ? undefined : req.raw));
  s.events.lifecycle(req.project, 'instance-file-pushed', `/1.0/instances/${seg(name)}`, { ...lc(req), context: { path } });
  return empty();
}

async function deleteFile(req: ApiRequest, s: State) {
  const { name, path } = target(req);
  const t = await s.instances.fileTarget(req.project, name);
  await guard(fileDelete(t, path));
  s.events.lifecycle(req.project, 'instance-file-deleted', `/1.0/instances/${seg(name)}`, { ...lc(req), context: { path } });
  return empty();
}

export const instanceFileEndpoints: Endpoint[] = [
  {
    path: '/1.0/instances/{name}/files',
    get: { access: authenticated, handle: getFile },
    head: { access: authenticated, handle: getFile },
    post: { access: authenticated, handle: putFile },
    delete: { access: authenticated, handle: deleteFile },
  },
];
