// Downloader port into memory over HTTP(S) with fetch(): for simulated devices (the fleet), which must not
// need a folder each. Resumes with Range like the file downloader; packages are small in a lab.
import type { Downloader, DownloadRequest } from '../../agent/ports.js';
import { TransportError } from './transport-error.js';

export class MemoryDownloader implements Downloader {
  private readonly store = new Map<string, Uint8Array>();
  constructor(private readonly maxBytes = 16 << 20) {}

  async fetch(req: DownloadRequest): Promise<{ size: number; total?: number }> {
    const have = this.store.get(req.id) ?? new Uint8Array(0);
    const from = Math.min(req.offset, have.length);
    let res: Response;
    try {
      res = await fetch(req.url, { headers: from > 0 ? { Range: `bytes=${from}-` } : {} });
    } catch (e) {
      throw new TransportError({ kind: 'other', message: `GET ${req.url}: ${(e as Error).message}`, retryable: true });
    }
    if (res.status !== 200 && res.status !== 206) {
      throw new TransportError({ kind: 'http-status', httpStatus: res.status, message: `GET ${req.url}: HTTP ${res.status}`, retryable: res.status >= 500 });
    }
    const body = new Uint8Array(await res.arrayBuffer());
    const start = res.status === 206 ? from : 0;
    if (start + body.length > this.maxBytes) throw new TransportError({ kind: 'other', message: `package larger than ${this.maxBytes} bytes`, retryable: false });
    const next = new Uint8Array(start + body.length);
    next.set(have.subarray(0, start));
    next.set(body, start);
    this.store.set(req.id, next);
    req.onProgress?.(next.length, next.length);
    return { size: next.length, total: next.length };
  }
  storedSize(id: string): number { return this.store.get(id)?.length ?? 0; }
  read(id: string, offset: number, length: number): Uint8Array { return (this.store.get(id) ?? new Uint8Array(0)).slice(offset, offset + length); }
  discard(id: string): void { this.store.delete(id); }
}
