// FirmwareSlots (agent/ports.ts) on ESP-IDF's OTA scheme: two app partitions (ota_0, ota_1) and the otadata
// partition that says which one boots, with the bootloader's rollback (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE).
// The logic only: what it calls is an OtaPlatform, which is the SDK's `ota` module, the SDK's `flash` module
// and our native module on the device (esp32-firmware-slots.ts), a model of the same on files in the
// simulator (file-firmware-slots.ts, lib/ota-model.ts), and in-memory stand-ins in the tests.
//
// Why the SDK's OTA class is used for begin/write/end but not for its complete(): complete() is esp_ota_end
// followed by esp_ota_set_boot_partition, i.e. it switches, and the port's complete() must not (the core
// journals the switch as a step of its own). The SDK's cancel() is esp_ota_end alone: it ends the write (with
// flash encryption it writes the last block) and frees the handle, keeping the bytes. So complete() is
// cancel() and then our native check of the image (esp_image_verify), and switch() is our native
// esp_ota_set_boot_partition, which checks the image again. Both work after a restart, with no OTA handle.
//
// What the slot is, per start (ESP-IDF's otadata states, ESP_OTA_IMG_*):
//   running VALID/none ── download ▸ complete ▸ switch ──► next slot NEW (boot partition = next)
//   power-on: NEW ──bootloader──► PENDING_VERIFY, runs it: boot().trial
//     PENDING_VERIFY ──confirm()──► VALID
//     PENDING_VERIFY ──revert(), or a start without confirm()──► INVALID/ABORTED: the bootloader runs the old slot
//
// The SDK's OTA begins by erasing the slot as it writes (OTA_WITH_SEQUENTIAL_WRITES), and its handle lives in
// RAM: a download resumes within one start, and after a restart a partial image is fetched again from byte 0
// (the port allows it). ESP-IDF 6 has esp_ota_resume(), which the SDK does not expose; resuming a partial image
// across a power cut would need our own writer and a persisted count of the bytes known to be in flash. A
// whole image does survive a restart: its size is recorded (options.store) once the download has written it,
// and the record is removed before anything erases the slot, so written() still says so after a power cut
// and a later Exec of Update can use it (FUMO's Download, then Update in another session).
import type { DownloadRequest, FirmwareBoot, FirmwareSlots, Storage } from '../../../agent/ports.js';
import { DmError, errorMessage } from '../../../agent/errors.js';
import type { ByteSink, SinkFetch } from './byte-sink.js';

/** The running partition's otadata state (esp_ota_get_state_partition); 'none' when otadata holds no record of it. */
export type OtaImageState = 'new' | 'pending' | 'valid' | 'invalid' | 'aborted' | 'undefined' | 'none';

/** The state native/esp-ota.ts reports as a number (-1: no record; 0..5: ESP_OTA_IMG_NEW … ESP_OTA_IMG_UNDEFINED). */
export function otaStateName(n: number): OtaImageState {
  if (n < 0) return 'none';
  return n === 0 ? 'new' : n === 1 ? 'pending' : n === 2 ? 'valid' : n === 3 ? 'invalid' : n === 4 ? 'aborted' : 'undefined';
}

/** The SDK's OTA object: its constructor is esp_ota_begin on the next update partition. */
export interface OtaWriter {
  /** esp_ota_write: appends; throws on a flash error, past the slot's end, or when the first byte is no app image's. */
  write(data: ArrayBuffer): void;
  /** esp_ota_end without the switch: ends the write and frees the handle; the bytes stay. */
  cancel(): void;
}

/** What the adapter needs of the platform; ESP-IDF results are esp_err_t numbers (0 = ESP_OK). */
export interface OtaPlatform {
  /** new OTA(): esp_ota_begin on the next update partition. Throws when it cannot (e.g. the running app is still PENDING_VERIFY). */
  begin(): OtaWriter;
  /** Bytes of the next update partition (the SDK's flash module, partition "nextota"). */
  read(offset: number, length: number): ArrayBuffer;
  /** Erases the next update partition's first sector: what it held is no app image any more. */
  eraseHead(): void;
  /** Size of the next update partition. */
  readonly capacity: number;
  /** Label of the running app partition (esp_ota_get_running_partition). */
  runningLabel(): string;
  /** Label of the partition an update is written to (esp_ota_get_next_update_partition(NULL)). */
  nextLabel(): string;
  runningState(): OtaImageState;
  /** esp_image_verify of the next update partition. */
  verifyNext(): number;
  /** esp_ota_set_boot_partition(next update partition): checks the image, marks it NEW, points otadata at it. */
  setBootNext(): number;
  /** esp_ota_mark_app_valid_cancel_rollback. */
  markValid(): number;
  /** esp_ota_mark_app_invalid_rollback (ESP-IDF ≥ 5.5: without the reboot). */
  markInvalid(): number;
  /** esp_restart: does not return on the device. */
  restart(): void;
}

export interface OtaFirmwareSlotsOptions {
  platform: OtaPlatform;
  /** The running firmware's version (the device maker's dm.device.devDetail.fwV of this build). */
  version: string;
  /** The HTTP GET into a sink (http-get.ts). */
  fetch: SinkFetch;
  /** Where the size of a whole downloaded image and its slot are recorded across restarts (key 'image'); without it written() is 0 after one. */
  store?: Storage;
}

const WHOLE = 'image';

const ESP_ERR_OTA_ROLLBACK_FAILED = 0x1505;

/** esp_err_t as ESP-IDF names the ones the OTA calls return, for messages. */
export function espErrorName(code: number): string {
  switch (code) {
    case -1:
      return 'ESP_FAIL';
    case 0x102:
      return 'ESP_ERR_INVALID_ARG';
    case 0x103:
      return 'ESP_ERR_INVALID_STATE';
    case 0x105:
      return 'ESP_ERR_NOT_FOUND';
    case 0x1503:
      return 'ESP_ERR_OTA_VALIDATE_FAILED';
    case 0x1504:
      return 'ESP_ERR_OTA_SMALL_SEC_VER';
    case 0x1505:
      return 'ESP_ERR_OTA_ROLLBACK_FAILED';
    case 0x1506:
      return 'ESP_ERR_OTA_ROLLBACK_INVALID_STATE';
    default:
      return `esp_err_t 0x${(code >>> 0).toString(16)}`;
  }
}

export class OtaFirmwareSlots implements FirmwareSlots {
  private readonly p: OtaPlatform;
  /** The write under way in this start, and its bytes; both gone after a restart. */
  private writer: OtaWriter | undefined;
  private count = 0;

  constructor(private readonly o: OtaFirmwareSlotsOptions) {
    this.p = o.platform;
    this.count = this.recorded();
  }

  /** The whole image recorded for the slot that is the inactive one now (after a switch it is the other). */
  private recorded(): number {
    const raw = this.o.store?.read(WHOLE);
    if (raw === undefined) return 0;
    try {
      const r = JSON.parse(raw) as { slot?: unknown; size?: unknown };
      const size = r.size;
      if (r.slot === this.p.nextLabel() && typeof size === 'number' && Number.isSafeInteger(size) && size > 0 && size <= this.p.capacity)
        return size;
    } catch {
      /* Storage replaces a value whole: an unreadable one is not ours; it counts as none */
    }
    return 0;
  }

  private trial(): boolean {
    return this.p.runningState() === 'pending';
  }

  private fail(what: string, code: number): never {
    throw new DmError('DM_ERR_INSTALL', 500, `${what}: ${espErrorName(code)}`);
  }

  boot(): FirmwareBoot {
    return { slot: this.p.runningLabel(), version: this.o.version, trial: this.trial() };
  }

  written(): number {
    return this.count;
  }

  async download(req: DownloadRequest): Promise<{ size: number; total?: number }> {
    if (this.trial())
      throw new DmError(
        'DM_ERR_INSTALL',
        500,
        `the running firmware (${this.p.runningLabel()}) is on trial: confirm it before a new download`,
      );
    // Only bytes written in this start can be appended to: the SDK's OTA handle does not survive a restart.
    const have = this.writer && req.offset === this.count ? this.count : 0;
    const sink: ByteSink = {
      begin: (start) => {
        if (start === 0 || !this.writer) this.startImage();
      },
      write: (chunk) => {
        if (this.count + chunk.byteLength > this.p.capacity)
          throw new Error(`the image is larger than the ${this.p.capacity} bytes of ${this.p.nextLabel()}`);
        try {
          this.writer!.write(chunk);
        } catch (e) {
          throw new Error(`${this.p.nextLabel()} refused the bytes (${errorMessage(e)}): not an ESP32 app image?`);
        }
        this.count += chunk.byteLength;
      },
      discard: () => this.dropWrite(),
      end: () => {},
    };
    const r = await this.o.fetch(req, have, this.p.capacity, sink);
    // Whole and in flash: recorded after the last byte was written, so the record never outlives the bytes.
    if (r.size === this.count && r.size > 0) this.o.store?.write(WHOLE, JSON.stringify({ slot: this.p.nextLabel(), size: r.size }));
    return r;
  }

  /** A new image from byte 0: the old handle ends, esp_ota_begin erases as the new bytes come. */
  private startImage(): void {
    this.dropWrite();
    this.writer = this.p.begin();
  }

  private dropWrite(): void {
    // Before anything erases the slot: a record of a whole image must never survive its bytes.
    if (this.o.store?.read(WHOLE) !== undefined) this.o.store.remove(WHOLE);
    const w = this.writer;
    this.writer = undefined;
    this.count = 0;
    if (w) {
      try {
        w.cancel();
      } catch {
        /* an image that fails esp_ota_end's check is what is being dropped */
      }
    }
  }

  read(offset: number, length: number): Uint8Array {
    const n = Math.max(0, Math.min(length, this.p.capacity - offset));
    return n ? new Uint8Array(this.p.read(offset, n)) : new Uint8Array(0);
  }

  discard(): void {
    // In a trial the inactive slot is the way back: it is not the image's to drop.
    if (this.trial()) return;
    this.dropWrite();
    // Whatever the slot held can no longer pass esp_image_verify, so no later switch() can start it.
    this.p.eraseHead();
  }

  complete(): void {
    const w = this.writer;
    this.writer = undefined;
    if (w) {
      try {
        w.cancel();
      } catch {
        /* esp_ota_end's own check failed: verifyNext below says so with the code */
      }
    }
    const code = this.p.verifyNext();
    if (code !== 0) this.fail(`the image in ${this.p.nextLabel()} is no firmware this device can start`, code);
  }

  switch(): void {
    // In a trial the other slot is the previous firmware: pointing the next start at it would be a revert.
    if (this.trial())
      throw new DmError('DM_ERR_INSTALL', 500, `the running firmware (${this.p.runningLabel()}) is on trial: nothing to switch to`);
    if (this.writer) throw new DmError('DM_ERR_INSTALL', 500, `the image in ${this.p.nextLabel()} was not completed`);
    // esp_ota_set_boot_partition is idempotent: on the slot it already points at, it only writes the state (NEW) again.
    const code = this.p.setBootNext();
    if (code !== 0) this.fail(`cannot make ${this.p.nextLabel()} the next start`, code);
  }

  restart(): void {
    this.p.restart();
  }

  confirm(): void {
    if (!this.trial()) return;
    const code = this.p.markValid();
    if (code !== 0) this.fail(`cannot confirm ${this.p.runningLabel()}`, code);
  }

  revert(): void {
    if (!this.trial()) return;
    const code = this.p.markInvalid();
    // ESP_ERR_OTA_ROLLBACK_FAILED: otadata has no record of the previous slot, as on the first update after a
    // USB flash (blank otadata). The trial stays unconfirmed, and the bootloader aborts an unconfirmed trial at
    // the next start and falls back to the first slot that holds an image, which is the previous one there.
    if (code !== 0 && code !== ESP_ERR_OTA_ROLLBACK_FAILED) this.fail(`cannot return from ${this.p.runningLabel()}`, code);
  }
}
