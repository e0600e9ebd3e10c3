// A Downloader over an in-memory "server" (url → bytes) and package store, with cut-offs to test resume.
import type { Downloader, DownloadRequest } from '../../agent/ports.js';

export class FakeDownloader implements Downloader {
  readonly files = new Map<string, Uint8Array>();
  readonly store = new Map<string, Uint8Array>();
  readonly offsetsAsked: number[] = [];
  /** Cut the next transfer after this many bytes of the file (absolute offset). */
  cutAt?: number;
  failWith?: string;
  /** With failWith: the HTTP status the failure carries (as a TransportError's httpStatus). */
  failStatus?: number;

  async fetch(req: DownloadRequest): Promise<{ size: number; total?: number }> {
    this.offsetsAsked.push(req.offset);
    if (this.failWith) throw Object.assign(new Error(this.failWith), this.failStatus === undefined ? {} : { httpStatus: this.failStatus });
    const file = this.files.get(req.url);
    if (!file) throw new Error(`404 ${req.url}`);
    const have = this.store.get(req.id) ?? new Uint8Array(0);
    const end = this.cutAt !== undefined ? Math.min(this.cutAt, file.length) : file.length;
    const next = new Uint8Array(Math.max(have.length, end));
    next.set(have);
    next.set(file.subarray(req.offset, end), req.offset);
    this.store.set(req.id, next);
    req.onProgress?.(next.length, file.length);
    if (this.cutAt !== undefined) {
      this.cutAt = undefined;
      throw new Error('connection reset');
    }
    return { size: next.length, total: file.length };
  }
  storedSize(id: string): number {
    return this.store.get(id)?.length ?? 0;
  }
  read(id: string, offset: number, length: number): Uint8Array {
    return (this.store.get(id) ?? new Uint8Array(0)).slice(offset, offset + length);
  }
  discard(id: string): void {
    this.store.delete(id);
  }
}
