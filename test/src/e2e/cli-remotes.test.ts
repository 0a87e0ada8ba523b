// lodge with remotes over HTTPS: two lodged daemons on 127.0.0.1, `remote add` by trust password (with the
// fingerprint prompt) and by token, remote:name on commands, the trust store commands, image copy between the two,
// and the remote list and config.yml compared with lxc's. Loopback only: the default `images:` remote is never used.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeCertificateAddToken, encodeCertificateAddToken } from '@lodge/api';
import { generateCertificate } from '@lodge/client';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { CliClient, listenOn } from '../helpers/cli-client.js';
import { sameRequests } from '../helpers/debug-requests.js';
import { freePort } from '../helpers/remotes.js';

async function fingerprint(d: TestDaemon): Promise<string> {
  return (await d.client.server.get()).server.environment.certificate_fingerprint;
}

async function token(d: TestDaemon, name: string): Promise<string> {
  const out = (await d.lodge(['config', 'trust', 'add', '--name', name])).stdout;
  const m = new RegExp(`^Client ${name} certificate add token:\\n(\\S+)\\n$`).exec(out);
  assert.ok(m, out);
  return m[1] ?? '';
}

test('remote add with the trust password: the fingerprint prompt, then list, exec and info over HTTPS, as lxc', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lodge(['launch', 'busybox', 'c1', '-q']);
  const addr = await listenOn(d);
  await d.lodge(['config', 'set', 'core.trust_password', 'sekrit']);
  const fp = await fingerprint(d);

  const me = await CliClient.create(t);
  const lxc = await CliClient.create(t);
  // The SSH-style question: refused, answered wrongly, then accepted by typing the fingerprint.
  const prompt = `Certificate fingerprint: ${fp}\nok (y/n/[fingerprint])? `;
  const nack = await me.lodge(['remote', 'add', 'r1', addr], { input: 'n\n', allowFail: true });
  assert.deepEqual([nack.code, nack.stdout, nack.stderr], [1, prompt, 'Generating a client certificate. This may take a minute...\nError: Server certificate NACKed by user\n']);
  const theirs = await lxc.lxc(['remote', 'add', 'r1', addr], { input: 'n\n', allowFail: true });
  assert.equal(theirs.stdout, nack.stdout);
  assert.equal(theirs.stderr.split('\n').slice(-2).join('\n'), nack.stderr.split('\n').slice(-2).join('\n'));
  const huh = await me.lodge(['remote', 'add', 'r1', addr], { input: 'maybe\n', allowFail: true });
  assert.equal(huh.stderr, "Error: Please type 'y', 'n' or the fingerprint:\n");
  const eof = await me.lodge(['remote', 'add', 'r1', addr], { input: '', allowFail: true });
  assert.equal(eof.stderr, 'Error: EOF\n');
  assert.doesNotMatch(await me.config().catch(() => ''), /r1/);

  // A wrong password adds nothing (the certificate, once accepted, stays pinned, as with lxc).
  const wrong = await me.lodge(['remote', 'add', 'r1', addr, '--password', 'nope'], { input: `${fp}\n`, allowFail: true });
  assert.deepEqual([wrong.code, wrong.stdout, wrong.stderr], [1, prompt, 'Error: not authorized\n']);
  assert.equal((await d.client.certificates.list()).length, 0);
  assert.equal((await me.lodge(['remote', 'list', '-f', 'csv'])).stdout.includes('r1'), false);
  await rm(join(me.dir, 'servercerts', 'r1.crt'));

  // The fingerprint, then the password from the prompt.
  const added = await me.lodge(['remote', 'add', 'r1', addr], { input: `${fp}\nsekrit\n` });
  assert.equal(added.stdout, `${prompt}Admin password (or token) for r1: \nClient certificate now trusted by server: r1\n`);
  assert.equal((await stat(join(me.dir, 'client.key'))).mode & 0o777, 0o600);
  assert.equal(await readFile(join(me.dir, 'servercerts', 'r1.crt'), 'utf8'), (await d.client.server.get()).server.environment.certificate);
  await lxc.lxc(['remote', 'add', 'r1', addr, '--accept-certificate', '--password', 'sekrit']);
  const noProject = await me.lodge(['remote', 'add', 'r1p', addr, '--accept-certificate', '--project', 'nosuch'], { allowFail: true });
  assert.equal(noProject.stderr, 'Error: Project not found\n');

  // config.yml and remote list are lxc's, byte for byte.
  assert.equal(await me.config(), await lxc.config());
  for (const f of ['table', 'csv', 'json', 'yaml', 'compact']) {
    assert.equal((await me.lodge(['remote', 'list', '-f', f])).stdout, (await lxc.lxc(['remote', 'list', '-f', f])).stdout, f);
  }
  assert.equal((await me.lodge(['remote', 'get-default'])).stdout, 'local\n');

  assert.equal((await me.lodge(['list', 'r1:', '-c', 'ns', '-f', 'csv'])).stdout, 'c1,RUNNING\n');
  assert.equal((await me.lodge(['list', 'r1:'])).stdout, (await lxc.lxc(['list', 'r1:'])).stdout);
  assert.equal((await me.lodge(['exec', 'r1:c1', '--', 'true'])).code, 0);
  const ex = await me.lodge(['exec', 'r1:c1', '--', 'sh', '-c', 'cat; echo err >&2; exit 3'], { input: 'in\n', allowFail: true });
  assert.deepEqual([ex.code, ex.stdout, ex.stderr], [3, 'in\n', 'err\n']);
  assert.match((await me.lodge(['info', 'r1:'])).stdout, /\nauth: trusted\n/);
  assert.equal((await me.lodge(['info', 'r1:c1'])).stdout.split('\n')[0], 'Name: c1');
  await me.lodge(['snapshot', 'r1:c1', 'over-https']);
  assert.deepEqual((await d.client.instances.snapshots('c1')).map((s) => s.name), ['over-https']);
  await me.lodge(['config', 'set', 'r1:c1', 'user.via', 'https']);
  assert.equal((await d.client.instances.get('c1')).instance.config['user.via'], 'https');

  // The trust store as lxc lists it; removing our certificate makes the server refuse us.
  for (const f of ['table', 'csv', 'json']) {
    assert.equal((await me.lodge(['config', 'trust', 'list', 'r1:', '-f', f])).stdout, (await lxc.lxc(['config', 'trust', 'list', 'r1:', '-f', f])).stdout, f);
  }
  const certs = await d.client.certificates.list();
  assert.equal(certs.length, 2);
  assert.equal((await me.lodge(['config', 'trust', 'show', `r1:${certs[0]?.fingerprint}`])).stdout, (await lxc.lxc(['config', 'trust', 'show', `r1:${certs[0]?.fingerprint}`])).stdout);
  const myCert = await readFile(join(me.dir, 'client.crt'), 'utf8');
  const myEntry = certs.find((c) => c.certificate.trim() === myCert.trim());
  assert.ok(myEntry, 'our client certificate is in the trust store');
  await lxc.lxc(['config', 'trust', 'remove', `r1:${myEntry.fingerprint.slice(0, 12)}`]);
  const refused = await me.lodge(['list', 'r1:'], { allowFail: true });
  assert.deepEqual([refused.code, refused.stderr], [1, 'Error: not authorized\n']);
  assert.match((await me.lodge(['info', 'r1:'])).stdout, /\nauth: untrusted\n/);

  // A server whose certificate changed is refused instead of trusted silently.
  await writeFile(join(me.dir, 'servercerts', 'r1.crt'), (await generateCertificate({ kind: 'server', commonName: 'other' })).cert);
  const pinned = await me.lodge(['list', 'r1:'], { allowFail: true });
  assert.equal(pinned.code, 1);
  assert.match(pinned.stderr, /^Error: .*certificate/);
});

test('remote add with a token: its addresses are tried in turn and its fingerprint checked; trust commands', async (t) => {
  const d = await startDaemon(t);
  const addr = await listenOn(d);
  const me = await CliClient.create(t);

  const t1 = await token(d, 'alice');
  const listed = await d.lodge(['config', 'trust', 'list-tokens', '-f', 'csv']);
  assert.equal(listed.stdout, `alice,${t1},\n`);
  assert.equal(listed.stdout, (await d.lxc(['config', 'trust', 'list-tokens', '-f', 'csv'])).stdout);
  assert.equal((await d.lodge(['config', 'trust', 'list-tokens'])).stdout, (await d.lxc(['config', 'trust', 'list-tokens'])).stdout);

  // The first address is dead: the client moves on to the next one, without any question.
  const raw = decodeCertificateAddToken(t1);
  assert.ok(raw);
  const detour = encodeCertificateAddToken({ ...raw, addresses: [`127.0.0.1:${await freePort()}`, addr] });
  const added = await me.lodge(['remote', 'add', 'r1', detour]);
  assert.deepEqual([added.stdout, added.stderr], ['', 'Generating a client certificate. This may take a minute...\n']);
  assert.deepEqual((await d.client.certificates.list()).map((c) => [c.name, c.type]), [['alice', 'client']]);
  assert.equal((await me.lodge(['list', 'r1:', '-f', 'csv'])).stdout, '');
  // As lxc saves a remote added by token: no auth_type (tls is assumed when reading it back).
  assert.match(await me.config(), /\n {2}r1:\n {4}addr: https:\/\/127\.0\.0\.1:\d+\n {4}project: default\n {4}protocol: lxd\n {4}public: false\n/);

  // Used tokens are gone; a token naming another server's certificate is refused before anything is sent.
  const other = await CliClient.create(t);
  const reused = await other.lodge(['remote', 'add', 'r1', t1], { allowFail: true });
  assert.equal(reused.stderr.split('\n').slice(-2)[0], 'Error: Failed to create certificate: No matching certificate add operation found');
  const t2 = decodeCertificateAddToken(await token(d, 'bob'));
  assert.ok(t2);
  const forged = encodeCertificateAddToken({ ...t2, fingerprint: 'ab'.repeat(32) });
  const mismatch = await other.lodge(['remote', 'add', 'r2', forged], { allowFail: true });
  assert.equal(mismatch.stderr, `Error: Certificate fingerprint mismatch between certificate token and server "https://${addr}"\n`);
  assert.equal((await d.client.certificates.list()).length, 1);

  // No address answers: lxc's last chance question.
  const dead = encodeCertificateAddToken({ ...t2, addresses: [`127.0.0.1:${await freePort()}`] });
  const gaveUp = await other.lodge(['remote', 'add', 'r3', dead], { input: '\n', allowFail: true });
  assert.equal(gaveUp.stdout, 'All server addresses are unavailable\nPlease provide an alternate server address (empty to abort): ');
  assert.equal(gaveUp.stderr, 'Error: Failed to add remote\n');
  const rescued = await other.lodge(['remote', 'add', 'r3', dead], { input: `https://${addr}\n` });
  assert.equal(rescued.code, 0);
  assert.equal((await other.lodge(['list', 'r3:', '-f', 'csv'])).code, 0);

  const revoked = await d.lodge(['config', 'trust', 'add', '--name', 'carol', '-q']);
  assert.match(revoked.stdout, /^\S+\n$/);
  assert.equal((await d.lodge(['config', 'trust', 'revoke-token', 'carol'])).stdout, 'Certificate add token for carol deleted\n');
  const none = await d.lodge(['config', 'trust', 'revoke-token', 'carol'], { allowFail: true });
  assert.equal(none.stderr, (await d.lxc(['config', 'trust', 'revoke-token', 'carol'], { allowFail: true })).stderr);
  assert.equal((await d.lodge(['config', 'trust', 'list-tokens', '-f', 'csv'])).stdout, '');

  // Certificates added from a file get the file's name; show and edit them; remove by fingerprint prefix.
  const dir = await mkdtemp(join(tmpdir(), 'lodge-cert-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pair = await generateCertificate({ kind: 'client', commonName: 'file@test' });
  await writeFile(join(dir, 'ci.crt'), pair.cert);
  await d.lodge(['config', 'trust', 'add', join(dir, 'ci.crt'), '--restricted', '--projects', 'default']);
  const entry = (await d.client.certificates.list()).find((c) => c.name === 'ci.crt');
  assert.ok(entry);
  assert.deepEqual([entry.restricted, entry.projects], [true, ['default']]);
  assert.equal((await d.lodge(['config', 'trust', 'show', entry.fingerprint])).stdout, (await d.lxc(['config', 'trust', 'show', entry.fingerprint])).stdout);
  const shown = (await d.lodge(['config', 'trust', 'show', entry.fingerprint])).stdout;
  await d.lodge(['config', 'trust', 'edit', entry.fingerprint], { input: shown.replace('name: ci.crt', 'name: renamed').replace('restricted: true', 'restricted: false') });
  assert.equal((await d.client.certificates.get(entry.fingerprint)).certificate.name, 'renamed');
  assert.equal((await d.lodge(['config', 'trust', 'list'])).stdout, (await d.lxc(['config', 'trust', 'list'])).stdout);
  await d.lodge(['config', 'trust', 'remove', entry.fingerprint.slice(0, 12)]);
  assert.deepEqual((await d.client.certificates.list()).map((c) => c.name).sort(), ['alice', 'bob']);
  const bad = await d.lodge(['config', 'trust', 'add', join(dir, 'nosuch.crt')], { allowFail: true });
  assert.equal(bad.stderr, `Error: open ${join(dir, 'nosuch.crt')}: no such file or directory\n`);
  const badType = await d.lodge(['config', 'trust', 'add', '--type', 'server'], { allowFail: true });
  assert.equal(badType.stderr, (await d.lxc(['config', 'trust', 'add', '--type', 'server'], { allowFail: true })).stderr);
});

test('remote list, rename, set-url, switch and remove change config.yml as lxc does; one server by two remotes', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  const addr = await listenOn(d);
  await d.lodge(['config', 'set', 'core.trust_password', 'sekrit']);
  const me = await CliClient.create(t, d);
  const lxc = await CliClient.create(t, d);
  for (const c of [me, lxc]) {
    const tool = c === me ? c.lodge.bind(c) : c.lxc.bind(c);
    await tool(['remote', 'add', 'r1', addr, '--accept-certificate', '--password', 'sekrit']);
    await tool(['remote', 'add', 'stream', 'https://images.example.invalid', '--protocol', 'simplestreams']);
    await tool(['remote', 'add', 'pub', addr, '--public', '--accept-certificate']);
    await tool(['remote', 'rename', 'r1', 'r2']);
    await tool(['remote', 'set-url', 'stream', 'https://mirror.example.invalid']);
    await tool(['remote', 'switch', 'r2']);
    await tool(['remote', 'remove', 'images']);
  }
  assert.equal(await me.config(), await lxc.config());
  assert.equal((await me.lodge(['remote', 'list'])).stdout, (await lxc.lxc(['remote', 'list'])).stdout);
  assert.equal((await me.lodge(['remote', 'get-default'])).stdout, 'r2\n');
  await stat(join(me.dir, 'servercerts', 'r2.crt'));
  // The default remote is now r2: names without a prefix go there.
  assert.equal((await me.lodge(['list', '-f', 'csv'])).code, 0);
  assert.equal((await me.lodge(['image', 'list', 'pub:'])).stdout, (await lxc.lxc(['image', 'list', 'pub:'])).stdout);

  for (const args of [
    ['remote', 'remove', 'r2'],
    ['remote', 'remove', 'local'],
    ['remote', 'remove', 'nosuch'],
    ['remote', 'rename', 'local', 'x'],
    ['remote', 'rename', 'pub', 'r2'],
    ['remote', 'set-url', 'ubuntu', 'https://x'],
    ['remote', 'switch', 'nosuch'],
    ['remote', 'add', 'r2', addr],
    ['remote', 'add', 'a:b', addr],
    ['remote', 'add', 'x', 'http://127.0.0.1:1'],
    ['remote', 'add', 'x', '127.0.0.1:1', '--protocol', 'nope'],
    ['remote', 'add', 'x', 'images.example.invalid', '--protocol', 'simplestreams'],
    ['list', 'stream:'],
    ['list', 'pub:'],
  ]) {
    const m = await me.lodge(args, { allowFail: true });
    const l = await lxc.lxc(args, { allowFail: true });
    assert.equal(m.code, 1, args.join(' '));
    assert.equal(m.stderr, l.stderr, args.join(' '));
  }
  // Unreachable servers: lodge names the TCP dial error as Go does.
  const down = await me.lodge(['remote', 'add', 'x', `127.0.0.1:${await freePort()}`, '--accept-certificate'], { allowFail: true });
  assert.match(down.stderr, /^Error: .*connect: connection refused\n$/);

  // One server reached two ways (unix socket and HTTPS) has two URLs: lxc migrates rather than copying locally, in
  // every mode, and so does lodge, with the same requests.
  await d.lodge(['launch', 'busybox', 'c1', '-q']);
  await d.lodge(['exec', 'c1', '--', 'sh', '-c', 'echo marked > /root/m']);
  await d.lodge(['stop', 'c1', '--force']);
  for (const mode of ['pull', 'push', 'relay']) {
    const mine = await me.lodge(['copy', 'local:c1', `r2:mine-${mode}`, '--mode', mode, '--debug']);
    const theirs = await lxc.lxc(['copy', 'local:c1', `r2:lxc-${mode}`, '--mode', mode, '--debug']);
    sameRequests(mine.stderr, theirs.stderr, [`mine-${mode}`, `lxc-${mode}`], mode);
    assert.match(mine.stderr, /"type":"migration"/, mode);
    await d.lodge(['start', `mine-${mode}`]);
    assert.equal((await d.lodge(['exec', `mine-${mode}`, '--', 'cat', '/root/m'])).stdout, 'marked\n');
  }
  await me.lodge(['move', 'local:c1', 'r2:moved', '--mode', 'relay']);
  assert.deepEqual((await d.client.instances.names()).sort(), ['lxc-pull', 'lxc-push', 'lxc-relay', 'mine-pull', 'mine-push', 'mine-relay', 'moved']);
});

test('image copy between two lodged in pull, push and relay modes (private images by secret), launch remote:image', async (t) => {
  const d1 = await (await startDaemon(t)).withBusybox();
  const d2 = await startDaemon(t);
  await listenOn(d1);
  await listenOn(d2);
  const me = await CliClient.create(t, d2);
  await me.lodge(['remote', 'add', 'r1', await token(d1, 'me')]);
  await me.lodge(['remote', 'add', 'r2', await token(d2, 'me')]);
  const fp = (await d1.client.images.alias('busybox')).target;
  const gone = async (): Promise<void> => {
    await d2.lodge(['image', 'delete', fp]);
    assert.deepEqual(await d2.client.images.list(), []);
  };

  // The private image in each mode, with lxc's requests: pull hands the target a one-time secret from the source.
  for (const mode of ['pull', 'push', 'relay']) {
    const mine = await me.lodge(['image', 'copy', 'r1:busybox', 'r2:', '--mode', mode, '--alias', 'bb', '--debug']);
    assert.equal(mine.stdout, 'Image copied successfully!\n');
    const copied = (await d2.client.images.get(fp)).image;
    assert.deepEqual([copied.public, copied.aliases.map((x) => x.name)], [false, ['bb']], mode);
    await me.lodge(['launch', 'r2:bb', `r2:from-${mode}`, '-q']);
    assert.equal((await d2.client.instances.get(`from-${mode}`)).instance.status, 'Running');
    await gone();
    const theirs = await me.lxc(['image', 'copy', 'r1:busybox', 'r2:', '--mode', mode, '--alias', 'bb', '--debug']);
    sameRequests(mine.stderr, theirs.stderr, ['', ''], mode);
    await gone();
  }
  assert.match((await me.lodge(['image', 'copy', 'r1:busybox', 'r2:', '--debug', '-q'])).stderr, /"secret":"[0-9a-f]{16,}"/);
  await gone();

  // Relay with the source's aliases, public, then into a project of the target.
  const relay = await me.lodge(['image', 'copy', 'r1:busybox', 'r2:', '--mode', 'relay', '--alias', 'bb', '--copy-aliases', '--public']);
  assert.equal(relay.stdout, 'Image copied successfully!\n');
  const copied = (await d2.client.images.get(fp)).image;
  assert.deepEqual([copied.public, copied.aliases.map((x) => x.name).sort()], [true, ['bb', 'busybox']]);
  assert.equal((await me.lodge(['image', 'list', 'r2:', '-c', 'lfp', '-f', 'csv'])).stdout, `bb (1 more),${fp.slice(0, 12)},yes\n`);
  await d2.lodge(['project', 'create', 'p2']);
  await me.lodge(['image', 'copy', 'r1:busybox', 'r2:', '--mode', 'push', '--target-project', 'p2', '-q']);
  assert.equal((await d2.client.useProject('p2').images.get(fp)).image.fingerprint, fp);
  const same = await me.lodge(['image', 'copy', 'r1:busybox', 'r1:'], { allowFail: true });
  assert.equal(same.stderr, 'Error: The source and target servers must be different\n');
  const named = await me.lodge(['image', 'copy', 'r1:busybox', 'r2:x'], { allowFail: true });
  assert.equal(named.stderr, "Error: Can't provide a name for the target image\n");
  const auto = await me.lodge(['image', 'copy', 'r1:busybox', 'r2:', '--mode', 'relay', '--auto-update'], { allowFail: true });
  assert.equal(auto.stderr, 'Error: Auto update is only available in pull mode\n');

  // A public image is pulled by its alias, which the target keeps following (auto-update), as with lxc.
  await d2.lodge(['image', 'delete', fp]);
  await d1.lodge(['image', 'edit', 'busybox'], { input: (await d1.lodge(['image', 'show', 'busybox'])).stdout.replace('public: false', 'public: true') });
  const pull = await me.lodge(['image', 'copy', 'r1:busybox', 'r2:', '--auto-update', '--debug']);
  const pulled = (await d2.client.images.get(fp)).image;
  assert.deepEqual([pulled.auto_update, pulled.update_source?.alias, pulled.update_source?.protocol], [true, 'busybox', 'lxd']);
  await d2.lodge(['image', 'delete', fp]);
  sameRequests(pull.stderr, (await me.lxc(['image', 'copy', 'r1:busybox', 'r2:', '--auto-update', '--debug'])).stderr, ['', ''], 'public pull');

  // launch r1:busybox on d2 (the local remote): the image comes over, cached, and the instance runs.
  await d2.lodge(['image', 'delete', fp]);
  await me.lodge(['launch', 'r1:busybox', 'c2', '-q']);
  const c2 = (await d2.client.instances.get('c2')).instance;
  assert.deepEqual([c2.status, c2.config['volatile.base_image']], ['Running', fp]);
  assert.equal((await d2.client.images.get(fp)).image.cached, true);
});
