// Hot-plug of disk and unix devices into running containers, through the native helper's mount injection.
import { rm, stat } from 'node:fs/promises';
import { ApiError } from '@lodge/api';
import { isTrue } from '../config/validators.js';
import { fileDelete } from '../sys/helper-files.js';
import { cgroupSet, mountInto, umountFrom, type Propagation } from '../sys/helper-mount.js';
import type { IdmapEntry } from '../sys/idmap.js';
import type { InstanceContext } from './context.js';
import { containerPath, prepareUnixNode, unixNodePath } from './devices.js';
import type { HotplugHandler, HotplugRegistry } from './hotplug.js';
import type { InstanceView } from './view.js';

function idmapOf(view: InstanceView): IdmapEntry[] {
  try {
    return JSON.parse(view.rec.config['volatile.idmap.current'] ?? view.rec.config['volatile.idmap.next'] ?? '[]') as IdmapEntry[];
  } catch {
    return [];
  }
}

function asApiError(e: unknown, what: string): ApiError {
  if (e instanceof ApiError) return e;
  return ApiError.badRequest(`${what}: ${(e as Error).message}`);
}

function diskHandler(): HotplugHandler {
  return {
    async add(_view, name, dev, pid) {
      const source = dev.source ?? '';
      const optional = dev.required === 'false' || isTrue(dev.optional);
      if (!(await stat(source).catch(() => undefined))) {
        if (optional) return;
        throw ApiError.badRequest(`Device "${name}": source path "${source}" doesn't exist`);
      }
      const target = `/${containerPath(dev.path ?? '', name)}`;
      await mountInto(pid, {
        source,
        target,
        readonly: isTrue(dev.readonly),
        recursive: isTrue(dev.recursive),
        shift: isTrue(dev.shift),
        propagation: dev.propagation as Propagation | undefined,
      }).catch((e: unknown) => {
        throw asApiError(e, `Failed to add device "${name}"`);
      });
    },
    async remove(_view, name, dev, pid) {
      await umountFrom(pid, `/${containerPath(dev.path ?? '', name)}`).catch((e: unknown) => {
        throw asApiError(e, `Failed to remove device "${name}"`);
      });
    },
  };
}

function unixHandler(ctx: InstanceContext): HotplugHandler {
  return {
    async add(view, name, dev, pid) {
      const node = await prepareUnixNode(name, dev, { runner: ctx.runner, nodesDir: ctx.paths.deviceNodes(view.names.lxc), idmap: idmapOf(view) });
      if (!node) return;
      try {
        await cgroupSet(ctx.lxc.lxcpath, view.names.lxc, 'devices.allow', node.rule);
        await mountInto(pid, { source: node.node, target: `/${node.target}` });
      } catch (e) {
        await rm(node.node, { force: true });
        throw asApiError(e, `Failed to add device "${name}"`);
      }
    },
    async remove(view, name, dev, pid) {
      const target = `/${containerPath(dev.path ?? dev.source ?? '', name)}`;
      await umountFrom(pid, target).catch((e: unknown) => {
        throw asApiError(e, `Failed to remove device "${name}"`);
      });
      // The empty mount point would look like a device that lost its node: remove it, as LXD does.
      await fileDelete({ pid }, target).catch(() => undefined);
      const node = unixNodePath(ctx.paths.deviceNodes(view.names.lxc), name);
      const st = await stat(node).catch(() => undefined);
      if (st) {
        const kind = dev.type === 'unix-block' ? 'b' : 'c';
        const rule = `${kind} ${Math.floor(st.rdev / 256) & 0xfff}:${(st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00)} rwm`;
        await cgroupSet(ctx.lxc.lxcpath, view.names.lxc, 'devices.deny', rule).catch(() => undefined);
        await rm(node, { force: true });
      }
    },
  };
}

export function registerDeviceHotplug(ctx: InstanceContext, registry: HotplugRegistry): void {
  registry.register('disk', diskHandler());
  const unix = unixHandler(ctx);
  registry.register('unix-char', unix);
  registry.register('unix-block', unix);
}
