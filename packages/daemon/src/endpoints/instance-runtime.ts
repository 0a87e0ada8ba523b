// Instance runtime endpoints: state, exec, console, logs.
import { readdir, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { InstanceConsolePost, InstanceExecPost, InstanceStatePut } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { authenticated } from '../http/access.js';
import { empty, operation, raw, sync } from '../http/reply.js';
import * as shapes from '../http/shapes.js';
import type { ApiRequest, Endpoint } from '../http/types.js';
import type { State } from '../state.js';
import { seg } from '../util/url.js';
import { lc } from './common.js';
import { instanceResources } from './instances.js';

const actions = ['start', 'stop', 'restart', 'freeze', 'unfreeze'];
const stateDescriptions: Record<string, string> = { start: 'Starting instance', stop: 'Stopping instance', restart: 'Restarting instance', freeze: 'Freezing instance', unfreeze: 'Unfreezing instance' };

async function putState(req: ApiRequest, s: State) {
  const name = req.param('name');
  const body = await req.json<InstanceStatePut>(shapes.instanceStatePut);
  if (!actions.includes(body.action)) throw ApiError.badRequest(`Unknown action "${String(body.action)}"`);
  await s.instances.view(req.project, name);
  if (body.stateful) await s.instances.precheckStateful(body.action);
  const project = req.project;
  const put: InstanceStatePut = { action: body.action, timeout: body.timeout ?? -1, force: body.force ?? false, stateful: body.stateful ?? false };
  const op = s.operations.start({
    project,
    description: stateDescriptions[body.action] ?? 'Changing instance state',
    resources: instanceResources(name),
    run: async () => s.instances.changeState(project, name, put, lc(req)),
  });
  return operation(op);
}

/** Log files LXD serves: lxc.log, lxc.conf and exec/migration/snapshot outputs. */
function validLogName(file: string): boolean {
  return !file.includes('/') && (file === 'lxc.log' || file === 'lxc.conf' || /^(exec|migration|snapshot)_[\w.-]+$/.test(file));
}

async function logDir(req: ApiRequest, s: State): Promise<string> {
  const view = await s.instances.view(req.project, req.param('name'));
  return s.paths.instanceLogs(view.names.lxc);
}

export const instanceRuntimeEndpoints: Endpoint[] = [
  {
    path: '/1.0/instances/{name}/state',
    get: { access: authenticated, handle: async (req, s) => sync(await s.instances.state(req.project, req.param('name'))) },
    put: { access: authenticated, handle: putState },
  },
  {
    path: '/1.0/instances/{name}/exec',
    post: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<InstanceExecPost>(shapes.instanceExecPost);
        const opts = await s.instances.prepareExec(req.project, req.param('name'), body);
        return operation(s.operations.start(opts));
      },
    },
  },
  {
    path: '/1.0/instances/{name}/console',
    get: {
      access: authenticated,
      handle: async (req, s) => {
        const log = await s.instances.consoleLog(req.project, req.param('name'));
        s.events.lifecycle(req.project, 'instance-console-retrieved', `/1.0/instances/${seg(req.param('name'))}`, lc(req));
        return raw(log, { 'Content-Type': 'application/octet-stream', 'Content-Disposition': 'inline;filename=', 'Content-Length': log.length });
      },
    },
    post: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<InstanceConsolePost>(shapes.instanceConsolePost);
        return operation(s.operations.start(await s.instances.prepareConsole(req.project, req.param('name'), body)));
      },
    },
    delete: {
      access: authenticated,
      handle: async (req, s) => {
        await s.instances.clearConsoleLog(req.project, req.param('name'));
        s.events.lifecycle(req.project, 'instance-console-reset', `/1.0/instances/${seg(req.param('name'))}`, lc(req));
        return empty();
      },
    },
  },
  {
    path: '/1.0/instances/{name}/logs',
    get: {
      access: authenticated,
      handle: async (req, s) => {
        const dir = await logDir(req, s);
        const files = (await readdir(dir).catch(() => [] as string[])).filter(validLogName).sort();
        return sync(files.map((f) => `/1.0/instances/${seg(req.param('name'))}/logs/${f}`));
      },
    },
  },
  {
    path: '/1.0/instances/{name}/logs/{file}',
    get: {
      access: authenticated,
      handle: async (req, s) => {
        const file = req.param('file');
        if (!validLogName(file)) throw ApiError.badRequest(`log file name ${file} not valid`);
        const path = join(await logDir(req, s), file);
        const st = await stat(path).catch(() => undefined);
        if (!st?.isFile()) throw ApiError.notFound('Log file not found');
        return raw(createReadStream(path), { 'Content-Type': 'application/octet-stream', 'Content-Disposition': `inline;filename=${file}`, 'Content-Length': st.size });
      },
    },
    delete: {
      access: authenticated,
      handle: async (req, s) => {
        const file = req.param('file');
        if (!validLogName(file) || file === 'lxc.log' || file === 'lxc.conf') throw ApiError.badRequest(`log file name ${file} not valid`);
        await rm(join(await logDir(req, s), file));
        return empty();
      },
    },
  },
];
