// Exec end to end with the real lxc client: exit codes, stdin, env, user/cwd, interactive pty, record-output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Operation } from '@lodge/api';
import { startDaemon } from '../helpers/daemon.js';
import { run } from '../helpers/run.js';

test('exit codes, stdout/stderr apart, stdin, environment, user and cwd', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  const r = await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7'], { allowFail: true });
  assert.equal(r.code, 7);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  assert.equal((await d.lxc(['exec', 'c1', '--', 'wc', '-l'], { input: 'a\nb\nc\n' })).stdout.trim(), '3');
  const big = Buffer.alloc(3 * 1024 * 1024, 'x');
  assert.equal((await d.lxc(['exec', 'c1', '--', 'wc', '-c'], { input: big })).stdout.trim(), String(big.length));
  const env = await d.lxc(['exec', 'c1', '--env', 'FOO=bar', '--', 'sh', '-c', 'echo $FOO $HOME $USER; pwd']);
  assert.equal(env.stdout, 'bar /root root\n/root\n');
  const host = await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo ${LODGE_DIR:-clean}']);
  assert.equal(host.stdout.trim(), 'clean');
  const user = await d.lxc(['exec', 'c1', '--user', '1000', '--group', '1000', '--cwd', '/tmp', '--', 'sh', '-c', 'id -u; id -g; pwd']);
  assert.equal(user.stdout, '1000\n1000\n/tmp\n');
  const missing = await d.lxc(['exec', 'c1', '--', 'no-such-command'], { allowFail: true });
  assert.equal(missing.code, 127);
  await d.lxc(['config', 'set', 'c1', 'environment.GREETING', 'hello']);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo $GREETING'])).stdout.trim(), 'hello');
});

test('interactive exec runs on a pty with the requested size and returns the exit code', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  // `script` gives lxc a terminal, so it asks for an interactive session.
  const r = await run('script', ['-eqc', "stty cols 100 rows 30; lxc exec c1 -- sh -c 'stty size; exit 3'", '/dev/null'], { env: d.env, allowFail: true, input: '' });
  assert.equal(r.code, 3);
  assert.match(r.stdout, /30 100/);
});

test('record-output keeps stdout and stderr in log files; a stopped instance refuses exec', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  const res = await d.client.query<Operation>('POST', '/1.0/instances/c1/exec', { command: ['sh', '-c', 'echo rec; echo err >&2; exit 5'], 'wait-for-websocket': false, 'record-output': true });
  const op = await (await d.client.track(res.metadata)).wait();
  const md = op.metadata as { return: number; output: Record<string, string> };
  assert.equal(md.return, 5);
  const out = await d.client.raw('GET', md.output['1']!);
  const chunks: Buffer[] = [];
  for await (const c of out) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'rec\n');
  const logs = await d.client.get<string[]>('/1.0/instances/c1/logs');
  assert.ok(logs.some((l) => l.endsWith('.stderr')));
  await d.lxc(['stop', 'c1', '--force']);
  const refused = await d.lxc(['exec', 'c1', '--', 'true'], { allowFail: true });
  assert.match(refused.stderr, /not running/);
});
