// intoChildStdin: a child that stops reading early is not an error for the producer.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { intoChildStdin } from './child-stdin.js';

function megabytes(n: number): Readable {
  let left = n;
  return new Readable({
    read() {
      this.push(left-- > 0 ? Buffer.alloc(1 << 20, 0x61) : null);
    },
  });
}

test('a child that exits after reading part of its input: the producer still drains to the end', async () => {
  const child = spawn('head', ['-c', '10'], { stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  const source = megabytes(8);
  await pipeline(source, intoChildStdin(child.stdin));
  assert.equal(await exited, 0);
  assert.equal(out, 'aaaaaaaaaa');
  assert.equal(source.readableEnded, true);
});

test('a child that reads everything gets everything, and its stdin is ended', async () => {
  const child = spawn('wc', ['-c'], { stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  await pipeline(megabytes(3), intoChildStdin(child.stdin));
  assert.equal(await exited, 0);
  assert.equal(out.trim(), String(3 << 20));
});
