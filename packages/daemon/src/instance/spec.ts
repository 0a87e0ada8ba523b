// Builds the LXC ContainerSpec of an instance at start: idmap, security, limits, devices.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isTrue } from '../config/validators.js';
import type { IdmapEntry } from '../sys/idmap.js';
import type { InstanceContext } from './context.js';
import { renderDevices } from './devices.js';
import type { ContainerSpec } from './lxc/config.js';
import { cgroupSettings } from './lxc/limits.js';
import { seccompPolicy } from './lxc/seccomp.js';
import type { InstanceView } from './view.js';

function prefixed(config: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

const personalities: Record<string, string> = { x86_64: 'x86_64', i686: 'i686', aarch64: 'aarch64', armv7l: 'armv7l' };

export async function buildSpec(ctx: InstanceContext, view: InstanceView, rootfs: string, idmap: IdmapEntry[]): Promise<ContainerSpec> {
  const cfg = view.expandedConfig;
  const lxc = view.names.lxc;
  const privileged = isTrue(cfg['security.privileged']);
  const devices = await renderDevices(view.expandedDevices, { runner: ctx.runner, nodesDir: ctx.paths.deviceNodes(lxc), idmap });
  const seccompFile = ctx.paths.seccompProfile(lxc);
  await mkdir(dirname(seccompFile), { recursive: true, mode: 0o700 });
  await writeFile(seccompFile, seccompPolicy(cfg, ctx.host.architecture), { mode: 0o600 });
  const logs = ctx.paths.instanceLogs(lxc);
  return {
    lxcName: lxc,
    hostname: view.rec.name,
    rootfs,
    privileged,
    idmap,
    nesting: isTrue(cfg['security.nesting']),
    personality: personalities[view.rec.architecture] ?? ctx.host.architecture,
    logFile: join(logs, 'lxc.log'),
    logLevel: 'warn',
    consoleLog: join(logs, 'console.log'),
    seccompProfile: seccompFile,
    cgroupPayload: view.names.cgroupPayload,
    cgroupMonitor: view.names.cgroupMonitor,
    postStopHook: ctx.hookCommand(view.project, view.rec.name),
    limits: cgroupSettings(cfg, ctx.host),
    devicesAllow: devices.devicesAllow,
    mountEntries: devices.mountEntries,
    nics: [],
    environment: prefixed(cfg, 'environment.'),
    sysctls: prefixed(cfg, 'linux.sysctl.'),
    prlimits: prefixed(cfg, 'limits.kernel.'),
    rawLxc: cfg['raw.lxc'] ?? '',
  };
}
