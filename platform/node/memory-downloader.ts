// Downloader port into memory over HTTP(S): for simulated devices (the fleet), which must not need a folder
// each. Resumes like the file downloader (package-get.ts); what a cut transfer brought is kept for the next
// attempt.
import type { Downloader, DownloadRequest } from '../../agent/ports.js';
import { getPackage, packageGetOptions, type PackageGetOptions, type PackageSink } from './package-get.js';

export interface MemoryDownloaderOptions {
  /** No byte for this long ends the attempt; default 30000. */
  idleTimeoutMs?: number;
  /** Largest package accepted; default 16 MiB. */
  maxBytes?: number;
}

export class MemoryDownloader implements Downloader {
  private readonly store = new Map<string, Uint8Array>();
  private readonly options: PackageGetOptions;

  constructor(o: MemoryDownloaderOptions = {}) {
    this.options = packageGetOptions('MemoryDownloader', o, 16 << 20);
  }

  async fetch(req: DownloadRequest): Promise<{ size: number; total?: number }> {
    const have = this.store.get(req.id) ?? new Uint8Array(0);
    let kept: Uint8Array = have;
    const chunks: Buffer[] = [];
    const sink: PackageSink = {
      begin: (start) => {
        kept = have.subarray(0, start);
      },
      write: (chunk) => {
        chunks.push(chunk);
      },
      end: () => {
        let size = kept.length;
        for (const c of chunks) size += c.length;
        const whole = new Uint8Array(size);
        whole.set(kept);
        let at = kept.length;
        for (const c of chunks) {
          whole.set(c, at);
          at += c.length;
        }
        this.store.set(req.id, whole);
      },
    };
    return getPackage(req, have.length, sink, this.options);
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
