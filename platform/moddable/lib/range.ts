// Resume logic of the package download, apart from the SDK's HTTP client so it can be tested on the host.
// A cut transfer resumes with `Range: bytes=<stored>-`. The answer decides what the stored bytes are worth:
// 206 whose Content-Range starts at the stored size appends; 200 (a server that ignores Range) rewrites from
// byte 0, because a package glued from two versions would only fail later, at the hash check; 416 with a
// total equal to what is stored means the file is already whole.
import type { TransportErrorInfo } from '../../../agent/ports.js';
import { digitsEnd, isDigits, isSpace } from '../../../agent/util/scan.js';
import { withDefined } from '../../../agent/util/options.js';

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

/** `s` without white space at either end (what `\s` matches). */
function trimSpace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s.charCodeAt(a))) a++;
  while (b > a && isSpace(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

/** Parses `bytes 100-199/200`, `bytes 100-199/*` and `bytes *\/200`; undefined when malformed. */
export function parseContentRange(value: string | undefined): ContentRange | undefined {
  if (value === undefined) return undefined;
  // Scanned, not matched: the header comes from the server (agent/util/scan.ts says why).
  const v = trimSpace(value);
  if (v.slice(0, 5).toLowerCase() !== 'bytes' || !isSpace(v.charCodeAt(5))) return undefined;
  let i = 6;
  while (isSpace(v.charCodeAt(i))) i++;
  const slash = v.indexOf('/', i);
  if (slash < 0) return undefined;
  const span = v.slice(i, slash);
  const total = v.slice(slash + 1);
  const r: ContentRange = {};
  if (span !== '*') {
    const dash = digitsEnd(span, 0);
    if (dash === 0 || span[dash] !== '-' || !isDigits(span.slice(dash + 1))) return undefined;
    r.start = Number(span.slice(0, dash));
    r.end = Number(span.slice(dash + 1));
    if (r.end < r.start) return undefined;
  }
  if (total !== '*') {
    if (!isDigits(total)) return undefined;
    r.total = Number(total);
  }
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
  const fail = (message: string, retryable: boolean, kind: TransportErrorInfo['kind'] = 'http-status', discard = false): ResumePlan => ({
    kind: 'fail',
    discard,
    error: withDefined({ kind, message, retryable }, { httpStatus: kind === 'http-status' ? f.status : undefined }),
  });
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
    const length = f.contentLength === undefined ? undefined : trimSpace(f.contentLength);
    const n = length !== undefined && isDigits(length) ? Number(length) : undefined;
    total = n;
  }
  if (total !== undefined && total > f.maxBytes) {
    return fail(`package of ${total} bytes is larger than the ${f.maxBytes} bytes allowed`, false, 'other');
  }
  return total === undefined ? { kind: 'write', start } : { kind: 'write', start, total };
}
