// The command LXC runs after a container stops: tells lodged in the background, so lxc-stop never waits on it.
import { fileURLToPath } from 'node:url';

const lodged = fileURLToPath(new URL('../../../../bin/lodged', import.meta.url));

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function hookCommand(dir: string, project: string, name: string): string {
  const args = [lodged, 'callhook', dir, project, name].map(shellQuote).join(' ');
  // LXC runs hooks through /bin/sh; LXC_TARGET (stop or reboot) is in the environment.
  return `/bin/sh -c ${shellQuote(`setsid ${args} >/dev/null 2>&1 </dev/null &`)}`;
}
