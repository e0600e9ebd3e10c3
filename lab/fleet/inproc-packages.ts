// Package downloads for the fleet's in-process target. Its DM messages are already function calls; with the
// packages over loopback HTTP too, an update run spent about a quarter of its time in Node's HTTP client and
// server, which is neither the agent's work nor the DM server's. Here a PkgURL under the lab's packages URL
// is looked up in the catalog as the lab server offers it now (a version uploaded in the console while the
// fleet runs is found too), its file read once, and every simulated device holds that same read-only copy.
import { readFileSync } from 'node:fs';
import type { Downloader, DownloadRequest } from '../../agent/ports.js';
import type { Catalog } from '../server/catalog.js';
import { TransportError } from '../../platform/node/transport-error.js';

/** The catalog's packages (components and firmware) by the URL the lab server announces them under. */
export class InprocPackages {
  private readonly loaded = new Map<string, Uint8Array>();
  private readonly base: string;

  /**
   * `catalog` is the live one the lab server offers from (the console adds and retires versions in it);
   * `packageFile` names the file of a package the catalog no longer lists but the lab still serves (the
   * console's uploads, retired or not: the lab server's own packageFile hook).
   */
  constructor(
    private readonly catalog: Catalog,
    packagesUrl: string,
    private readonly packageFile?: (name: string) => string | undefined,
  ) {
    this.base = `${packagesUrl.replace(/\/+$/, '')}/`;
  }

  /** Where the package at `url` is, and the key its bytes are kept under (a version re-uploaded gets a new one). */
  private find(url: string): { file: string; key: string } | undefined {
    if (!url.startsWith(this.base)) return undefined;
    const name = url.slice(this.base.length);
    const entry = [...this.catalog.entries, ...(this.catalog.firmware ?? [])].find((e) => e.fileName === name);
    if (entry) return { file: entry.file, key: `${name} ${entry.sha256}` };
    const file = this.packageFile?.(name);
    return file === undefined ? undefined : { file, key: `${name} ${file}` };
  }

  /** The package at `url`, or the error an HTTP GET of a URL the lab does not serve would end in. */
  bytes(url: string): Uint8Array {
    const found = this.find(url);
    if (found === undefined) {
      throw new TransportError({
        kind: 'http-status',
        httpStatus: 404,
        message: `GET ${url}: HTTP 404 (not a package of the in-process lab)`,
        retryable: false,
      });
    }
    let bytes = this.loaded.get(found.key);
    if (bytes) return bytes;
    bytes = new Uint8Array(readFileSync(found.file));
    this.loaded.set(found.key, bytes);
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
