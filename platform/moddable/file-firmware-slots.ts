// The firmware slots of the simulator: the device's adapter logic (lib/ota-slots.ts) over a model of
// ESP-IDF's OTA partitions and bootloader (lib/ota-model.ts) kept in files of the simulator's file system:
// `ota_0.bin`, `ota_1.bin` and the otadata record (a FileStorage, replaced atomically). The images are the
// lab's JSON firmware documents (lib/firmware-image.ts): the simulator runs one build whatever the slot, so
// the version the running slot's image names is the version this start reports.
//
// The restart is simulated: restart() records nothing more (the switch is already in otadata) and calls
// onRestart; the simulator then has to be started again on the same file system, which is the power-on:
// constructing FileFirmwareSlots plays the bootloader's part (trial start, return after an unconfirmed trial).
import { File } from 'file';
import type { FirmwareBoot, FirmwareSlots } from '../../agent/ports.js';
import { httpGet } from './http-get.js';
import { OtaFirmwareSlots } from './lib/ota-slots.js';
import { OtaModel, type SlotBytes, type SlotLabel } from './lib/ota-model.js';
import { parseFirmwareImage, type FirmwareImage } from './lib/firmware-image.js';
import { utf8Encode } from '../../agent/util/bytes.js';
import { withDefined } from '../../agent/util/options.js';
import { FileStorage, ensureDirectory, fileLength, readFileRange } from './storage.js';

export interface FileFirmwareSlotsOptions {
  /** What ota_0 holds at the first start: this build as a firmware image (its name and dm.device.devDetail.fwV). */
  factory: FirmwareImage;
  /** Size of each slot (default 1 MiB). */
  capacity?: number;
  certificate?: ArrayBuffer | HostBuffer;
  /** restart() was called: the simulator stops here and is started again (the harness does it). */
  onRestart?(): void;
}

/** The two slots as files in `dir`. */
export class FileSlotBytes implements SlotBytes {
  constructor(private readonly dir: string) {
    ensureDirectory(dir);
  }

  path(slot: SlotLabel): string {
    return `${this.dir}${slot}.bin`;
  }

  size(slot: SlotLabel): number {
    return fileLength(this.path(slot));
  }

  read(slot: SlotLabel, offset: number, length: number): Uint8Array {
    return readFileRange(this.path(slot), offset, length);
  }

  erase(slot: SlotLabel): void {
    File.delete(this.path(slot));
  }

  append(slot: SlotLabel, bytes: ArrayBuffer): void {
    const f = new File(this.path(slot), true);
    try {
      f.position = f.length;
      f.write(bytes);
    } finally {
      f.close();
    }
  }
}

export class FileFirmwareSlots implements FirmwareSlots {
  private readonly model: OtaModel;
  private readonly slots: OtaFirmwareSlots;
  private readonly bytes: FileSlotBytes;

  constructor(dir: string, o: FileFirmwareSlotsOptions) {
    this.bytes = new FileSlotBytes(dir);
    this.model = new OtaModel(
      withDefined(
        {
          bytes: this.bytes,
          data: new FileStorage(`${dir}otadata/`),
          capacity: o.capacity ?? 1 << 20,
          isImage: (read: (offset: number, length: number) => Uint8Array, size: number) => parseFirmwareImage(read(0, size)) !== undefined,
          factory: utf8Encode(JSON.stringify(o.factory)),
        },
        { onRestart: o.onRestart },
      ),
    );
    this.slots = new OtaFirmwareSlots({
      platform: this.model,
      version: this.image()?.version ?? o.factory.version,
      store: new FileStorage(`${dir}state/`),
      fetch: httpGet(o.certificate ? { certificate: o.certificate } : {}),
    });
  }

  /** The running slot's image: what this start of the simulator "is". */
  image(): FirmwareImage | undefined {
    const slot = this.model.running;
    return parseFirmwareImage(this.bytes.read(slot, 0, this.bytes.size(slot)));
  }

  boot(): FirmwareBoot {
    return this.slots.boot();
  }
  download(req: Parameters<FirmwareSlots['download']>[0]) {
    return this.slots.download(req);
  }
  written(): number {
    return this.slots.written();
  }
  read(offset: number, length: number): Uint8Array {
    return this.slots.read(offset, length);
  }
  discard(): void {
    this.slots.discard();
  }
  complete(): void {
    this.slots.complete();
  }
  switch(): void {
    this.slots.switch();
  }
  restart(): void {
    this.slots.restart();
  }
  confirm(): void {
    this.slots.confirm();
  }
  revert(): void {
    this.slots.revert();
  }
}
