// FirmwareSlots port for the Node device: two image files, slot-a.bin and slot-b.bin, and a boot record (key
// 'firmware' of a Storage, replaced atomically) that says which slot runs, which one the next start runs, and
// whether this start is an unconfirmed trial. Constructing it is the power-on: it plays the bootloader's part
// (ESP-IDF's rollback: a trial start that was never confirmed returns to the previous slot).
//
// A firmware image is a JSON document {"firmware": name, "version": "1.1", "healthy"?: false, …} (what the lab
// server's catalog serves for a device model): complete() refuses anything else, as esp_ota_end refuses an
// image that is no app. "healthy": false makes a firmware that fails the health check the Node device runs.
//
// The boot record, a state machine per start:
//   {running}                         ──switch()──►  {running, next}
//   {running: x, next: y}             ──power-on──►  {running: y, previous: x, trial}
//   {running: y, previous: x, trial}  ──confirm()─►  {running: y}
//                                     ──power-on──►  {running: x}            (never confirmed, or revert(): returns)
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DownloadRequest, FirmwareBoot, FirmwareSlots, Storage } from '../../agent/ports.js';
import { DmError } from '../../agent/errors.js';
import { FileStorage } from './file-storage.js';
import { withDefined } from '../../agent/util/options.js';
import {
  fileSink,
  fileSize,
  getPackage,
  packageGetOptions,
  readFileRange,
  type PackageGetOptions,
  type PackageSink,
} from './package-get.js';

type Slot = 'a' | 'b';

interface BootRecord {
  running: Slot;
  next?: Slot;
  previous?: Slot;
  trial?: boolean;
  /** The inactive slot holds a completed image. */
  completed?: boolean;
}

export interface FirmwareImage {
  firmware: string;
  version: string;
  healthy?: boolean;
}

export interface FileFirmwareSlotsOptions {
  /** The firmware slot a holds at the very first power-on. */
  factory: FirmwareImage;
  /** Where the boot record lives (default: a FileStorage on `dir`); tests give the device's own, to cut power at its writes. */
  state?: Storage;
  /** Fetches an image into a sink (default: HTTP(S) with Range resume, as the package downloader). */
  fetch?: (req: DownloadRequest, stored: number, sink: PackageSink) => Promise<{ size: number; total?: number }>;
  /** Largest image (default 16 MiB). */
  maxBytes?: number;
  ca?: string | Buffer;
  /** restart() was called: the Node device starts the agent again on the same state (a simulated restart). */
  onRestart?: () => void;
}

const KEY = 'firmware';
const other = (s: Slot): Slot => (s === 'a' ? 'b' : 'a');

export class FileFirmwareSlots implements FirmwareSlots {
  private readonly state: Storage;
  private readonly get: PackageGetOptions;
  private record: BootRecord;
  /** What the bootloader decided at this power-on. */
  readonly returned: boolean = false;

  constructor(
    readonly dir: string,
    private readonly o: FileFirmwareSlotsOptions,
  ) {
    mkdirSync(dir, { recursive: true });
    this.state = o.state ?? new FileStorage(join(dir, 'boot'));
    this.get = packageGetOptions(
      'FileFirmwareSlots',
      withDefined({ maxBytes: o.maxBytes ?? 16 << 20 }, { ca: o.ca || undefined }),
      16 << 20,
    );
    if (!existsSync(this.path('a'))) writeFileSync(this.path('a'), JSON.stringify(o.factory));
    const r = this.load();
    // The power-on: what a bootloader with rollback does.
    if (r.trial && r.previous) {
      this.record = { running: r.previous };
      this.returned = true;
    } else if (r.next) {
      this.record = { running: r.next, previous: r.running, trial: true };
    } else {
      this.record = r;
    }
    if (JSON.stringify(r) !== JSON.stringify(this.record)) this.save(this.record);
  }

  private load(): BootRecord {
    const raw = this.state.read(KEY);
    if (raw === undefined) return { running: 'a' };
    try {
      const r = JSON.parse(raw) as BootRecord;
      if (r.running === 'a' || r.running === 'b') return r;
    } catch {
      /* a torn record cannot be: Storage replaces atomically. Anything else starts the factory slot. */
    }
    return { running: 'a' };
  }

  private save(r: BootRecord): void {
    this.state.write(KEY, JSON.stringify(r));
    this.record = r;
  }

  path(slot: Slot): string {
    return join(this.dir, `slot-${slot}.bin`);
  }

  private get inactive(): Slot {
    return other(this.record.running);
  }

  /** The running slot's image, as its JSON says. */
  image(slot: Slot = this.record.running): FirmwareImage | undefined {
    try {
      const size = statSync(this.path(slot)).size;
      const text = new TextDecoder().decode(this.readSlot(slot, 0, size));
      const img = JSON.parse(text) as FirmwareImage;
      return typeof img.version === 'string' && typeof img.firmware === 'string' ? img : undefined;
    } catch {
      return undefined;
    }
  }

  boot(): FirmwareBoot {
    return { slot: this.record.running, version: this.image()?.version ?? '', trial: this.record.trial === true };
  }

  async download(req: DownloadRequest): Promise<{ size: number; total?: number }> {
    if (this.record.completed) this.save({ ...this.record, completed: false });
    const sink = fileSink(this.path(this.inactive));
    const stored = Math.min(req.offset, this.written());
    return this.o.fetch ? this.o.fetch(req, stored, sink) : getPackage(req, stored, sink, this.get);
  }

  written(): number {
    return fileSize(this.path(this.inactive));
  }

  private readSlot(slot: Slot, offset: number, length: number): Uint8Array {
    return readFileRange(this.path(slot), offset, length);
  }

  read(offset: number, length: number): Uint8Array {
    return this.readSlot(this.inactive, offset, length);
  }

  discard(): void {
    // In a trial the inactive slot is the way back: it is not the image's to drop.
    if (this.record.trial) return;
    rmSync(this.path(this.inactive), { force: true });
    if (this.record.completed || this.record.next) this.save({ running: this.record.running });
  }

  complete(): void {
    if (!this.image(this.inactive))
      throw new DmError('DM_ERR_INSTALL', 500, `slot ${this.inactive} holds no firmware image (a JSON {firmware, version})`);
    if (!this.record.completed) this.save({ ...this.record, completed: true });
  }

  switch(): void {
    if (this.record.next === this.inactive) return;
    if (!this.record.completed) throw new DmError('DM_ERR_INSTALL', 500, `slot ${this.inactive} was not completed`);
    this.save({ running: this.record.running, next: this.inactive });
  }

  restart(): void {
    this.o.onRestart?.();
  }

  confirm(): void {
    if (this.record.trial) this.save({ running: this.record.running });
  }

  /** An unconfirmed trial returns at the next power-on already (the record says so): nothing to write. */
  revert(): void {}
}
