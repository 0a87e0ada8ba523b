// Instance cases: launch (busybox, Debian), stop --force, delete --force, exec, list, list with 40 instances.
import { timed } from '../lib/proc.mjs';

const lxc = (d, args) => timed('lxc', args, { env: d.env });

function launchCase(name, image, target) {
  return {
    name,
    target,
    measure: (d, _ctx, i) => lxc(d, ['launch', image, `${name}-${i}`]),
    teardown: (d, _ctx, i) => d.lxc(['delete', '--force', `${name}-${i}`]),
  };
}

export function instanceCases({ debian }) {
  const cases = [launchCase('launch-busybox', 'busybox', 0.5)];
  if (debian) cases.push(launchCase('launch-debian', 'debian', 0.3));
  cases.push(
    {
      name: 'stop-force',
      target: 0.5,
      setup: async (d, i) => (await d.lxc(['launch', 'busybox', `stop-${i}`]), `stop-${i}`),
      measure: (d, name) => lxc(d, ['stop', '--force', name]),
      teardown: (d, name) => d.lxc(['delete', '--force', name]),
    },
    {
      name: 'delete-force',
      target: 0.5,
      setup: async (d, i) => (await d.lxc(['launch', 'busybox', `del-${i}`]), `del-${i}`),
      measure: (d, name) => lxc(d, ['delete', '--force', name]),
    },
    {
      name: 'exec',
      target: 1,
      rounds: 21,
      setup: async (d, i) => {
        if (i === 0) await d.lxc(['launch', 'busybox', 'exec-target']);
        return 'exec-target';
      },
      measure: (d, name) => lxc(d, ['exec', name, '--', 'true']),
    },
    {
      name: 'list',
      target: 1,
      rounds: 21,
      measure: (d) => lxc(d, ['list']),
    },
    {
      name: 'list-40',
      target: 0.5,
      setup: async (d, i) => {
        if (i > 0) return;
        const have = JSON.parse((await d.lxc(['list', '--format', 'json'])).stdout).length;
        for (let n = have; n < 41; n++) await d.lxc(['launch', 'busybox', `many-${n}`]);
      },
      measure: (d) => lxc(d, ['list']),
    },
  );
  return cases;
}
