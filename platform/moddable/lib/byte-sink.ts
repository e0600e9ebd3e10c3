// Where a resumable download puts its bytes: a package file (downloader.ts) or the inactive firmware slot
// (lib/ota-slots.ts). The HTTP side (http-get.ts) decides with lib/range.ts what a response means for the
// bytes already stored, and tells the sink; the sink never sees a status line or a header.
import type { DownloadRequest } from '../../../agent/ports.js';

export interface ByteSink {
  /** The response's bytes go at `start`: 0 starts a new object (dropping what was stored), else they append. */
  begin(start: number): void;
  /** Stores the next fragment; throws when it cannot (the download then fails, not retryable). */
  write(chunk: ArrayBuffer): void;
  /** The stored bytes cannot be resumed from (a server that answered for other bytes): drop them. */
  discard(): void;
  /** The transfer ended, whole or not: release what begin() opened. Bytes written stay. */
  end(): void;
}

/**
 * Fetches req.url into a sink, resuming after `have` stored bytes with a Range request. Resolves with the
 * object's size when it is whole; rejects with a TransportError (retryable or not) and keeps what was written.
 */
export type SinkFetch = (req: DownloadRequest, have: number, maxBytes: number, sink: ByteSink) => Promise<{ size: number; total?: number }>;
