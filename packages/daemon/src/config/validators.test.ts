// Unit tests for config value validators.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBool, isCpuAllowance, isCpuSet, isCron, isExpiry, isListenAddress, isSizeOrPercent, isTrue } from './validators.js';

test('booleans accept LXD spellings only', () => {
  for (const ok of ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', 'TRUE']) isBool(ok);
  assert.throws(() => isBool('maybe'));
  assert.equal(isTrue('yes'), true);
  assert.equal(isTrue('0'), false);
  assert.equal(isTrue(undefined), false);
});

test('limits.cpu takes a count or a set', () => {
  for (const ok of ['1', '4', '0-1', '0,2', '0-3,5']) isCpuSet(ok);
  for (const bad of ['0', 'two', '3-1', '1,,2', '-1']) assert.throws(() => isCpuSet(bad), Error, bad);
});

test('limits.cpu.allowance takes a percentage or a time slice', () => {
  for (const ok of ['50%', '100%', '25ms/100ms']) isCpuAllowance(ok);
  for (const bad of ['0%', '150%', '25/100', 'half', '25ms/0ms']) assert.throws(() => isCpuAllowance(bad), Error, bad);
});

test('limits.memory takes sizes or percentages, never zero', () => {
  for (const ok of ['256MB', '1GiB', '50%']) isSizeOrPercent(ok);
  for (const bad of ['0', '0%', 'lots', '12.5%']) assert.throws(() => isSizeOrPercent(bad), Error, bad);
});

test('schedules and expiries', () => {
  for (const ok of ['@hourly', '*/5 * * * *', '0 6 * * 1-5', '@daily, 0 12 * * *']) isCron(ok);
  for (const bad of ['hourly', '* * *', '@sometimes']) assert.throws(() => isCron(bad), Error, bad);
  for (const ok of ['1d', '2w 3H', '6m']) isExpiry(ok);
  for (const bad of ['1 day', 'forever', '1x']) assert.throws(() => isExpiry(bad), Error, bad);
});

test('listen addresses', () => {
  const v = isListenAddress(false);
  for (const ok of ['127.0.0.1:8443', '[::1]:8443', ':8443', '127.0.0.1']) v(ok);
  for (const bad of ['127.0.0.1:99999', '[nope]:1']) assert.throws(() => v(bad), Error, bad);
});
