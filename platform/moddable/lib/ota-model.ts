// A model of ESP-IDF's OTA partitions, otadata and bootloader with rollback, as lib/ota-slots.ts sees them
// through OtaPlatform: the simulator's firmware slots (file-firmware-slots.ts, on files) and the tests (in
// memory) run the device's adapter logic against it. It follows ESP-IDF 6's esp_ota_ops.c and the bootloader
// as far as the adapter can tell them apart; what it leaves out: sequence numbers (a record per slot with the
// order of its switch instead), flash encryption, secure boot, anti-rollback.
//
// otadata holds at most one record per slot: { order, state }. The bootloader at each power-on:
//   the record with the highest order that is not INVALID/ABORTED and whose slot holds an image is the one to run;
//   NEW → PENDING_VERIFY (the trial start); PENDING_VERIFY at power-on (never confirmed) → ABORTED, choose again;
//   no such record (blank otadata, as after a USB flash): the first slot with an image, with no record.
import type { Storage } from '../../../agent/ports.js';
import type { OtaImageState, OtaPlatform, OtaWriter } from './ota-slots.js';

export type SlotLabel = 'ota_0' | 'ota_1';
type RecordState = Exclude<OtaImageState, 'none'>;
interface OtaRecord {
  order: number;
  state: RecordState;
}
type OtaData = Partial<Record<SlotLabel, OtaRecord>>;

/** The bytes of the two app partitions. */
export interface SlotBytes {
  /** Bytes written to the slot (an erased slot: 0). */
  size(slot: SlotLabel): number;
  read(slot: SlotLabel, offset: number, length: number): Uint8Array;
  /** Erases the slot (what esp_ota_begin and a sector erase at 0 amount to for the image). */
  erase(slot: SlotLabel): void;
  append(slot: SlotLabel, bytes: ArrayBuffer): void;
}

export interface OtaModelOptions {
  bytes: SlotBytes;
  /** Where otadata lives (replaced atomically, as ESP-IDF's two sectors make it). */
  data: Storage;
  /** Size of each slot. */
  capacity: number;
  /** Whether a slot's bytes are an image the bootloader starts (esp_image_verify). */
  isImage(read: (offset: number, length: number) => Uint8Array, size: number): boolean;
  /** The first byte esp_ota_write requires (ESP_IMAGE_HEADER_MAGIC, 0xE9), or none. */
  magic?: number;
  /** What ota_0 holds at the very first power-on (the firmware flashed over USB). */
  factory?: Uint8Array;
  /** esp_restart(). */
  onRestart?(): void;
}

const KEY = 'otadata';
const ESP_FAIL = -1;
const ESP_ERR_OTA_VALIDATE_FAILED = 0x1503;
const ESP_ERR_OTA_ROLLBACK_FAILED = 0x1505;
const other = (s: SlotLabel): SlotLabel => (s === 'ota_0' ? 'ota_1' : 'ota_0');

/** The model; constructing it is a power-on (the bootloader's choice of the slot to run). */
export class OtaModel implements OtaPlatform {
  readonly running: SlotLabel;
  readonly capacity: number;
  /** esp_restart() calls (the device would not return from the first). */
  restarts = 0;

  constructor(private readonly o: OtaModelOptions) {
    this.capacity = o.capacity;
    if (o.factory && o.bytes.size('ota_0') === 0) {
      o.bytes.erase('ota_0');
      o.bytes.append('ota_0', o.factory.slice().buffer);
    }
    const d = this.load();
    let run = this.active(d);
    if (run && d[run]!.state === 'pending') {
      d[run]!.state = 'aborted';
      run = this.active(d);
    }
    if (run && d[run]!.state === 'new') d[run]!.state = 'pending';
    this.running = run ?? (this.hasImage('ota_0') || !this.hasImage('ota_1') ? 'ota_0' : 'ota_1');
    this.save(d);
  }

  private load(): OtaData {
    const raw = this.o.data.read(KEY);
    return raw === undefined ? {} : (JSON.parse(raw) as OtaData);
  }

  private save(d: OtaData): void {
    const text = JSON.stringify(d);
    if (text !== this.o.data.read(KEY)) this.o.data.write(KEY, text);
  }

  private hasImage(slot: SlotLabel): boolean {
    const size = this.o.bytes.size(slot);
    return size > 0 && this.o.isImage((off, n) => this.o.bytes.read(slot, off, n), size);
  }

  /** The bootloader's pick: the newest selectable record whose slot holds an image. */
  private active(d: OtaData): SlotLabel | undefined {
    let best: SlotLabel | undefined;
    for (const s of ['ota_0', 'ota_1'] as const) {
      const r = d[s];
      if (!r || r.state === 'invalid' || r.state === 'aborted' || !this.hasImage(s)) continue;
      if (best === undefined || r.order > d[best]!.order) best = s;
    }
    return best;
  }

  // OtaPlatform

  begin(): OtaWriter {
    if (this.runningState() === 'pending') throw new Error('begin failed'); // ESP_ERR_OTA_ROLLBACK_INVALID_STATE
    const slot = this.nextLabel();
    this.o.bytes.erase(slot);
    let written = 0;
    return {
      write: (data) => {
        if (written === 0 && this.o.magic !== undefined && new Uint8Array(data)[0] !== this.o.magic) throw new Error('write failed');
        if (written + data.byteLength > this.capacity) throw new Error('write failed');
        this.o.bytes.append(slot, data);
        written += data.byteLength;
      },
      cancel: () => {},
    };
  }

  read(offset: number, length: number): ArrayBuffer {
    const got = this.o.bytes.read(this.nextLabel(), offset, length);
    // Erased flash reads as 0xFF past what was written.
    const out = new Uint8Array(length).fill(0xff);
    out.set(got);
    return out.buffer;
  }

  eraseHead(): void {
    this.o.bytes.erase(this.nextLabel());
  }

  runningLabel(): string {
    return this.running;
  }

  nextLabel(): SlotLabel {
    return other(this.running);
  }

  runningState(): OtaImageState {
    return this.load()[this.running]?.state ?? 'none';
  }

  verifyNext(): number {
    return this.hasImage(this.nextLabel()) ? 0 : ESP_ERR_OTA_VALIDATE_FAILED;
  }

  setBootNext(): number {
    const next = this.nextLabel();
    if (!this.hasImage(next)) return ESP_ERR_OTA_VALIDATE_FAILED;
    const d = this.load();
    const cur = d[next];
    const newest = Math.max(d.ota_0?.order ?? 0, d.ota_1?.order ?? 0);
    // On the slot otadata already points at, ESP-IDF only writes the state again.
    d[next] = { order: cur && cur.order === newest && this.active(d) === next ? cur.order : newest + 1, state: 'new' };
    this.save(d);
    return 0;
  }

  markValid(): number {
    const d = this.load();
    const r = d[this.running];
    if (!r || this.active(d) !== this.running) return ESP_FAIL; // "Running firmware is factory"
    if (r.state !== 'valid') {
      r.state = 'valid';
      this.save(d);
    }
    return 0;
  }

  markInvalid(): number {
    const d = this.load();
    const r = d[this.running];
    if (!r || this.active(d) !== this.running) return ESP_FAIL;
    // esp_ota_check_rollback_is_possible: the other slot needs a selectable record and an image.
    const back = d[this.nextLabel()];
    if (!back || back.state === 'invalid' || back.state === 'aborted' || !this.hasImage(this.nextLabel()))
      return ESP_ERR_OTA_ROLLBACK_FAILED;
    r.state = 'invalid';
    this.save(d);
    return 0;
  }

  restart(): void {
    this.restarts++;
    this.o.onRestart?.();
  }
}
