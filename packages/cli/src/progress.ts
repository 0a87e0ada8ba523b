// One `\r`-rewritten progress line, as lxc's ProgressRenderer draws it; updates only on a terminal, nothing with --quiet.
import { Transform } from 'node:stream';
import type { Operation } from '@lodge/api';
import { byteSize } from './format/units.js';

export interface ProgressOut {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class Progress {
  private maxLength = 0;
  private finished = false;

  constructor(
    private readonly out: ProgressOut,
    private readonly format: string,
    private readonly quiet: boolean,
  ) {}

  /** Messages wider than the terminal are dropped rather than wrapped (a wrapped line cannot be rewritten). */
  private truncate(msg: string): string {
    const width = this.out.columns;
    return width !== undefined && width > 0 && width < msg.length ? '' : msg;
  }

  private draw(msg: string): void {
    if (msg.length > this.maxLength) this.maxLength = msg.length;
    else this.out.write(`\r${' '.repeat(this.maxLength)}`);
    this.out.write(msg);
  }

  update(status: string): void {
    if (this.finished || this.quiet || !this.out.isTTY) return;
    const msg = `\r${this.truncate(this.format.replace('%s', status))}`;
    if (msg.length === 1 && this.maxLength === 0) return;
    this.draw(msg);
  }

  /** Operation metadata keys ending in `_progress` carry the daemon's progress text. */
  updateOp(op: Operation): void {
    for (const [k, v] of Object.entries(op.metadata ?? {})) {
      if (k.endsWith('_progress') && typeof v === 'string') {
        this.update(v);
        return;
      }
    }
  }

  /** Clears the line and prints the final message (kept even off a terminal, without the `\r`). */
  done(message = ''): void {
    if (this.finished) return;
    this.finished = true;
    const msg = this.quiet ? '' : this.truncate(message);
    if (!this.out.isTTY) {
      if (msg) this.out.write(`${msg}\n`);
      return;
    }
    if (msg === '' && this.maxLength === 0) return;
    const line = msg ? `${msg}\n` : '';
    if (line.length > this.maxLength) this.maxLength = line.length;
    else this.out.write(`\r${' '.repeat(this.maxLength)}`);
    this.out.write('\r');
    this.out.write(line);
  }
}

/** ioprogress.ProgressTracker: percent steps of ~1% when the length is known, else one update a second. */
export class Tracker {
  private readonly start = Date.now();
  private last = Date.now();
  private lastPercent = 0;

  constructor(private readonly onText: (text: string) => void) {}

  update(received: number, total: number): void {
    const elapsed = (Date.now() - this.start) / 1000;
    const speed = elapsed > 0 ? Math.floor(received / elapsed) : 0;
    if (total > 0) {
      const percent = (received / total) * 100;
      if (percent - this.lastPercent < 0.9) return;
      this.lastPercent = percent;
      this.onText(`${Math.min(100, 1 + Math.floor(percent))}% (${byteSize(speed, 2)}/s)`);
      return;
    }
    if (Date.now() - this.last < 1000) return;
    this.last = Date.now();
    this.onText(`${byteSize(received, 2)} (${byteSize(speed, 2)}/s)`);
  }
}

/** Counts bytes through a stream (the running total goes to `onBytes`), for the progress line. */
export function byteCounter(onBytes: (n: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      total += chunk.length;
      onBytes(total);
      cb(null, chunk);
    },
  });
}
