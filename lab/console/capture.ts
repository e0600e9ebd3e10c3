// The capture file: every message of every session, both directions, as the bytes went over the wire, one
// JSON object a line (JSON Lines). `serve --capture FILE` appends to it as the messages come; the console
// exports one session in the same form; `dm-agent decode` and `dm-agent replay` read it. JSON Lines because
// a capture cut short by a crash is still readable up to its last whole line, and a lab's scripts read it
// with any JSON library. docs/console.md documents the fields.
import { closeSync, openSync, writeSync } from 'node:fs';
import { base64Decode, base64Encode } from '../../agent/util/bytes.js';

export const CAPTURE_FORMAT = 'dm-agent-capture';
export const CAPTURE_VERSION = 1;

/** One message: who sent it, in which session, when, and its bytes. */
export interface CaptureRecord {
  /** ISO 8601 time the server received (device) or answered (server) it. */
  at: string;
  /** The console's id of the session (s1, s2 …): SessionIDs repeat, these do not. */
  session: string;
  devId: string;
  /** The SyncHdr SessionID. */
  sessionId: string;
  dir: 'device' | 'server';
  contentType: string;
  /** The server's HTTP status for its reply (a binding without one, MQTT, still records 200). */
  httpStatus?: number;
  /** The reply was not delivered (an injected lost reply): the record has no bytes. */
  lost?: boolean;
  /** A retransmitted device message, or the cached reply the server sent again. */
  retransmission?: boolean;
  /** Re-encoded with its secrets masked (a console export), so not the bytes that went over the wire. */
  masked?: boolean;
  bytes: Uint8Array;
}

interface Header {
  format: typeof CAPTURE_FORMAT;
  version: number;
  started: string;
}

export function captureHeader(now: Date = new Date()): string {
  const h: Header = { format: CAPTURE_FORMAT, version: CAPTURE_VERSION, started: now.toISOString() };
  return `${JSON.stringify(h)}\n`;
}

export function captureLine(r: CaptureRecord): string {
  const { bytes, ...rest } = r;
  return `${JSON.stringify({ ...rest, bytes: base64Encode(bytes) })}\n`;
}

/** A capture file's text looks like one (its first line is the header); used to tell it from a SyncML message. */
export function isCapture(text: string): boolean {
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  try {
    const h = JSON.parse(first) as Partial<Header>;
    return h.format === CAPTURE_FORMAT;
  } catch {
    return false;
  }
}

function bad(line: number, why: string): never {
  throw new Error(`capture line ${line}: ${why}`);
}

/** The records of a capture, in file order; a malformed line is an error naming it (a last partial line is dropped). */
export function parseCapture(text: string): CaptureRecord[] {
  const lines = text.split('\n');
  if (!isCapture(lines[0] ?? '')) bad(1, `not a ${CAPTURE_FORMAT} file (its first line must be {"format":"${CAPTURE_FORMAT}",…})`);
  const h = JSON.parse(lines[0]!) as Header;
  if (h.version !== CAPTURE_VERSION) bad(1, `version ${String(h.version)}; this dm-agent reads version ${CAPTURE_VERSION}`);
  const out: CaptureRecord[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      // A writer stopped mid-line (a crash, a power cut): the whole lines before it still count.
      if (i === lines.length - 1) break;
      bad(i + 1, `not JSON (${(e as Error).message})`);
    }
    for (const k of ['at', 'session', 'devId', 'sessionId', 'contentType', 'bytes'] as const) {
      if (typeof o[k] !== 'string') bad(i + 1, `${k} must be a string`);
    }
    if (o.dir !== 'device' && o.dir !== 'server') bad(i + 1, "dir must be 'device' or 'server'");
    let bytes: Uint8Array;
    try {
      bytes = base64Decode(o.bytes as string);
    } catch {
      bad(i + 1, 'bytes is not base64');
    }
    const r: CaptureRecord = {
      at: o.at as string,
      session: o.session as string,
      devId: o.devId as string,
      sessionId: o.sessionId as string,
      dir: o.dir,
      contentType: o.contentType as string,
      bytes,
    };
    if (typeof o.httpStatus === 'number') r.httpStatus = o.httpStatus;
    if (o.lost === true) r.lost = true;
    if (o.retransmission === true) r.retransmission = true;
    if (o.masked === true) r.masked = true;
    out.push(r);
  }
  return out;
}

/** Appends records to a capture file, opened (and its header written) at once: a file that cannot be written fails here. */
export class CaptureWriter {
  private fd: number | undefined;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'w');
    writeSync(this.fd, captureHeader());
  }

  write(r: CaptureRecord): void {
    if (this.fd !== undefined) writeSync(this.fd, captureLine(r));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
