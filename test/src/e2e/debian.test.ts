// A Debian bookworm system container boots systemd to "running" (or "degraded" with the failed units named).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { debianImage } from '../helpers/images.js';

test('Debian with systemd boots to running', { timeout: 20 * 60_000 }, async (t) => {
  const img = await debianImage();
  const d = await startDaemon(t);
  await d.lxc(['image', 'import', img.meta, img.rootfs, '--alias', 'debian'], { timeoutMs: 5 * 60_000 });
  await d.lxc(['launch', 'debian', 'deb1'], { timeoutMs: 5 * 60_000 });
  // Until systemd has started dbus, systemctl cannot even ask; poll until it answers a final state.
  let state = '';
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline && !['running', 'degraded'].includes(state)) {
    const r = await d.lxc(['exec', 'deb1', '--', 'systemctl', 'is-system-running'], { allowFail: true });
    state = r.stdout.trim();
    if (!['running', 'degraded'].includes(state)) await new Promise((res) => setTimeout(res, 500));
  }
  if (state === 'degraded') {
    const failed = await d.lxc(['exec', 'deb1', '--', 'systemctl', '--failed', '--no-legend', '--plain']);
    assert.fail(`systemd is degraded; failed units:\n${failed.stdout}`);
  }
  assert.equal(state, 'running');
  assert.equal((await d.lxc(['exec', 'deb1', '--', 'hostname'])).stdout.trim(), 'deb1');
  assert.match((await d.lxc(['exec', 'deb1', '--', 'cat', '/proc/1/comm'])).stdout, /systemd/);
  await d.lxc(['stop', 'deb1'], { timeoutMs: 120_000 });
  assert.equal((await d.client.get<{ status: string }>('/1.0/instances/deb1')).status, 'Stopped');
  // Regression: the halt signal was forced to SIGPWR, which systemd ignores, so every clean stop waited out its
  // timeout and killed the container. systemd halting on its own says so on the console.
  assert.match((await d.lxc(['console', 'deb1', '--show-log'])).stdout, /Halting system/);
});
