// lodge exec's request (interactive or not, environment, user/group) and the console's ctrl-a q escape; launch flags.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeFilter } from './console.js';
import { execRequest } from './exec.js';
import { configFlags, parseDeviceOverrides } from './launch.js';

const tty = { stdin: true, stdout: true, size: { width: 120, height: 40 } };
const pipes = { stdin: false, stdout: false };

test('interactive only when stdin and stdout are terminals, unless -t/-T/--mode/-n say otherwise', () => {
  assert.equal(execRequest(['sh'], {}, {}, tty).interactive, true);
  assert.equal(execRequest(['sh'], {}, {}, { stdin: true, stdout: false }).interactive, false);
  assert.equal(execRequest(['sh'], { forceInteractive: true }, {}, pipes).interactive, true);
  assert.equal(execRequest(['sh'], { forceNoninteractive: true }, {}, tty).interactive, false);
  assert.equal(execRequest(['sh'], { mode: 'interactive' }, {}, pipes).interactive, true);
  assert.equal(execRequest(['sh'], { mode: 'non-interactive' }, {}, tty).interactive, false);
  assert.equal(execRequest(['sh'], { disableStdin: true, forceInteractive: true }, {}, tty).interactive, false);
  assert.throws(() => execRequest(['sh'], { forceInteractive: true, forceNoninteractive: true }, {}, tty), /You can't pass -t and -T at the same time/);
  assert.throws(() => execRequest(['sh'], { mode: 'interactive', forceInteractive: true }, {}, tty), /You can't pass -t or -T at the same time as --mode/);
});

test('the request body lxc sends: TERM copied, --env, sizes, user/group/cwd', () => {
  assert.deepEqual(execRequest(['echo', 'hi'], { env: ['A=b', 'EMPTY', 'X=1=2'], user: '1000', group: '100', cwd: '/tmp' }, { TERM: 'xterm' }, tty), {
    command: ['echo', 'hi'],
    'wait-for-websocket': true,
    interactive: true,
    environment: { TERM: 'xterm', A: 'b', EMPTY: '', X: '1=2' },
    width: 120,
    height: 40,
    'record-output': false,
    user: 1000,
    group: 100,
    cwd: '/tmp',
  });
  const plain = execRequest(['true'], {}, {}, pipes);
  assert.deepEqual([plain.environment, plain.width, plain.height, plain.user], [{}, 0, 0, 0]);
  assert.throws(() => execRequest(['true'], { user: 'root' }, {}, pipes), /invalid argument "root" for "--user" flag/);
});

test('console escape: ctrl-a arms and is swallowed, q detaches, anything else passes', () => {
  let detached = 0;
  const f = escapeFilter(() => detached++);
  assert.deepEqual(f(Buffer.from('ls\r')), Buffer.from('ls\r'));
  assert.equal(f(Buffer.from([1])), null);
  assert.deepEqual(f(Buffer.from('x')), Buffer.from('x'));
  assert.equal(detached, 0);
  assert.equal(f(Buffer.from([1])), null);
  assert.equal(f(Buffer.from('q')), null);
  assert.equal(detached, 1);
});

test('launch flags: -c key=value and -d device,key=value', () => {
  assert.deepEqual(configFlags(['limits.cpu=2', 'user.x=a=b'], { 'user.y': '1' }), { 'user.y': '1', 'limits.cpu': '2', 'user.x': 'a=b' });
  assert.throws(() => configFlags(['nokey']), /^Error: Bad key=value pair: nokey$/);
  assert.deepEqual(parseDeviceOverrides(['root,size=10GB', 'root,pool=p', 'eth0,name=x']), { root: { size: '10GB', pool: 'p' }, eth0: { name: 'x' } });
  assert.throws(() => parseDeviceOverrides(['root']), /Bad device override syntax, expecting <device>,<key>=<value>: root/);
});
