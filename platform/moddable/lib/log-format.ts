// One log line for the device console (xsbug, or the serial monitor in a release build). Fields go as JSON,
// but a field that cannot be serialized (a cycle, a BigInt) must not turn a log call into an exception.
import type { LogLevel } from '../../../agent/ports.js';

export const LOG_RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

export function isLogLevel(s: unknown): s is LogLevel {
  return typeof s === 'string' && Object.hasOwn(LOG_RANK, s);
}

/** Longest line handed to trace(): a long message must not take a big chunk of the heap to print. */
export const MAX_LINE = 512;

export function formatLog(level: LogLevel, message: string, fields?: Record<string, unknown>): string {
  let f = '';
  if (fields && Object.keys(fields).length) {
    try {
      f = ` ${JSON.stringify(fields)}`;
    } catch {
      f = ' {unserializable fields}';
    }
  }
  let line = `${level.toUpperCase()} ${message}${f}`;
  if (line.length > MAX_LINE) line = `${line.slice(0, MAX_LINE - 3)}...`;
  return `${line}\n`;
}
