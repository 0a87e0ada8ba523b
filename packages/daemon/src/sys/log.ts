// Daemon logger (pino): JSON lines to DIR/logs/lodged.log, logfmt to stderr, and a sink for logging events.
import { pino, type Logger as Pino, type Level } from 'pino';

export type LogContext = Record<string, unknown>;

export interface Logger {
  debug(msg: string, ctx?: LogContext): void;
  info(msg: string, ctx?: LogContext): void;
  warn(msg: string, ctx?: LogContext): void;
  error(msg: string, ctx?: LogContext): void;
  child(ctx: LogContext): Logger;
}

export interface LogOptions {
  file?: string;
  /** Level for stderr and the file: "debug" (--debug), "info" (--verbose) or "warn". */
  level: Level;
  stderr: boolean;
}

/** Receives every record at debug level and above while logging events are wanted. */
export type LogSink = (level: string, message: string, context: Record<string, string>) => void;

class PinoLogger implements Logger {
  constructor(readonly p: Pino) {}
  debug(msg: string, ctx?: LogContext): void {
    this.p.debug(ctx ?? {}, msg);
  }
  info(msg: string, ctx?: LogContext): void {
    this.p.info(ctx ?? {}, msg);
  }
  warn(msg: string, ctx?: LogContext): void {
    this.p.warn(ctx ?? {}, msg);
  }
  error(msg: string, ctx?: LogContext): void {
    this.p.error(ctx ?? {}, msg);
  }
  child(ctx: LogContext): Logger {
    return new PinoLogger(this.p.child(ctx));
  }
}

const reserved = new Set(['level', 'time', 'msg']);

function contextOf(rec: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec)) {
    if (reserved.has(k)) continue;
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

function logfmt(rec: Record<string, unknown>): string {
  const ctx = Object.entries(contextOf(rec))
    .map(([k, v]) => `${k}=${/[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v}`)
    .join(' ');
  return `time="${String(rec.time)}" level=${String(rec.level)} msg=${JSON.stringify(rec.msg ?? '')}${ctx ? ` ${ctx}` : ''}\n`;
}

export class LogRoot {
  readonly logger: Logger;
  private readonly pino: Pino;
  private sink?: LogSink;
  private readonly baseLevel: Level;
  private readonly fileStream?: ReturnType<typeof pino.destination>;

  constructor(opts: LogOptions) {
    this.baseLevel = opts.level;
    const streams: { level: Level; stream: { write(s: string): void } }[] = [];
    if (opts.file) {
      this.fileStream = pino.destination({ dest: opts.file, mkdir: true, sync: false });
      streams.push({ level: opts.level, stream: this.fileStream });
    }
    if (opts.stderr) streams.push({ level: opts.level, stream: { write: (s) => process.stderr.write(logfmt(JSON.parse(s) as Record<string, unknown>)) } });
    streams.push({ level: 'debug', stream: { write: (s) => this.toSink(s) } });
    this.pino = pino(
      {
        level: opts.level,
        base: undefined,
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      pino.multistream(streams),
    );
    this.logger = new PinoLogger(this.pino);
  }

  /** Lowers the level to debug while someone listens for logging events, and back after. */
  setSink(sink: LogSink | undefined): void {
    this.sink = sink;
    this.pino.level = sink ? 'debug' : this.baseLevel;
  }

  flush(): void {
    this.fileStream?.flushSync();
  }

  private toSink(line: string): void {
    if (!this.sink) return;
    const rec = JSON.parse(line) as Record<string, unknown>;
    this.sink(String(rec.level), String(rec.msg ?? ''), contextOf(rec));
  }
}
