// Log port on the XS trace() function: lines go to xsbug in a debug build, to the serial console otherwise.
// Levels below the configured one cost nothing but a comparison.
import type { Log, LogLevel } from '../../agent/ports.js';
import { LOG_RANK, formatLog } from './lib/log-format.js';

export class TraceLog implements Log {
  constructor(private readonly level: LogLevel = 'info') {}

  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (LOG_RANK[level] > LOG_RANK[this.level]) return;
    trace(formatLog(level, message, fields));
  }
}
