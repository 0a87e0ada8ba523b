// lodge with image servers: a simplestreams tree served over HTTPS on 127.0.0.1 (test CA) read by the CLI itself
// (image list/info/alias list/export, copies and launch), compared with lxc; and image copies between LXD 5.0.2 and
// lodged in each mode. Loopback only.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { CliClient, listenOn, trustToken } from '../helpers/cli-client.js';
import { sameRequests } from '../helpers/debug-requests.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { busyboxImage } from '../helpers/images.js';
import { startLxd } from '../helpers/lxd.js';
import { startSimpleStreams } from '../helpers/simplestreams.js';
import { tmpDir } from '../helpers/tmp.js';

async function fingerprints(d: TestDaemon): Promise<string[]> {
  return (await d.client.images.list()).map((i) => i.fingerprint).sort();
}

test('simplestreams remotes in lodge: list, info, aliases and export read the server as lxc does; copy and launch', async (t) => {
  const img = await busyboxImage();
  const { ca, server } = await startSimpleStreams(t);
  const { fingerprint: v1 } = await server.publish({ serial: '20240101_00:00', meta: img.meta, rootfs: img.rootfs });
  const d = await startDaemon(t, { env: { NODE_EXTRA_CA_CERTS: ca.caFile } });
  const me = await CliClient.create(t, d);
  // lodge (Node) and lxc (Go) each trust the test CA their own way.
  const env = { NODE_EXTRA_CA_CERTS: ca.caFile, SSL_CERT_FILE: ca.caFile };
  const both = async (args: string[]): Promise<string> => {
    const mine = await me.lodge(args, { env });
    assert.equal(mine.stdout, (await me.lxc(args, { env })).stdout, `lodge ${args.join(' ')}`);
    return mine.stdout;
  };
  await me.lodge(['remote', 'add', 'ss', server.url, '--protocol', 'simplestreams', '--public'], { env });

  for (const f of ['table', 'csv', 'json', 'yaml']) await both(['image', 'list', 'ss:', '-f', f]);
  assert.match(await both(['image', 'list', 'ss:', '-c', 'lfp', '-f', 'csv']), new RegExp(`^busybox \\(\\d+ more\\),${v1.slice(0, 12)},yes\\n$`));
  await both(['image', 'list', 'ss:', 'os=Busybox', '-c', 'F', '-f', 'csv']);
  await both(['image', 'list', 'ss:', 'nosuch']);
  await both(['image', 'alias', 'list', 'ss:']);
  // lxc prints the properties in Go's random map order: the lines are compared as a set.
  for (const name of ['busybox', v1.slice(0, 12)]) {
    const info = (await me.lodge(['image', 'info', `ss:${name}`], { env })).stdout;
    const lines = (s: string): string[] => s.split('\n').sort();
    assert.deepEqual(lines(info), lines((await me.lxc(['image', 'info', `ss:${name}`], { env })).stdout));
    assert.match(info, new RegExp(`^Fingerprint: ${v1}\\n`));
  }
  await both(['image', 'show', 'ss:busybox/test']);
  await both(['image', 'get-property', 'ss:busybox', 'os']);
  const missing = await me.lodge(['image', 'info', 'ss:nosuch'], { env, allowFail: true });
  assert.equal(missing.stderr, (await me.lxc(['image', 'info', 'ss:nosuch'], { env, allowFail: true })).stderr);

  // Export downloads the files (each checked against its sha256) under the names the server gives them.
  const out = await tmpDir(t, 'lodge-cli-img-');
  await me.lodge(['image', 'export', 'ss:busybox', `${out}/`], { env });
  const files = (await readdir(out)).sort();
  assert.deepEqual(files, ['lxd.tar.xz', 'rootfs.squashfs']);
  const h = createHash('sha256');
  for (const f of files) h.update(await readFile(join(out, f)));
  assert.equal(h.digest('hex'), v1);

  // Copies: by the alias (which the image follows afterwards), and relayed through lodge.
  const mine = await me.lodge(['image', 'copy', 'ss:busybox', 'local:', '--alias', 'x', '--debug'], { env });
  const img1 = await d.client.images.resolve('x');
  assert.deepEqual([img1.fingerprint, img1.cached, img1.update_source?.alias, img1.update_source?.server], [v1, false, 'busybox', server.url]);
  await d.lodge(['image', 'delete', v1]);
  sameRequests(mine.stderr, (await me.lxc(['image', 'copy', 'ss:busybox', 'local:', '--alias', 'x', '--debug'], { env })).stderr, ['', ''], 'simplestreams pull');
  await d.lodge(['image', 'delete', v1]);
  const downloads = server.fileDownloads;
  assert.equal((await me.lodge(['image', 'copy', 'ss:busybox', 'local:', '--mode', 'relay', '--alias', 'r'], { env })).stdout, 'Image copied successfully!\n');
  assert.equal(server.fileDownloads, downloads + 2, 'lodge fetched the two files itself');
  assert.deepEqual([(await d.client.images.resolve('r')).fingerprint], [v1]);
  const push = await me.lodge(['image', 'copy', 'ss:busybox', 'local:', '--mode', 'push'], { env, allowFail: true });
  assert.equal(push.stderr, 'Error: Exporting images is not supported by the simplestreams protocol\n');
  await d.lodge(['image', 'delete', v1]);

  // launch ss:alias: the daemon downloads and caches the image; the instance runs.
  await me.lodge(['launch', 'ss:busybox', 'c1', '-q'], { env });
  assert.equal((await d.client.instances.get('c1')).instance.status, 'Running');
  const [cached, ...more] = await d.client.images.list();
  assert.deepEqual([cached?.fingerprint, cached?.cached, more.length], [v1, true, 0]);
});

test('image copy between LXD 5.0.2 and lodged with lodge: pull (with a secret), relay and push, and launch from LXD', async (t) => {
  const img = await busyboxImage();
  const [d, lxd, me] = await Promise.all([startDaemon(t), startLxd(t), CliClient.create(t)]);
  await lxd.lxc(['image', 'import', img.unified, '--alias', 'busybox']);
  // A different image on lodged (the split form has its own fingerprint), to send the other way.
  await d.lxc(['image', 'import', img.meta, img.rootfs, '--alias', 'split']);
  for (const [name, s] of [['lodge', d], ['lxd', lxd]] as const) {
    await listenOn(s);
    await me.lodge(['remote', 'add', name, await trustToken(s, `${name}-client`)]);
  }
  const fromLxd = (await lxd.lxc(['image', 'info', 'busybox'])).stdout.match(/^Fingerprint: (\S+)$/m)?.[1] ?? '';
  const fromLodge = (await d.client.images.alias('split')).target;

  // LXD → lodge: the private image pulled by lodged with a secret from LXD, then relayed by lodge.
  await me.lodge(['image', 'copy', 'lxd:busybox', 'lodge:', '--alias', 'pulled']);
  assert.equal((await d.client.images.alias('pulled')).target, fromLxd);
  await d.lodge(['image', 'delete', 'pulled']);
  await me.lodge(['image', 'copy', 'lxd:busybox', 'lodge:', '--alias', 'relayed', '--mode', 'relay']);
  assert.equal((await d.client.images.alias('relayed')).target, fromLxd);
  assert.deepEqual(await fingerprints(d), [fromLxd, fromLodge].sort());

  // lodge → LXD: pushed by lodged, and pulled by LXD.
  await me.lodge(['image', 'copy', 'lodge:split', 'lxd:', '--mode', 'push', '--alias', 'pushed']);
  assert.match((await lxd.lxc(['image', 'info', 'pushed'])).stdout, new RegExp(`^Fingerprint: ${fromLodge}$`, 'm'));
  await lxd.lxc(['image', 'delete', 'pushed']);
  await me.lodge(['image', 'copy', 'lodge:split', 'lxd:', '--alias', 'bylxd']);
  assert.match((await lxd.lxc(['image', 'info', 'bylxd'])).stdout, new RegExp(`^Fingerprint: ${fromLodge}$`, 'm'));

  // launch lxd:busybox on lodged, and lodge:split on LXD.
  await d.lodge(['image', 'delete', 'relayed']);
  await me.lodge(['launch', 'lxd:busybox', 'lodge:c1', '-q']);
  assert.equal((await d.client.instances.get('c1')).instance.status, 'Running');
  await lxd.lxc(['image', 'delete', 'bylxd']);
  await me.lodge(['launch', 'lodge:split', 'lxd:c2', '-q']);
  assert.match((await lxd.lxc(['list', 'c2', '-c', 'ns', '-f', 'csv'])).stdout, /^c2,RUNNING\n$/);
});
