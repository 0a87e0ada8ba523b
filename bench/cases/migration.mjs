// Copy between two servers of the same kind over HTTPS on loopback (lodge → lodge, LXD → LXD): pull and push
// of a stopped busybox container with two snapshots, and a running one with --stateless.
import { timed } from '../lib/proc.mjs';

const lxc = (d, args) => timed('lxc', args, { env: d.pairEnv });

async function ensureSource(d, name, running) {
  const have = JSON.parse((await d.lxc(['list', name, '--format', 'json'])).stdout).length > 0;
  if (have) return;
  await d.lxc(['launch', 'busybox', name]);
  if (running) return;
  await d.lxc(['snapshot', name, 's0']);
  await d.lxc(['snapshot', name, 's1']);
  await d.lxc(['stop', '--force', name]);
}

function copyCase(name, { mode, running }) {
  const source = running ? 'mig-running' : 'mig-stopped';
  const target = (i) => `${name}-${i}`;
  return {
    name,
    pair: true,
    setup: (d) => ensureSource(d, source, running),
    measure: (d, _c, i) => lxc(d, ['copy', `src:${source}`, `dst:${target(i)}`, '--mode', mode, ...(running ? ['--stateless'] : [])]),
    teardown: (d, _c, i) => d.peer.lxc(['delete', '--force', target(i)]),
  };
}

export function migrationCases() {
  return [copyCase('remote-copy-pull', { mode: 'pull', running: false }), copyCase('remote-copy-push', { mode: 'push', running: false }), copyCase('remote-copy-running', { mode: 'pull', running: true })];
}
