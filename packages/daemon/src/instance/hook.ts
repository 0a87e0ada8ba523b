// The command LXC runs after a container stops: the native helper tells lodged in a few milliseconds.
import { notifyHookCommand } from '../sys/helper.js';
import { join } from 'node:path';

export function hookCommand(dir: string, project: string, name: string): string {
  return notifyHookCommand({
    socket: join(dir, 'unix.socket'),
    url: `/internal/instances/${encodeURIComponent(project)}/${encodeURIComponent(name)}/stopped`,
    envQuery: { LXC_TARGET: 'target' },
    // LXC turns a reboot into a stop when the hook fails; the daemon reconciles anyway when it comes back.
    bestEffort: true,
  });
}
