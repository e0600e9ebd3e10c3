// Downloader port over HTTP(S) into a folder: each package is one file that grows as bytes arrive, so a cut
// transfer resumes from the stored size (package-get.ts). The stored file is fsynced before fetch() settles.
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Downloader, DownloadRequest } from '../../agent/ports.js';
import { getPackage, packageGetOptions, type PackageGetOptions, type PackageSink } from './package-get.js';

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
    const file = this.path(req.id);
    let fd: number | undefined;
    const sink: PackageSink = {
      begin: (start) => {
        fd = openSync(file, start === 0 ? 'w' : 'r+');
      },
      write: (chunk, pos) => {
        writeSync(fd!, chunk, 0, chunk.length, pos);
      },
      end: () => {
        if (fd !== undefined) {
          fsyncSync(fd);
          closeSync(fd);
          fd = undefined;
        }
      },
    };
    return getPackage(req, this.storedSize(req.id), sink, this.options);
  }
}
