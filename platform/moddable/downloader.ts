// Downloader port on the SDK's File module: each package is one file in the package directory that grows as
// fragments arrive, so a cut transfer resumes with a Range request (http-get.ts; lib/range.ts decides what a
// response means for the stored bytes). Fragments go straight to flash: RAM holds one fragment at a time
// whatever the package size.
import { File } from 'file';
import type { Downloader, DownloadRequest } from '../../agent/ports.js';
import type { ByteSink, SinkFetch } from './lib/byte-sink.js';
import { packageFileName } from './lib/file-names.js';
import { httpGet } from './http-get.js';
import { ensureDirectory, fileLength, readFileRange } from './storage.js';
import { withDefined } from '../../agent/util/options.js';

export interface HttpDownloaderOptions {
  /** Default 30000 ms. */
  idleTimeoutMs?: number;
  maxBytes: number;
  certificate?: ArrayBuffer | HostBuffer;
}

export class HttpDownloader implements Downloader {
  private readonly get: SinkFetch;

  constructor(
    readonly dir: string,
    private readonly o: HttpDownloaderOptions,
  ) {
    this.get = httpGet(withDefined({}, { idleTimeoutMs: o.idleTimeoutMs, certificate: o.certificate }));
    ensureDirectory(dir);
  }

  path(id: string): string {
    return this.dir + packageFileName(id);
  }

  storedSize(id: string): number {
    return fileLength(this.path(id));
  }

  read(id: string, offset: number, length: number): Uint8Array {
    return readFileRange(this.path(id), offset, length);
  }

  discard(id: string): void {
    File.delete(this.path(id));
  }

  fetch(req: DownloadRequest): Promise<{ size: number; total?: number }> {
    const path = this.path(req.id);
    let file: File | undefined;
    const sink: ByteSink = {
      begin: (start) => {
        // A fresh start must not keep bytes of an older file: opening for write does not truncate.
        if (start === 0) File.delete(path);
        file = new File(path, true);
        file.position = start;
      },
      write: (chunk) => {
        file!.write(chunk);
      },
      discard: () => this.discard(req.id),
      end: () => {
        file?.close();
        file = undefined;
      },
    };
    return this.get(req, Math.min(req.offset, this.storedSize(req.id)), this.o.maxBytes, sink);
  }
}
