// Downloader port over HTTP(S) into a folder: each package is one file that grows as bytes arrive, so a cut
// transfer resumes with `Range: bytes=<stored>-`. A server that ignores the Range (200 instead of 206) is
// written from byte 0 again rather than appended: a package glued from two versions would only fail later,
// at the hash check. The stored file is fsynced before fetch() resolves.
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { Downloader, DownloadRequest } from '../../agent/ports.js';
import { TransportError } from './transport-error.js';

export interface HttpDownloaderOptions {
  /** No byte for this long ends the attempt (the agent resumes it); default 30000. */
  idleTimeoutMs?: number;
  /** Largest package accepted; default 64 MiB. */
  maxBytes?: number;
  ca?: string | Buffer;
}

const SAFE = /[^A-Za-z0-9._-]/g;

export class HttpDownloader implements Downloader {
  private readonly idleTimeoutMs: number;
  private readonly maxBytes: number;

  constructor(readonly dir: string, private readonly o: HttpDownloaderOptions = {}) {
    this.idleTimeoutMs = o.idleTimeoutMs ?? 30000;
    this.maxBytes = o.maxBytes ?? 64 << 20;
    if (!(this.idleTimeoutMs > 0)) throw new Error(`HttpDownloader: idleTimeoutMs must be > 0, not ${this.idleTimeoutMs}`);
    if (!(this.maxBytes > 0)) throw new Error(`HttpDownloader: maxBytes must be > 0, not ${this.maxBytes}`);
    mkdirSync(dir, { recursive: true });
  }

  /** The package's file: ids become plain names, with a prefix no key of the Storage port can take. */
  path(id: string): string {
    return join(this.dir, `pkg-${id.replace(SAFE, '_')}.bin`);
  }

  storedSize(id: string): number {
    try {
      return statSync(this.path(id)).size;
    } catch {
      return 0;
    }
  }

  read(id: string, offset: number, length: number): Uint8Array {
    const fd = openSync(this.path(id), 'r');
    try {
      const buf = Buffer.alloc(length);
      const n = readSync(fd, buf, 0, length, offset);
      return new Uint8Array(buf.buffer, buf.byteOffset, n);
    } finally {
      closeSync(fd);
    }
  }

  discard(id: string): void {
    rmSync(this.path(id), { force: true });
  }

  async fetch(req: DownloadRequest): Promise<{ size: number; total?: number }> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      throw new TransportError({ kind: 'other', message: `PkgURL '${req.url}' is not a URL`, retryable: false });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TransportError({ kind: 'other', message: `PkgURL '${req.url}': only http and https are supported`, retryable: false });
    }
    const have = Math.min(req.offset, this.storedSize(req.id));
    const res = await this.get(url, have);
    const status = res.statusCode ?? 0;
    if (status === 416 && have > 0) {
      // Nothing left to send: the stored file is whole (its hash is checked by the agent).
      res.resume();
      const total = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''))?.[1];
      if (total !== undefined && Number(total) === have) return { size: have, total: have };
      throw new TransportError({ kind: 'http-status', httpStatus: 416, message: `${url.host} cannot serve bytes from ${have}`, retryable: false });
    }
    if (status !== 200 && status !== 206) {
      res.resume();
      throw new TransportError({ kind: 'http-status', httpStatus: status, message: `GET ${req.url}: HTTP ${status}`, retryable: status >= 500 });
    }
    const start = status === 206 ? have : 0;
    const length = Number(res.headers['content-length'] ?? NaN);
    const total = status === 206 ? Number(/\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''))?.[1] ?? NaN) : length;
    const knownTotal = Number.isFinite(total) ? total : undefined;
    if (knownTotal !== undefined && knownTotal > this.maxBytes) {
      res.destroy();
      throw new TransportError({ kind: 'other', message: `package of ${knownTotal} bytes is larger than the ${this.maxBytes} bytes allowed`, retryable: false });
    }
    const fd = openSync(this.path(req.id), start === 0 ? 'w' : 'r+');
    let pos = start;
    try {
      await new Promise<void>((resolve, reject) => {
        const idle = () => res.destroy(new Error(`no data for ${this.idleTimeoutMs} ms`));
        let timer = setTimeout(idle, this.idleTimeoutMs);
        res.on('data', (chunk: Buffer) => {
          clearTimeout(timer);
          if (pos + chunk.length > this.maxBytes) {
            res.destroy(new Error(`package larger than the ${this.maxBytes} bytes allowed`));
            return;
          }
          writeSync(fd, chunk, 0, chunk.length, pos);
          pos += chunk.length;
          req.onProgress?.(pos, knownTotal);
          timer = setTimeout(idle, this.idleTimeoutMs);
        });
        res.on('end', () => { clearTimeout(timer); resolve(); });
        res.on('error', (e) => { clearTimeout(timer); reject(e); });
        res.on('aborted', () => { clearTimeout(timer); reject(new Error('transfer cut')); });
        res.on('close', () => { clearTimeout(timer); if (!res.complete) reject(new Error('transfer cut')); });
      });
    } catch (e) {
      fsyncSync(fd);
      closeSync(fd);
      throw new TransportError({ kind: 'reset', message: `GET ${req.url} stopped at byte ${pos}: ${(e as Error).message}`, retryable: true });
    }
    fsyncSync(fd);
    closeSync(fd);
    if (knownTotal !== undefined && pos !== knownTotal) {
      throw new TransportError({ kind: 'reset', message: `GET ${req.url}: ${pos} of ${knownTotal} bytes`, retryable: true });
    }
    return knownTotal !== undefined ? { size: pos, total: knownTotal } : { size: pos };
  }

  private get(url: URL, from: number): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const make = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = make(url, { method: 'GET', headers: from > 0 ? { Range: `bytes=${from}-` } : {}, ...(this.o.ca ? { ca: this.o.ca } : {}) }, resolve);
      req.setTimeout(this.idleTimeoutMs, () => req.destroy(new Error(`no answer within ${this.idleTimeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => reject(new TransportError({
        kind: e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'ECONNRESET' ? 'reset' : 'other',
        message: `GET ${url.href}: ${e.message}`, retryable: true })));
      req.end();
    });
  }
}
