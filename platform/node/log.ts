// Log port on the host: one line per event at or above a level, fields as JSON, to a stream (stderr by
// default so that stdout stays the device's screen).
import type { Log, LogLevel } from '../../agent/ports.js';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

export function isLogLevel(s: string): s is LogLevel {
  return s in RANK;
}

export class StreamLog implements Log {
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly level: LogLevel = 'warn',
    private readonly tag = '',
  ) {}
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (RANK[level] > RANK[this.level]) return;
    const f = fields && Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
    this.out.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${this.tag}${message}${f}\n`);
  }
}
