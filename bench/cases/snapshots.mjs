// Snapshot, restore, copy and publish of a busybox and (optionally) a Debian container.
import { timed } from '../lib/proc.mjs';

const lxc = (d, args) => timed('lxc', args, { env: d.env });

function casesFor(image, { snapshotTarget, copyTarget }) {
  const base = `${image}-src`;
  const ensure = async (d) => {
    const have = JSON.parse((await d.lxc(['list', base, '--format', 'json'])).stdout).length > 0;
    if (!have) await d.lxc(['launch', image, base], { timeoutMs: 600_000 });
  };
  return [
    {
      name: `snapshot-${image}`,
      target: snapshotTarget,
      setup: ensure,
      measure: (d, _c, i) => lxc(d, ['snapshot', base, `s${i}`]),
      teardown: (d, _c, i) => d.lxc(['delete', `${base}/s${i}`]),
    },
    {
      name: `restore-${image}`,
      setup: async (d, i) => {
        await ensure(d);
        await d.lxc(['snapshot', base, `r${i}`]);
      },
      measure: (d, _c, i) => lxc(d, ['restore', base, `r${i}`]),
      teardown: (d, _c, i) => d.lxc(['delete', `${base}/r${i}`]),
    },
    {
      name: `copy-${image}`,
      target: copyTarget,
      setup: ensure,
      measure: (d, _c, i) => lxc(d, ['copy', base, `${image}-copy-${i}`]),
      teardown: (d, _c, i) => d.lxc(['delete', '--force', `${image}-copy-${i}`]),
    },
    {
      name: `publish-${image}`,
      setup: async (d, i) => {
        await ensure(d);
        await d.lxc(['snapshot', base, `p${i}`]);
      },
      measure: (d, _c, i) => lxc(d, ['publish', `${base}/p${i}`, '--alias', `pub-${image}-${i}`]),
      teardown: async (d, _c, i) => {
        await d.lxc(['image', 'delete', `pub-${image}-${i}`]);
        await d.lxc(['delete', `${base}/p${i}`]);
      },
    },
  ];
}

export function snapshotCases({ debian }) {
  const cases = casesFor('busybox', { snapshotTarget: 0.5, copyTarget: 0.5 });
  if (debian) cases.push(...casesFor('debian', { snapshotTarget: 0.5, copyTarget: 0.5 }));
  return cases;
}
