// Prompts: lines read one at a time from stdin (the rest kept for the next question) and lxc's fingerprint answers.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { LineReader, checkFingerprintAnswer } from './prompt.js';

test('the fingerprint question: y or the exact fingerprint accepts, n or nothing refuses, anything else is an error', () => {
  const fp = 'ab'.repeat(32);
  for (const ok of ['y', 'Y', 'yes', 'yolo', fp]) assert.doesNotThrow(() => checkFingerprintAnswer(ok, fp), ok);
  for (const no of ['', 'n', 'N', 'no']) assert.throws(() => checkFingerprintAnswer(no, fp), /^Error: Server certificate NACKed by user$/, no);
  for (const bad of ['maybe', fp.slice(0, 12), ' y']) assert.throws(() => checkFingerprintAnswer(bad, fp), /^Error: Please type 'y', 'n' or the fingerprint:$/, bad);
});

test('lines come one per question, across chunk boundaries; EOF before any byte is an error', async () => {
  const input = new PassThrough();
  const r = new LineReader(input);
  input.write('fing');
  const first = r.line();
  input.write('erprint\r\nsekrit\nrest');
  assert.equal(await first, 'fingerprint');
  assert.equal(await r.line(), 'sekrit');
  input.end();
  assert.equal(await r.line(), 'rest');
  await assert.rejects(r.line(), /^Error: EOF$/);
  // Not a terminal: a password is a line.
  const p = new PassThrough();
  const pr = new LineReader(p);
  p.end('pw\n');
  assert.equal(await pr.password(), 'pw');
});

test('on a terminal a password is read raw, without echo; backspace edits and Enter ends it', async () => {
  const input = Object.assign(new PassThrough(), { isTTY: true, raw: false, setRawMode(this: { raw: boolean }, v: boolean) { this.raw = v; } });
  const r = new LineReader(input);
  const pw = r.password();
  assert.equal(input.raw, true);
  input.write('sekx\u007frit\r');
  assert.equal(await pw, 'sekrit');
  assert.equal(input.raw, false);
  const aborted = r.password();
  input.write('\u0003');
  await assert.rejects(aborted, /interrupted/);
  assert.equal(input.raw, false);
});
