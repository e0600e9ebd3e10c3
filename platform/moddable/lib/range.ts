// Resume logic of the package download, apart from the SDK's HTTP client so it can be tested on the host.
// A cut transfer resumes with `Range: bytes=<stored>-`. The answer decides what the stored bytes are worth:
// 206 whose Content-Range starts at the stored size appends; 200 (a server that ignores Range) rewrites from
// byte 0, because a package glued from two versions would only fail later, at the hash check; 416 with a
// total equal to what is stored means the file is already whole.
import type { TransportErrorInfo } from '../../../agent/ports.js';

/** Headers for a GET that resumes at `from` (the SDK's Request takes headers as a flat name/value array). */
export function rangeHeaders(from: number): string[] {
  return from > 0 ? ['Range', `bytes=${from}-`] : [];
}

export interface ContentRange {
  /** Undefined for the unsatisfied form `bytes *\/total`. */
  start?: number;
  end?: number;
  total?: number;
}

/** Parses `bytes 100-199/200`, `bytes 100-199/*` and `bytes *\/200`; undefined when malformed. */
export function parseContentRange(value: string | undefined): ContentRange | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)\s*$/i.exec(value);
  if (!m) return undefined;
  const r: ContentRange = {};
  if (m[1] !== undefined) {
    r.start = Number(m[1]);
    r.end = Number(m[2]);
    if (r.end < r.start) return undefined;
  }
  if (m[3] !== '*') r.total = Number(m[3]);
  return r;
}

export interface ResponseFacts {
  status: number;
  /** Bytes already stored (what the Range asked to skip). */
  have: number;
  contentRange?: string;
  contentLength?: string;
  /** Largest package accepted. */
  maxBytes: number;
}

export type ResumePlan =
  | { kind: 'complete'; size: number }
  | { kind: 'write'; start: number; total?: number }
  /** discard: the stored bytes cannot be resumed from; the next attempt must start at byte 0. */
  | { kind: 'fail'; error: TransportErrorInfo; discard: boolean };

export function planResponse(f: ResponseFacts): ResumePlan {
  const cr = parseContentRange(f.contentRange);
  const fail = (message: string, retryable: boolean, kind: TransportErrorInfo['kind'] = 'http-status', discard = false): ResumePlan =>
    ({ kind: 'fail', discard, error: { kind, message, retryable, ...(kind === 'http-status' ? { httpStatus: f.status } : {}) } });
  if (f.status === 416) {
    if (f.have > 0 && cr?.total === f.have) return { kind: 'complete', size: f.have };
    return fail(`the server cannot serve bytes from ${f.have}`, f.have > 0, 'http-status', f.have > 0);
  }
  if (f.status !== 200 && f.status !== 206) return fail(`HTTP ${f.status}`, f.status >= 500);
  let start = 0;
  let total: number | undefined;
  if (f.status === 206) {
    if (cr?.start === undefined) return fail('206 without a usable Content-Range', true, 'other', true);
    // A range that does not start where our bytes end would corrupt the file: start again from 0.
    if (cr.start !== f.have) return fail(`206 for bytes from ${cr.start}, not ${f.have}`, true, 'other', true);
    start = cr.start;
    total = cr.total;
  } else {
    const n = f.contentLength !== undefined && /^\s*\d+\s*$/.test(f.contentLength) ? Number(f.contentLength) : undefined;
    total = n;
  }
  if (total !== undefined && total > f.maxBytes) {
    return fail(`package of ${total} bytes is larger than the ${f.maxBytes} bytes allowed`, false, 'other');
  }
  return total === undefined ? { kind: 'write', start } : { kind: 'write', start, total };
}
