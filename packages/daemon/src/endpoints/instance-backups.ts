// Backup endpoints: list, create, get, rename, delete, export (the tarball).
import type { InstanceBackupsPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { authenticated } from '../http/access.js';
import { operation, raw, sync } from '../http/reply.js';
import type { Shape } from '../http/shape.js';
import type { ApiRequest, Endpoint } from '../http/types.js';
import { backupUrl, validateBackupName } from '../instance/backups.js';
import type { State } from '../state.js';
import { apiUrl, seg } from '../util/url.js';
import { lc } from './common.js';
import { instanceResources } from './instances.js';

const backupsPost: Shape = { name: 'string', expires_at: 'string', instance_only: 'bool', container_only: 'bool', optimized_storage: 'bool', compression_algorithm: 'string' };

async function create(req: ApiRequest, s: State) {
  const name = req.param('name');
  const body = await req.json<InstanceBackupsPost>(backupsPost);
  if (body.name) validateBackupName(body.name);
  if (body.expires_at && Number.isNaN(Date.parse(body.expires_at))) throw ApiError.badRequest(`Invalid expires_at "${body.expires_at}"`);
  await s.instances.view(req.project, name);
  const existing = (await s.instances.backups(req.project, name)).map((b) => b.name);
  if (body.name && existing.includes(body.name)) throw ApiError.conflict(`Backup "${name}/${body.name}" already exists`);
  // lxc export reads the backup's name from resources.backups[0] after "/1.0/backups/": it must be known now.
  const backup = body.name || `backup${Math.max(-1, ...existing.map((n) => /^backup(\d+)$/.exec(n)).filter((m) => m).map((m) => Number(m![1]))) + 1}`;
  const project = req.project;
  const op = s.operations.start({
    project,
    description: 'Backing up instance',
    resources: instanceResources(name, { backups: [`/1.0/backups/${seg(backup)}`] }),
    run: async () => {
      await s.instances.createBackup(project, name, { ...body, name: backup }, lc(req));
    },
  });
  return operation(op);
}

export const instanceBackupEndpoints: Endpoint[] = [
  {
    path: '/1.0/instances/{name}/backups',
    get: {
      access: authenticated,
      handle: async (req, s) => {
        const name = req.param('name');
        const list = await s.instances.backups(req.project, name);
        return sync(req.recursion > 0 ? list : list.map((b) => apiUrl(backupUrl(name, b.name), req.project)));
      },
    },
    post: { access: authenticated, handle: create },
  },
  {
    path: '/1.0/instances/{name}/backups/{backup}',
    get: { access: authenticated, handle: async (req, s) => sync(await s.instances.backup(req.project, req.param('name'), req.param('backup'))) },
    post: {
      access: authenticated,
      handle: async (req, s) => {
        const name = req.param('name');
        const backup = req.param('backup');
        const body = await req.json<{ name: string }>({ name: 'string' });
        if (!body.name) throw ApiError.badRequest('No name provided');
        validateBackupName(body.name);
        await s.instances.backup(req.project, name, backup);
        const project = req.project;
        const op = s.operations.start({
          project,
          description: 'Renaming instance backup',
          resources: instanceResources(name),
          run: async () => s.instances.renameBackup(project, name, backup, body.name, lc(req)),
        });
        return operation(op);
      },
    },
    delete: {
      access: authenticated,
      handle: async (req, s) => {
        const name = req.param('name');
        const backup = req.param('backup');
        await s.instances.backup(req.project, name, backup);
        const project = req.project;
        const op = s.operations.start({
          project,
          description: 'Removing instance backup',
          resources: instanceResources(name),
          run: async () => s.instances.deleteBackup(project, name, backup, lc(req)),
        });
        return operation(op);
      },
    },
  },
  {
    path: '/1.0/instances/{name}/backups/{backup}/export',
    get: {
      access: authenticated,
      handle: async (req, s) => {
        const name = req.param('name');
        const backup = req.param('backup');
        const f = await s.instances.openBackup(req.project, name, backup);
        s.events.lifecycle(req.project, 'instance-backup-retrieved', backupUrl(name, backup), lc(req));
        return raw(f.stream, {
          'Content-Type': 'application/octet-stream',
          'Content-Length': f.size,
          'Content-Disposition': 'inline;filename=',
          'Last-Modified': f.mtime.toUTCString(),
          'Accept-Ranges': 'bytes',
        });
      },
    },
  },
];

