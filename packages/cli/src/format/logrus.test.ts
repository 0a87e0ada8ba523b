// `monitor --pretty` lines as lxc prints them through logrus.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventToRecord, formatRecord, parseLevel } from './logrus.js';

const lifecycle = {
  type: 'lifecycle',
  timestamp: '2026-11-21T17:34:33.123Z',
  metadata: { action: 'profile-created', source: '/1.0/profiles/mp1', requestor: { username: 'root', protocol: 'unix', address: '@' } },
};

test('lifecycle events become info lines with the requestor', () => {
  assert.equal(
    formatRecord(eventToRecord(lifecycle), false),
    'time="2026-11-21T17:34:33Z" level=info msg="Action: profile-created, Source: /1.0/profiles/mp1, Requestor: unix/root (@)"\n',
  );
});

test('logging events keep their context, sorted and quoted only when needed', () => {
  const ev = { type: 'logging', timestamp: '2026-11-21T17:34:32Z', metadata: { message: 'Handling API request', level: 'debug', context: { url: '/1.0/events', ip: '@' } } };
  assert.equal(formatRecord(eventToRecord(ev), false), 'time="2026-11-21T17:34:32Z" level=debug msg="Handling API request" ip=@ url=/1.0/events\n');
});

test('levels parse like logrus and colour mode pads the level', () => {
  assert.equal(parseLevel('warn'), parseLevel('warning'));
  assert.equal(parseLevel('dbug'), parseLevel('debug'));
  assert.throws(() => parseLevel('loud'), /not a valid logrus Level/);
  assert.match(formatRecord(eventToRecord(lifecycle), true), /^\x1b\[36mINFO   \x1b\[0m\[2026-11-21T17:34:33Z\] Action: profile-created/);
});
