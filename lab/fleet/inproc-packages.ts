// Package downloads for the fleet's in-process target. Its DM messages are already function calls; with the
// packages over loopback HTTP too, an update run spent about a quarter of its time in Node's HTTP client and
// server, which is neither the agent's work nor the DM server's. Here a PkgURL under the lab's packages URL
// is read from the catalog's file once, and every simulated device holds that same read-only copy.
import { readFileSync } from 'node:fs';
import type { Downloader, DownloadRequest } from '../../agent/ports.js';
import { packageUrl, type Catalog } from '../server/catalog.js';
import { TransportError } from '../../platform/node/transport-error.js';

/** The catalog's packages by the URL the lab server announces them under. */
export class InprocPackages {
  private readonly files = new Map<string, string>();
  private readonly loaded = new Map<string, Uint8Array>();

  constructor(catalog: Catalog, packagesUrl: string) {
    for (const e of catalog.entries) this.files.set(packageUrl(packagesUrl, e), e.file);
  }

  /** The package at `url`, or the error an HTTP GET of a URL the lab does not serve would end in. */
  bytes(url: string): Uint8Array {
    let bytes = this.loaded.get(url);
    if (bytes) return bytes;
    const file = this.files.get(url);
    if (file === undefined) {
      throw new TransportError({
        kind: 'http-status',
        httpStatus: 404,
        message: `GET ${url}: HTTP 404 (not a package of the in-process lab)`,
        retryable: false,
      });
    }
    bytes = new Uint8Array(readFileSync(file));
    this.loaded.set(url, bytes);
    return bytes;
  }
}

/** One simulated device's package store, filled from InprocPackages. */
export class InprocDownloader implements Downloader {
  private readonly store = new Map<string, Uint8Array>();

  constructor(private readonly packages: InprocPackages) {}

  async fetch(req: DownloadRequest): Promise<{ size: number; total: number }> {
    // A turn of the event loop, as a transfer would take, so sessions in flight interleave as with HTTP.
    await new Promise<void>((r) => setImmediate(r));
    const bytes = this.packages.bytes(req.url);
    this.store.set(req.id, bytes);
    req.onProgress?.(bytes.length, bytes.length);
    return { size: bytes.length, total: bytes.length };
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
