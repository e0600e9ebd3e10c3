// One package GET over HTTP(S) with resume, shared by the file and the memory downloaders: they differ only
// in where the bytes go (a PackageSink). `Range: bytes=<stored>-` resumes a cut transfer; a server that
// ignores the Range (200 instead of 206) gets the package written again from byte 0 rather than appended, as
// a package glued from two versions would only fail later, at the hash check. Node's global agent keeps the
// connection alive, so a fleet of simulated devices reuses its sockets.
import { closeSync, existsSync, fsyncSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { DownloadRequest } from '../../agent/ports.js';
import { certificateRefusal, TransportError } from './transport-error.js';
import { withDefined } from '../../agent/util/options.js';

/** Where the bytes of one package go. */
export interface PackageSink {
  /** The answer's bytes start at `start`: what was stored past it is to be replaced. */
  begin(start: number): void;
  write(chunk: Buffer, pos: number): void;
  /** The transfer ended, whole or cut: make what arrived durable (the next attempt resumes from it). */
  end(): void;
}

/**
 * A sink that writes the package into `file`, each chunk at its position, made durable (fsync) when the
 * transfer ends: what the next attempt resumes from. A start past 0 on a file that is gone starts it anew.
 */
export function fileSink(file: string): PackageSink {
  let fd: number | undefined;
  return {
    begin: (start) => {
      fd = openSync(file, start === 0 || !existsSync(file) ? 'w' : 'r+');
    },
    write: (chunk, pos) => {
      writeSync(fd!, chunk, 0, chunk.length, pos);
    },
    end: () => {
      if (fd === undefined) return;
      fsyncSync(fd);
      closeSync(fd);
      fd = undefined;
    },
  };
}

/** The size of `file` in bytes, 0 when there is none. */
export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Up to `length` bytes of `file` from `offset` (fewer at its end). */
export function readFileRange(file: string, offset: number, length: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, offset);
    return new Uint8Array(buf.buffer, buf.byteOffset, n);
  } finally {
    closeSync(fd);
  }
}

export interface PackageGetOptions {
  /** No byte for this long ends the attempt (the agent resumes it). */
  idleTimeoutMs: number;
  /** Largest package accepted. */
  maxBytes: number;
  ca?: string | Buffer;
}

/** Longest idle timeout: 10 minutes, as transport.timeoutMs (a timer over 2^31-1 ms would fire after 1 ms). */
export const MAX_IDLE_TIMEOUT_MS = 600000;
/** Largest package limit: 4 GiB. */
const MAX_MAX_BYTES = 2 ** 32;

/** Both downloaders' options, defaulted and checked: timers and limits are never zero (Mender's lesson), nor unbounded. */
export function packageGetOptions(who: string, o: Partial<PackageGetOptions>, defaultMaxBytes: number): PackageGetOptions {
  const idleTimeoutMs = o.idleTimeoutMs ?? 30000;
  const maxBytes = o.maxBytes ?? defaultMaxBytes;
  if (!(idleTimeoutMs > 0 && idleTimeoutMs <= MAX_IDLE_TIMEOUT_MS))
    throw new Error(`${who}: idleTimeoutMs must be > 0 and at most ${MAX_IDLE_TIMEOUT_MS}, not ${idleTimeoutMs}`);
  if (!(Number.isInteger(maxBytes) && maxBytes > 0 && maxBytes <= MAX_MAX_BYTES))
    throw new Error(`${who}: maxBytes must be an integer > 0 and at most ${MAX_MAX_BYTES}, not ${maxBytes}`);
  return withDefined({ idleTimeoutMs, maxBytes }, { ca: o.ca });
}

/** Fetches `req.url` from byte `stored` into `sink`. */
export async function getPackage(
  req: DownloadRequest,
  stored: number,
  sink: PackageSink,
  o: PackageGetOptions,
): Promise<{ size: number; total?: number }> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    throw new TransportError({ kind: 'other', message: `PkgURL '${req.url}' is not a URL`, retryable: false });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TransportError({ kind: 'other', message: `PkgURL '${req.url}': only http and https are supported`, retryable: false });
  }
  const have = Math.min(req.offset, stored);
  const res = await get(url, have, o);
  const status = res.statusCode ?? 0;
  if (status === 416 && have > 0) {
    // Nothing left to send: what is stored is whole (its hash is checked by the agent).
    res.resume();
    const total = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''))?.[1];
    if (total !== undefined && Number(total) === have) return { size: have, total: have };
    throw new TransportError({
      kind: 'http-status',
      httpStatus: 416,
      message: `${url.host} cannot serve bytes from ${have}`,
      retryable: false,
    });
  }
  if (status !== 200 && status !== 206) {
    res.resume();
    throw new TransportError({
      kind: 'http-status',
      httpStatus: status,
      message: `GET ${req.url}: HTTP ${status}`,
      retryable: status >= 500,
    });
  }
  const start = status === 206 ? have : 0;
  const length = Number(res.headers['content-length'] ?? NaN);
  const total = status === 206 ? Number(/\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''))?.[1] ?? NaN) : length;
  const knownTotal = Number.isFinite(total) ? total : undefined;
  if (knownTotal !== undefined && knownTotal > o.maxBytes) {
    res.destroy();
    throw new TransportError({
      kind: 'other',
      message: `package of ${knownTotal} bytes is larger than the ${o.maxBytes} bytes allowed`,
      retryable: false,
    });
  }
  sink.begin(start);
  let pos = start;
  try {
    await new Promise<void>((resolve, reject) => {
      const idle = () => res.destroy(new Error(`no data for ${o.idleTimeoutMs} ms`));
      let timer = setTimeout(idle, o.idleTimeoutMs);
      res.on('data', (chunk: Buffer) => {
        clearTimeout(timer);
        if (pos + chunk.length > o.maxBytes) {
          res.destroy(new Error(`package larger than the ${o.maxBytes} bytes allowed`));
          return;
        }
        sink.write(chunk, pos);
        pos += chunk.length;
        req.onProgress?.(pos, knownTotal);
        timer = setTimeout(idle, o.idleTimeoutMs);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve();
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      res.on('aborted', () => {
        clearTimeout(timer);
        reject(new Error('transfer cut'));
      });
      res.on('close', () => {
        clearTimeout(timer);
        if (!res.complete) reject(new Error('transfer cut'));
      });
    });
  } catch (e) {
    sink.end();
    throw new TransportError({ kind: 'reset', message: `GET ${req.url} stopped at byte ${pos}: ${(e as Error).message}`, retryable: true });
  }
  sink.end();
  if (knownTotal !== undefined && pos !== knownTotal) {
    throw new TransportError({ kind: 'reset', message: `GET ${req.url}: ${pos} of ${knownTotal} bytes`, retryable: true });
  }
  return knownTotal !== undefined ? { size: pos, total: knownTotal } : { size: pos };
}

function get(url: URL, from: number, o: PackageGetOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const make = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = make(url, withDefined({ method: 'GET', headers: from > 0 ? { Range: `bytes=${from}-` } : {} }, { ca: o.ca }), resolve);
    req.setTimeout(o.idleTimeoutMs, () => req.destroy(new Error(`no answer within ${o.idleTimeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        certificateRefusal(e, url.host) ??
          new TransportError({
            kind: e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'ECONNRESET' ? 'reset' : 'other',
            message: `GET ${url.href}: ${e.message}`,
            retryable: true,
          }),
      ),
    );
    req.end();
  });
}
