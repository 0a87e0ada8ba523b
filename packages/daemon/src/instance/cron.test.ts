// Unit tests for snapshot schedules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSchedule } from './cron.js';

const at = (s: string) => new Date(s);

test('fields, ranges, steps, names and aliases', () => {
  assert.equal(parseSchedule('* * * * *').matches(at('2026-11-21T10:07:00')), true);
  assert.equal(parseSchedule('*/15 * * * *').matches(at('2026-11-21T10:30:00')), true);
  assert.equal(parseSchedule('*/15 * * * *').matches(at('2026-11-21T10:31:00')), false);
  assert.equal(parseSchedule('0 9-17 * * mon-fri').matches(at('2026-11-23T12:00:00')), true);
  assert.equal(parseSchedule('0 9-17 * * mon-fri').matches(at('2026-11-22T12:00:00')), false);
  assert.equal(parseSchedule('@hourly').matches(at('2026-11-21T05:00:00')), true);
  assert.equal(parseSchedule('@daily').matches(at('2026-11-21T05:00:00')), false);
  assert.equal(parseSchedule('0 0 * * 7').matches(at('2026-11-22T00:00:00')), true);
  assert.equal(parseSchedule('@daily, @startup').startup, true);
  assert.equal(parseSchedule('@never').matches(at('2026-11-21T00:00:00')), false);
  assert.equal(parseSchedule('0,30 1,2 * * *').matches(at('2026-11-21T02:30:00')), true);
});

test('bad expressions throw', () => {
  for (const bad of ['* * *', '61 * * * *', '*/0 * * * *', 'x * * * *']) assert.throws(() => parseSchedule(bad), Error, bad);
});
