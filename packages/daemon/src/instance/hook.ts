// The command LXC runs after a container stops: the native helper tells lodged in a few milliseconds.
import { notifyHookCommand } from '../sys/helper-notify.js';
import { join } from 'node:path';

export function hookCommand(dir: string, project: string, name: string): string {
  return notifyHookCommand({
    socket: join(dir, 'unix.socket'),
    url: `/internal/instances/${encodeURIComponent(project)}/${encodeURIComponent(name)}/stopped`,
    envQuery: { LXC_TARGET: 'target' },
    // The daemon refuses a reboot (a non-2xx answer fails the hook), so LXC stops the container instead of
    // restarting it in place with the config of its last start; lodged then starts it afresh, as LXD does.
    // With the daemon down the hook fails too: a rebooting container stops, and a stopping one stops anyway.
  });
}
