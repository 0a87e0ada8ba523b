// Prompts: lines read from stdin one at a time (leftover bytes kept for the next prompt), passwords without echo on a
// terminal, and the answer rules of lxc's certificate fingerprint question.

interface Stdin extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
}

/** Reads lines from a stream on demand; what follows a line stays buffered for the next call. */
export class LineReader {
  private buf = '';
  private ended = false;
  private waiter?: () => void;
  private attached = false;

  constructor(private readonly input: Stdin) {}

  private attach(): void {
    if (this.attached) return;
    this.attached = true;
    this.input.on('data', (c: Buffer | string) => {
      this.buf += c.toString();
      this.waiter?.();
    });
    this.input.on('end', () => {
      this.ended = true;
      this.waiter?.();
    });
    this.input.on('error', () => {
      this.ended = true;
      this.waiter?.();
    });
  }

  private async next(stop: (buf: string) => number): Promise<{ text: string; found: boolean }> {
    this.attach();
    this.input.resume();
    try {
      for (;;) {
        const i = stop(this.buf);
        if (i >= 0) {
          const text = this.buf.slice(0, i);
          this.buf = this.buf.slice(i + 1);
          return { text, found: true };
        }
        if (this.ended) {
          const text = this.buf;
          this.buf = '';
          return { text, found: false };
        }
        await new Promise<void>((r) => (this.waiter = r));
        this.waiter = undefined;
      }
    } finally {
      this.input.pause();
    }
  }

  /** A line without "\n" (and "\r"); rejects with "EOF" when nothing came before the end, as Go's ReadLine. */
  async line(): Promise<string> {
    const { text, found } = await this.next((b) => b.indexOf('\n'));
    if (!found && text === '') throw new Error('EOF');
    return text.replace(/\r$/, '');
  }

  /** On a terminal: raw mode, no echo, until Enter (backspace edits, ctrl-c aborts); otherwise a line. */
  async password(): Promise<string> {
    const raw = this.input.isTTY === true && typeof this.input.setRawMode === 'function';
    if (!raw) return this.line();
    this.input.setRawMode?.(true);
    try {
      const { text } = await this.next((b) => {
        const i = b.search(/[\r\n\u0003]/);
        if (i >= 0 && b[i] === '\u0003') throw new Error('interrupted');
        return i;
      });
      let out = '';
      for (const ch of text) {
        if (ch === '\u007f' || ch === '\b') out = out.slice(0, -1);
        else out += ch;
      }
      return out;
    } finally {
      this.input.setRawMode?.(false);
    }
  }

  close(): void {
    this.input.pause();
  }
}

/**
 * lxc's answer rules for "ok (y/n/[fingerprint])?": the exact fingerprint or anything starting with y/Y accepts;
 * nothing or n/N refuses; anything else is an error.
 */
export function checkFingerprintAnswer(line: string, digest: string): void {
  if (line === digest) return;
  const first = line.slice(0, 1).toLowerCase();
  if (first === '' || first === 'n') throw new Error('Server certificate NACKed by user');
  if (first !== 'y') throw new Error("Please type 'y', 'n' or the fingerprint:");
}
