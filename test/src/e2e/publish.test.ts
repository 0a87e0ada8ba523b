// Publish end to end: a stopped container or a snapshot becomes an image that launches with the same data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';

test('publish an instance and a snapshot, then launch from the new images', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo published > /root/marker']);
  await d.lxc(['snapshot', 'c1', 's0']);
  const running = await d.lxc(['publish', 'c1', '--alias', 'never'], { allowFail: true });
  assert.notEqual(running.code, 0);
  await d.lxc(['stop', '--force', 'c1']);
  const out = await d.lxc(['publish', 'c1', '--alias', 'from-c1', 'os=mine', 'release=1']);
  const fp = /fingerprint: ([0-9a-f]{64})/.exec(out.stdout)?.[1];
  assert.ok(fp);
  const img = (await d.client.images.get(fp!)).image;
  assert.deepEqual(img.properties, { os: 'mine', release: '1' });
  assert.equal(img.aliases[0]?.name, 'from-c1');
  await d.lxc(['publish', 'c1/s0', '--alias', 'from-snap', '--compression', 'xz']);
  for (const alias of ['from-c1', 'from-snap']) {
    await d.lxc(['launch', alias, `n-${alias}`]);
    assert.equal((await d.lxc(['exec', `n-${alias}`, '--', 'cat', '/root/marker'])).stdout, 'published\n');
    assert.equal((await d.lxc(['exec', `n-${alias}`, '--', 'hostname'])).stdout.trim(), `n-${alias}`);
  }
  const bad = await d.client.query('POST', '/1.0/images', { source: { type: 'instance', name: 'c1' }, compression_algorithm: 'rar' }).then((r) => d.client.track(r.metadata as never)).then((op) => op.wait()).catch((e: Error) => e);
  assert.match(String(bad), /compression/);
});
