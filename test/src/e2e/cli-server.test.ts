// lodge info/version/config/storage/operation/monitor, global flags and error handling, compared with lxc where it applies.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { lodgeBin } from '../helpers/paths.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function sameAsLxc(d: TestDaemon, args: string[]): Promise<string> {
  const mine = await d.lodge(args);
  assert.equal(mine.stdout, (await d.lxc(args)).stdout, `lodge ${args.join(' ')} differs from lxc`);
  return mine.stdout;
}

test('info, version, storage and config show print what lxc prints', async (t) => {
  const d = await startDaemon(t);
  const info = await sameAsLxc(d, ['info']);
  assert.match(info, /^config: \{\}\napi_extensions:\n- /);
  assert.match(info, /\n {2}certificate: \|\n {4}-----BEGIN CERTIFICATE-----\n/);
  const version = await d.lodge(['version']);
  assert.match(version.stdout, /^Client version: \d+\.\d+\.\d+\nServer version: .+\n$/);
  await sameAsLxc(d, ['storage', 'list']);
  await sameAsLxc(d, ['storage', 'list', '--format', 'yaml']);
  await sameAsLxc(d, ['storage', 'show', 'default']);
  const sinfo = await d.lodge(['storage', 'info', 'default']);
  assert.match(sinfo.stdout, /^info:\n {2}description: ""\n {2}driver: dir\n {2}name: default\n {2}space used: .+\n {2}total space: .+\nused by:\n {2}profiles:\n {2}- default\n$/);
  await sameAsLxc(d, ['config', 'show']);
});

test('server config: set, get, unset and edit, the way lxc config does it', async (t) => {
  const d = await startDaemon(t);
  await d.lodge(['config', 'set', 'core.trust_password', 'sekrit']);
  assert.equal((await d.lodge(['config', 'get', 'core.trust_password'])).stdout, 'true\n');
  await d.lodge(['config', 'set', 'images.remote_cache_expiry=3', 'user.owner=ops']);
  assert.equal((await d.lodge(['config', 'get', 'images.remote_cache_expiry'])).stdout, '3\n');
  assert.equal((await d.lxc(['config', 'get', 'user.owner'])).stdout, 'ops\n');
  await sameAsLxc(d, ['config', 'show']);
  await d.lodge(['config', 'unset', 'user.owner']);
  assert.equal((await d.lodge(['config', 'get', 'user.owner'])).stdout, '\n');
  await d.lodge(['config', 'edit'], { input: 'config:\n  images.remote_cache_expiry: "5"\n  core.trust_password: "true"\n' });
  assert.equal((await d.client.server.get()).server.config['images.remote_cache_expiry'], '5');
  const bad = await d.lodge(['config', 'set', 'core.nonsense', 'x'], { allowFail: true });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^Error: .*core\.nonsense.*\n$/);
});

test('operations list like lxc and can be shown', async (t) => {
  const d = await startDaemon(t);
  // A finished operation disappears 5 s after it ends; a certificate add token stays running until it is used or
  // cancelled, so lodge and lxc list the same operations however slow the machine is.
  await d.lodge(['config', 'set', 'core.https_address', `127.0.0.1:${await freePort()}`]);
  const token = await d.client.certificates.createToken({ name: 'ops' });
  const table = await sameAsLxc(d, ['operation', 'list']);
  assert.match(table, new RegExp(`\\| ${token.operationId} \\| TOKEN \\| Executing operation \\| RUNNING \\| YES +\\|`));
  await sameAsLxc(d, ['operation', 'list', '--format', 'json']);
  await sameAsLxc(d, ['operation', 'list', '--format', 'csv']);
  await sameAsLxc(d, ['operation', 'show', token.operationId]);
  assert.match((await d.lodge(['operation', 'show', token.operationId])).stdout, new RegExp(`^id: ${token.operationId}\nclass: token\n`));
  assert.equal((await d.lodge(['operation', 'delete', token.operationId])).stdout, `Operation ${token.operationId} deleted\n`);
  assert.deepEqual(await d.client.certificates.tokens(), []);
  const missing = await d.lodge(['operation', 'show', '00000000-0000-0000-0000-000000000000'], { allowFail: true });
  assert.deepEqual([missing.code, missing.stderr], [1, 'Error: Operation not found\n']);
  const cancel = await d.lodge(['operation', 'delete', '00000000-0000-0000-0000-000000000000'], { allowFail: true });
  assert.deepEqual([cancel.code, cancel.stderr], [1, 'Error: Operation not found\n']);
});

test('monitor prints a lifecycle event caused by another command, as lxc formats it', async (t) => {
  const d = await startDaemon(t);
  const mon = spawn(lodgeBin, ['monitor', '--type', 'lifecycle', '--debug'], { env: d.env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => void (mon.exitCode === null && mon.kill()));
  let out = '';
  let err = '';
  mon.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const connected = new Promise<void>((resolve) =>
    mon.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('Connected to the websocket')) resolve();
    }),
  );
  await connected;
  await d.lodge(['profile', 'create', 'watched']);
  const deadline = Date.now() + 10_000;
  while (!out.includes('\n\n\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  mon.kill();
  assert.match(out, /^location: \S+\nmetadata:\n {2}action: profile-created\n {2}requestor:\n(?: {4}.+\n)+ {2}source: \/1\.0\/profiles\/watched\nproject: default\ntimestamp: "[^"]+"\ntype: lifecycle\n\n\n$/);
});

test('bad input: Error: on stderr and exit 1, usage errors print help first', async (t) => {
  const d = await startDaemon(t);
  const cases: [string[], string | RegExp][] = [
    [['nope'], 'Error: unknown command "nope" for "lodge"\n'],
    [['image', 'nope'], 'Error: unknown command "nope" for "lodge image"\n'],
    [['image', 'list', '--bogus'], 'Error: unknown flag: --bogus\n'],
    [['image', 'list', '--format'], 'Error: flag needs an argument: --format\n'],
    [['image', 'list', '--format', 'xml'], 'Error: Invalid format "xml"\n'],
    [['image', 'list', '-c', 'lz'], "Error: Unknown column shorthand char 'z' in 'lz'\n"],
    [['profile', 'show', 'elsewhere:default'], 'Error: The remote "elsewhere" doesn\'t exist\n'],
    // The default images: remote is refused before any connection: tests never leave loopback.
    [['profile', 'show', 'images:default'], "Error: The remote isn't a private LXD server\n"],
    [['profile', 'create'], 'Error: Invalid number of arguments\n'],
    [['image', 'export', 'nothing-here'], 'Error: Image not found\n'],
  ];
  for (const [args, expected] of cases) {
    const r = await d.lodge(args, { allowFail: true });
    assert.equal(r.code, 1, args.join(' '));
    if (typeof expected === 'string') assert.equal(r.stderr, expected, args.join(' '));
    else assert.match(r.stderr, expected, args.join(' '));
  }
  const usage = await d.lodge(['profile', 'create'], { allowFail: true });
  assert.match(usage.stdout, /^Usage: lodge profile create \[flags\] \[<remote>:\]<profile>/);
  const down = await d.lodge(['profile', 'list'], { allowFail: true, env: { LODGE_DIR: '/nonexistent' } });
  assert.deepEqual([down.code, down.stderr], [1, 'Error: dial unix /nonexistent/unix.socket: connect: no such file or directory\n']);
  for (const args of [['--help'], ['image', 'list', '--help'], ['profile', 'device', 'add', '-h'], ['image']]) {
    const h = await d.lodge(args);
    assert.match(h.stdout, /^Usage: lodge /, args.join(' '));
  }
  assert.match((await d.lodge(['--version'])).stdout, /^\d+\.\d+\.\d+\n$/);
});

test('--debug logs requests on stderr and --quiet silences messages', async (t) => {
  const d = await startDaemon(t);
  const dbg = await d.lodge(['profile', 'list', '--debug', '-f', 'csv']);
  assert.equal(dbg.stdout, (await d.lxc(['profile', 'list', '-f', 'csv'])).stdout);
  assert.match(dbg.stderr, /Sending request to LXD method=GET url=\/1\.0\/profiles\?recursion=1/);
  assert.equal((await d.lodge(['profile', 'create', 'q1', '--quiet'])).stdout, '');
});
