// Downloader port over HTTP(S) into a folder: each package is one file that grows as bytes arrive, so a cut
// transfer resumes from the stored size (package-get.ts). The stored file is fsynced before fetch() settles.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Downloader, DownloadRequest } from '../../agent/ports.js';
import { fileSink, fileSize, getPackage, packageGetOptions, readFileRange, type PackageGetOptions } from './package-get.js';

export interface HttpDownloaderOptions {
  /** No byte for this long ends the attempt (the agent resumes it); default 30000, at most 600000. */
  idleTimeoutMs?: number;
  /** Largest package accepted; default 64 MiB. */
  maxBytes?: number;
  ca?: string | Buffer;
}

const SAFE = /[^A-Za-z0-9._-]/g;

export class HttpDownloader implements Downloader {
  private readonly options: PackageGetOptions;

  constructor(
    readonly dir: string,
    o: HttpDownloaderOptions = {},
  ) {
    this.options = packageGetOptions('HttpDownloader', o, 64 << 20);
    mkdirSync(dir, { recursive: true });
  }

  /** The package's file: ids become plain names, with a prefix no key of the Storage port can take. */
  path(id: string): string {
    return join(this.dir, `pkg-${id.replace(SAFE, '_')}.bin`);
  }

  storedSize(id: string): number {
    return fileSize(this.path(id));
  }

  read(id: string, offset: number, length: number): Uint8Array {
    return readFileRange(this.path(id), offset, length);
  }

  discard(id: string): void {
    rmSync(this.path(id), { force: true });
  }

  async fetch(req: DownloadRequest): Promise<{ size: number; total?: number }> {
    const sink = fileSink(this.path(req.id));
    return getPackage(req, this.storedSize(req.id), sink, this.options);
  }
}
