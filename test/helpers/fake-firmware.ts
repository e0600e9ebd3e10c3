// Firmware slots for tests: the Node device's FileFirmwareSlots on a temporary folder, its boot record in the
// test's Storage (so a power cut can fall on its writes too), and images fetched from an in-memory "server"
// (url → bytes) that can cut a transfer after some bytes, to test resume.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DownloadRequest, Storage } from '../../agent/ports.js';
import { FileFirmwareSlots, type FirmwareImage } from '../../platform/node/firmware-slot.js';
import type { PackageSink } from '../../platform/node/package-get.js';
import { PowerCut } from './memory-storage.js';

export const FACTORY: FirmwareImage = { firmware: 'X', version: '1.0' };

export function firmwareImage(version: string, extra: Partial<FirmwareImage> & { payload?: string } = {}): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ firmware: 'X', version, payload: 'f'.repeat(9000), ...extra }));
}

/** The "hardware" that outlives a power cut: the slot folder and the image server. Each powerOn() is a start. */
export class FirmwareBench {
  readonly dir = mkdtempSync(join(tmpdir(), 'fumo-'));
  readonly files = new Map<string, Uint8Array>();
  readonly offsetsAsked: number[] = [];
  restarts = 0;
  /** Cut the next transfer after this many bytes of the file (absolute offset). */
  cutAt?: number;
  failWith?: { message: string; httpStatus?: number; retryable?: boolean };
  /** The power goes after this many bytes of the next transfer reached the slot: no write persists after it. */
  powerCutAt?: number;

  constructor(
    readonly state: Storage,
    readonly factory: FirmwareImage = FACTORY,
  ) {}

  powerOn(): FileFirmwareSlots {
    return new FileFirmwareSlots(this.dir, {
      factory: this.factory,
      state: this.state,
      fetch: (req, stored, sink) => this.fetch(req, stored, sink),
      onRestart: () => {
        this.restarts++;
      },
    });
  }

  private async fetch(req: DownloadRequest, stored: number, sink: PackageSink): Promise<{ size: number; total?: number }> {
    this.offsetsAsked.push(stored);
    if (this.failWith) throw Object.assign(new Error(this.failWith.message), this.failWith);
    const file = this.files.get(req.url);
    if (!file) throw Object.assign(new Error(`404 ${req.url}`), { httpStatus: 404, retryable: false });
    const cut = this.cutAt ?? this.powerCutAt;
    const end = cut !== undefined ? Math.max(stored, Math.min(cut, file.length)) : file.length;
    sink.begin(stored);
    if (end > stored) sink.write(Buffer.from(file.subarray(stored, end)), stored);
    sink.end();
    if (this.powerCutAt !== undefined) {
      this.powerCutAt = undefined;
      (this.state as { failAfter?: (n: number) => void }).failAfter?.(0);
      throw new PowerCut();
    }
    req.onProgress?.(end, file.length);
    if (this.cutAt !== undefined) {
      this.cutAt = undefined;
      throw new Error('connection reset');
    }
    return { size: end, total: file.length };
  }
}
