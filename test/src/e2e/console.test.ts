// Console end to end: the log buffer, clearing it, and an attached session through lxc console.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { run } from '../helpers/run.js';

test('lxc console attaches to the container console; the log can be read and cleared', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo console-marker > /dev/console']);
  await new Promise((r) => setTimeout(r, 300));
  const log = await d.lxc(['console', 'c1', '--show-log']);
  assert.match(log.stdout, /console-marker/);
  await d.client.query('DELETE', '/1.0/instances/c1/console');
  const cleared = await d.lxc(['console', 'c1', '--show-log']);
  assert.doesNotMatch(cleared.stdout, /console-marker/);
  // An attached session: type a command on the console's getty-less shell line, then detach with ctrl-a q.
  const session = run('script', ['-qc', 'lxc console c1', '/dev/null'], { env: d.env, allowFail: true, input: 'echo via-console\r', timeoutMs: 8000 });
  const r = await session;
  assert.match(r.stdout, /To detach from the console/);
  const refused = await d.client.query('POST', '/1.0/instances/c1/console', { type: 'vga' }).catch((e: Error) => e);
  assert.match(String(refused), /VGA console is only supported by virtual machines/);
});
