// Downloader port on the SDK's HTTP client and File module: each package is one file in the package
// directory that grows as fragments arrive, so a cut transfer resumes with a Range request (lib/range.ts
// decides what a response means for the stored bytes). Fragments go straight to flash: RAM holds one
// fragment at a time whatever the package size. No byte for idleTimeoutMs ends the attempt; the agent
// resumes it later.
import { Request } from 'http';
import Timer from 'timer';
import { File } from 'file';
import type { Downloader, DownloadRequest } from '../../agent/ports.js';
import { transportError, type TransportError } from './lib/transport-error.js';
import { planResponse, rangeHeaders } from './lib/range.js';
import { packageFileName } from './lib/file-names.js';
import { parseEndpoint } from './lib/url.js';
import { HTTP_MSG, guardSocketCallback, requestDictionary } from './http-transport.js';
import { ensureDirectory } from './storage.js';
import { errorMessage } from '../../agent/errors.js';

export interface HttpDownloaderOptions {
  /** Default 30000 ms. */
  idleTimeoutMs?: number;
  maxBytes: number;
  certificate?: ArrayBuffer | HostBuffer;
}

export class HttpDownloader implements Downloader {
  private readonly idleMs: number;

  constructor(
    readonly dir: string,
    private readonly o: HttpDownloaderOptions,
  ) {
    this.idleMs = o.idleTimeoutMs ?? 30000;
    ensureDirectory(dir);
  }

  path(id: string): string {
    return this.dir + packageFileName(id);
  }

  storedSize(id: string): number {
    const p = this.path(id);
    if (!File.exists(p)) return 0;
    const f = new File(p);
    try {
      return f.length;
    } finally {
      f.close();
    }
  }

  read(id: string, offset: number, length: number): Uint8Array {
    const f = new File(this.path(id));
    try {
      f.position = offset;
      const n = Math.max(0, Math.min(length, f.length - offset));
      return n ? new Uint8Array(f.read(ArrayBuffer, n)) : new Uint8Array(0);
    } finally {
      f.close();
    }
  }

  discard(id: string): void {
    File.delete(this.path(id));
  }

  async fetch(req: DownloadRequest): Promise<{ size: number; total?: number }> {
    const ep = parseEndpoint(req.url, ['http', 'https']);
    const have = Math.min(req.offset, this.storedSize(req.id));
    const dict = requestDictionary(ep, 'GET', rangeHeaders(have), this.o.certificate);
    const path = this.path(req.id);
    return new Promise((resolve, reject) => {
      let status = 0;
      let contentRange: string | undefined;
      let contentLength: string | undefined;
      let file: File | undefined;
      let pos = 0;
      let total: number | undefined;
      let settled = false;
      let request: Request | undefined;
      const finish = (error?: TransportError) => {
        if (settled) return;
        settled = true;
        Timer.clear(idle);
        try {
          request?.close();
        } catch {
          /* already closed */
        }
        try {
          file?.close();
        } catch {
          /* nothing to flush */
        }
        if (error) reject(error);
        else resolve(total !== undefined ? { size: pos, total } : { size: pos });
      };
      const idle = Timer.set(
        () => finish(transportError('timeout', `GET ${req.url}: no data for ${this.idleMs} ms at byte ${pos}`, true)),
        this.idleMs,
      );
      const alive = () => Timer.schedule(idle, this.idleMs);
      try {
        request = new Request(dict);
      } catch (e) {
        finish(transportError('other', `GET ${req.url}: ${errorMessage(e)}`, true));
        return;
      }
      guardSocketCallback(request, (why) => finish(transportError('reset', `GET ${req.url}: ${why}`, true)));
      const r = request;
      r.callback = (message: number, v1?: unknown, v2?: unknown) => {
        if (settled) return;
        alive();
        if (message === HTTP_MSG.status) status = Number(v1);
        else if (message === HTTP_MSG.header) {
          if (v1 === 'content-range') contentRange = String(v2);
          else if (v1 === 'content-length') contentLength = String(v2);
        } else if (message === HTTP_MSG.headersComplete) {
          const plan = planResponse({
            status,
            have,
            maxBytes: this.o.maxBytes,
            ...(contentRange !== undefined ? { contentRange } : {}),
            ...(contentLength !== undefined ? { contentLength } : {}),
          });
          if (plan.kind === 'fail') {
            if (plan.discard) this.discard(req.id);
            finish(transportError(plan.error.kind, `GET ${req.url}: ${plan.error.message}`, plan.error.retryable, plan.error.httpStatus));
          } else if (plan.kind === 'complete') {
            pos = plan.size;
            total = plan.size;
            finish();
          } else {
            // A fresh start must not keep bytes of an older file: opening for write does not truncate.
            if (plan.start === 0) File.delete(path);
            file = new File(path, true);
            file.position = plan.start;
            pos = plan.start;
            total = plan.total;
          }
        } else if (message === HTTP_MSG.fragment) {
          const chunk = r.read(ArrayBuffer);
          if (!file) return;
          if (pos + chunk.byteLength > this.o.maxBytes) {
            finish(transportError('other', `GET ${req.url}: package larger than the ${this.o.maxBytes} bytes allowed`, false));
            return;
          }
          file.write(chunk);
          pos += chunk.byteLength;
          req.onProgress?.(pos, total);
        } else if (message === HTTP_MSG.complete) {
          if (total !== undefined && pos !== total) finish(transportError('reset', `GET ${req.url}: ${pos} of ${total} bytes`, true));
          else finish();
        } else if (message < 0) {
          finish(transportError('reset', `GET ${req.url} stopped at byte ${pos}`, true));
        }
      };
    });
  }
}
