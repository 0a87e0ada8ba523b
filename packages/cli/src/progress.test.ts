// The progress line: rewritten with \r on a terminal, silent otherwise, nothing at all with --quiet.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Progress } from './progress.js';

function sink(isTTY: boolean): { out: { write(s: string): void; isTTY: boolean }; text: () => string } {
  let buf = '';
  return { out: { write: (s: string) => void (buf += s), isTTY }, text: () => buf };
}

test('on a terminal each update rewrites the line and done clears it', () => {
  const s = sink(true);
  const p = new Progress(s.out, 'Transferring image: %s', false);
  p.update('10%');
  p.update('5%');
  p.done('Image imported');
  assert.equal(s.text(), '\rTransferring image: 10%\r                        \rTransferring image: 5%\r                        \rImage imported\n');
});

test('off a terminal only the final message is printed', () => {
  const s = sink(false);
  const p = new Progress(s.out, 'Exporting the image: %s', false);
  p.update('50%');
  p.done('Image exported successfully!');
  assert.equal(s.text(), 'Image exported successfully!\n');
});

test('--quiet prints nothing', () => {
  const s = sink(true);
  const p = new Progress(s.out, 'x: %s', true);
  p.update('1%');
  p.done('done');
  assert.equal(s.text(), '');
});

test('operation progress comes from *_progress metadata', () => {
  const s = sink(true);
  const p = new Progress(s.out, '%s', false);
  p.updateOp({ metadata: { fingerprint: 'x', create_progress: 'Unpack: 40%' } } as never);
  assert.equal(s.text(), '\rUnpack: 40%');
});
