// The firmware slots of the device (lib/ota-slots.ts, the logic of esp32-firmware-slots.ts and of the
// simulator's file-firmware-slots.ts) against in-memory stand-ins of what it calls on the ESP32: the SDK's
// `ota` writer, the flash partition "nextota" and our native module, all three played by lib/ota-model.ts (a
// model of ESP-IDF's OTA partitions, otadata and bootloader with rollback) over memory. A power-on is a new
// model and a new adapter over the same bytes and otadata; a power cut between two steps is a power-on
// before the next step is called again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DownloadRequest } from '../../../agent/ports.js';
import { DmError } from '../../../agent/errors.js';
import { OtaFirmwareSlots, espErrorName, otaStateName } from '../../../platform/moddable/lib/ota-slots.js';
import { OtaModel, type SlotBytes, type SlotLabel } from '../../../platform/moddable/lib/ota-model.js';
import type { ByteSink, SinkFetch } from '../../../platform/moddable/lib/byte-sink.js';
import { parseFirmwareImage, MAX_IMAGE_JSON } from '../../../platform/moddable/lib/firmware-image.js';
import { transportError } from '../../../platform/moddable/lib/transport-error.js';
import { utf8Encode } from '../../../agent/util/bytes.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';

const CAPACITY = 64 * 1024;

/** A stand-in app image: magic 0xE9, the payload length (4 bytes), the payload, a checksum byte (esp_image_verify's part). */
function appImage(version: string, size = 10_000): Uint8Array {
  const payload = new Uint8Array(size);
  const v = utf8Encode(version);
  payload.set(v);
  for (let i = v.length; i < size; i++) payload[i] = (i * 7) & 255;
  const out = new Uint8Array(size + 6);
  out[0] = 0xe9;
  new DataView(out.buffer).setUint32(1, size);
  out.set(payload, 5);
  out[size + 5] = payload.reduce((a, b) => (a + b) & 255, 0);
  return out;
}

function isAppImage(read: (offset: number, length: number) => Uint8Array, size: number): boolean {
  const b = read(0, size);
  if (b.length < 6 || b[0] !== 0xe9) return false;
  const n = new DataView(b.buffer, b.byteOffset).getUint32(1);
  if (n + 6 !== b.length) return false;
  return b.subarray(5, 5 + n).reduce((a, x) => (a + x) & 255, 0) === b[n + 5];
}

class MemSlotBytes implements SlotBytes {
  readonly slots = new Map<SlotLabel, Uint8Array>();
  size(slot: SlotLabel): number {
    return this.slots.get(slot)?.length ?? 0;
  }
  read(slot: SlotLabel, offset: number, length: number): Uint8Array {
    return (this.slots.get(slot) ?? new Uint8Array(0)).slice(offset, offset + length);
  }
  erase(slot: SlotLabel): void {
    this.slots.delete(slot);
  }
  append(slot: SlotLabel, bytes: ArrayBuffer): void {
    const old = this.slots.get(slot) ?? new Uint8Array(0);
    const next = new Uint8Array(old.length + bytes.byteLength);
    next.set(old);
    next.set(new Uint8Array(bytes), old.length);
    this.slots.set(slot, next);
  }
}

interface ServeOptions {
  /** The connection drops after this many bytes of the response body. */
  cutAfter?: number;
  /** A server that ignores Range and answers 200 with the whole image. */
  ignoreRange?: boolean;
}

/** A server for one image, speaking through the sink as http-get.ts does (200/206 → begin, fragments, end). */
class ImageServer {
  requests: { have: number }[] = [];
  constructor(
    public image: Uint8Array,
    public o: ServeOptions = {},
  ) {}

  readonly fetch: SinkFetch = async (_req: DownloadRequest, have: number, maxBytes: number, sink: ByteSink) => {
    this.requests.push({ have });
    const total = this.image.length;
    if (total > maxBytes) throw transportError('other', `larger than the ${maxBytes} bytes allowed`, false);
    if (have > 0 && have === total && !this.o.ignoreRange) return { size: total, total };
    const start = this.o.ignoreRange ? 0 : have;
    sink.begin(start);
    let pos = start;
    let sent = 0;
    try {
      while (pos < total) {
        const n = Math.min(1000, total - pos, this.o.cutAfter === undefined ? Infinity : this.o.cutAfter - sent);
        if (n <= 0) throw transportError('reset', `stopped at byte ${pos}`, true);
        try {
          sink.write(this.image.slice(pos, pos + n).buffer);
        } catch (e) {
          throw transportError('other', `byte ${pos}: ${(e as Error).message}`, false);
        }
        pos += n;
        sent += n;
      }
    } finally {
      sink.end();
    }
    return { size: pos, total };
  };
}

/** One device: flash (slot bytes, otadata) that survives power-ons, and the model + adapter of this start. */
class Device {
  readonly bytes = new MemSlotBytes();
  readonly otadata = new MemoryStorage();
  /** The adapter's record of a whole image (a FileStorage on the device). */
  readonly state = new MemoryStorage();
  model!: OtaModel;
  slots!: OtaFirmwareSlots;
  constructor(
    readonly server: ImageServer,
    factory = appImage('1.0'),
  ) {
    this.bytes.append('ota_0', factory.slice().buffer);
    this.powerOn();
  }
  /** A power-on: the bootloader's choice, then the firmware of the chosen slot with its version. */
  powerOn(): OtaFirmwareSlots {
    this.model = new OtaModel({ bytes: this.bytes, data: this.otadata, capacity: CAPACITY, isImage: isAppImage, magic: 0xe9 });
    const img = this.bytes.read(this.model.running, 5, 3);
    this.slots = new OtaFirmwareSlots({
      platform: this.model,
      version: new TextDecoder().decode(img),
      fetch: this.server.fetch,
      store: this.state,
    });
    return this.slots;
  }
  download(offset = 0) {
    return this.slots.download({ url: 'http://127.0.0.1/fw.bin', id: 'fw', offset });
  }
}

const isInstallError = (text: RegExp) => (e: unknown) =>
  e instanceof DmError && e.code === 'DM_ERR_INSTALL' && e.status === 500 && text.test(e.message);

test('a full image: download, read back, complete, switch, restart into a trial, confirm', async () => {
  const img = appImage('1.1');
  const d = new Device(new ImageServer(img));
  assert.deepEqual(d.slots.boot(), { slot: 'ota_0', version: '1.0', trial: false }, 'factory start: ota_0, no otadata record, no trial');
  assert.deepEqual(await d.download(), { size: img.length, total: img.length });
  assert.equal(d.slots.written(), img.length);
  assert.deepEqual(d.slots.read(0, img.length), img, 'the slot holds the image byte for byte');
  assert.deepEqual(
    d.slots.read(img.length - 10, 4096).subarray(0, 10),
    img.subarray(img.length - 10),
    'a read past the image is cut at the slot',
  );
  d.slots.complete();
  d.slots.complete(); // idempotent
  assert.equal(d.slots.boot().trial, false, 'complete() does not switch');
  d.slots.switch();
  d.slots.switch(); // idempotent
  assert.deepEqual(
    d.slots.boot(),
    { slot: 'ota_0', version: '1.0', trial: false },
    'nothing changes for the running firmware until the restart',
  );
  d.slots.restart();
  assert.equal(d.model.restarts, 1);
  d.powerOn();
  assert.deepEqual(d.slots.boot(), { slot: 'ota_1', version: '1.1', trial: true }, 'the new firmware starts as a trial');
  d.slots.confirm();
  assert.equal(d.slots.boot().trial, false);
  d.slots.confirm(); // no-op when not in a trial
  d.powerOn();
  assert.deepEqual(d.slots.boot(), { slot: 'ota_1', version: '1.1', trial: false }, 'confirmed: it stays');
});

test('a trial that is never confirmed: the next start returns to the previous slot', async () => {
  const d = new Device(new ImageServer(appImage('1.1')));
  await d.download();
  d.slots.complete();
  d.slots.switch();
  d.powerOn();
  assert.equal(d.slots.boot().trial, true);
  d.powerOn(); // no confirm(): a crash, a power cut, a watchdog
  assert.deepEqual(d.slots.boot(), { slot: 'ota_0', version: '1.0', trial: false });
});

test('revert(): the next start runs the previous slot, on a first update (blank otadata) and on a later one', async () => {
  const d = new Device(new ImageServer(appImage('1.1')));
  await d.download();
  d.slots.complete();
  d.slots.switch();
  d.powerOn();
  // First update after a USB flash: otadata has no record of ota_0, so ESP-IDF finds no rollback (ESP_ERR_OTA_ROLLBACK_FAILED).
  assert.equal(d.model.markInvalid(), 0x1505, 'the stand-in says what ESP-IDF says');
  d.slots.revert(); // tolerated: the trial stays unconfirmed
  d.slots.restart();
  d.powerOn();
  assert.deepEqual(d.slots.boot(), { slot: 'ota_0', version: '1.0', trial: false }, 'the bootloader falls back to the previous slot');

  // Now 1.2 goes through completely, then 1.3 fails its health check: otadata knows both slots.
  d.server.image = appImage('1.2');
  await d.download();
  d.slots.complete();
  d.slots.switch();
  d.powerOn();
  d.slots.confirm();
  assert.deepEqual(d.slots.boot(), { slot: 'ota_1', version: '1.2', trial: false });
  d.server.image = appImage('1.3');
  await d.download();
  d.slots.complete();
  d.slots.switch();
  d.powerOn();
  assert.deepEqual(d.slots.boot(), { slot: 'ota_0', version: '1.3', trial: true });
  d.slots.revert();
  assert.equal(d.slots.boot().trial, false, 'after revert() the running firmware is no trial any more (ESP_OTA_IMG_INVALID)');
  d.slots.revert(); // no-op now
  d.slots.restart();
  d.powerOn();
  assert.deepEqual(d.slots.boot(), { slot: 'ota_1', version: '1.2', trial: false }, 'back on 1.2');
});

test('resume within a start: written() is what arrived, the next download asks for the rest; after a restart it is 0', async () => {
  const img = appImage('1.1', 20_000);
  const server = new ImageServer(img, { cutAfter: 7_500 });
  const d = new Device(server);
  await assert.rejects(d.download(), (e: { retryable?: boolean }) => e.retryable === true);
  assert.equal(d.slots.written(), 7_500, 'the bytes written stay');
  server.o = {};
  assert.deepEqual(await d.download(d.slots.written()), { size: img.length, total: img.length });
  assert.deepEqual(
    server.requests.map((r) => r.have),
    [0, 7_500],
    'the second request resumes at byte 7500',
  );
  assert.deepEqual(d.slots.read(0, img.length), img);
  d.slots.complete();

  // A power cut mid-download: the SDK's OTA handle is gone, so nothing can be appended to.
  const d2 = new Device(new ImageServer(img, { cutAfter: 5_000 }));
  await assert.rejects(d2.download());
  d2.powerOn();
  assert.equal(d2.slots.written(), 0, 'after a restart the download starts again');
  d2.server.o = {};
  await d2.download(5_000); // a core that still asks for 5000 gets a fresh start
  assert.deepEqual(
    d2.server.requests.map((r) => r.have),
    [0, 0],
  );
  d2.slots.complete();

  // A server that ignores Range: the image is written again from byte 0.
  const d3 = new Device(new ImageServer(img, { cutAfter: 3_000 }));
  await assert.rejects(d3.download());
  d3.server.o = { ignoreRange: true };
  await d3.download(3_000);
  assert.deepEqual(d3.slots.read(0, img.length), img, 'no image glued from two transfers');
  d3.slots.complete();
});

test('discard(): written() is 0 and the slot no longer holds a firmware that could be switched to', async () => {
  const img = appImage('1.1');
  const d = new Device(new ImageServer(img, { cutAfter: 4_000 }));
  await assert.rejects(d.download());
  d.slots.discard();
  assert.equal(d.slots.written(), 0);
  assert.throws(() => d.slots.complete(), isInstallError(/ota_1 is no firmware/));
  d.slots.discard(); // idempotent
  d.server.o = {};
  await d.download();
  d.slots.complete();
  d.slots.discard(); // a completed image too
  assert.throws(() => d.slots.switch(), isInstallError(/ESP_ERR_OTA_VALIDATE_FAILED/));
  d.powerOn();
  assert.deepEqual(d.slots.boot(), { slot: 'ota_0', version: '1.0', trial: false });
});

test('a bad image: complete() throws DM_ERR_INSTALL and nothing switches; no app image at all is refused while it downloads', async () => {
  const img = appImage('1.1');
  img[500] = (img[500]! + 1) & 255; // checksum no longer matches
  const d = new Device(new ImageServer(img));
  await d.download();
  assert.throws(
    () => d.slots.complete(),
    isInstallError(/the image in ota_1 is no firmware this device can start: ESP_ERR_OTA_VALIDATE_FAILED/),
  );
  assert.throws(() => d.slots.switch(), isInstallError(/cannot make ota_1 the next start/));
  d.powerOn();
  assert.deepEqual(d.slots.boot(), { slot: 'ota_0', version: '1.0', trial: false });

  // A JSON catalog document is no ESP32 app image: the first write refuses it (esp_ota_write checks the magic byte).
  const json = utf8Encode(JSON.stringify({ firmware: 'x', version: '2' }));
  const d2 = new Device(new ImageServer(json));
  await assert.rejects(
    d2.download(),
    (e: { retryable?: boolean; message?: string }) => e.retryable === false && /not an ESP32 app image/.test(e.message!),
  );

  // Larger than the slot: refused before a byte is written.
  const d3 = new Device(new ImageServer(appImage('9', CAPACITY)));
  await assert.rejects(d3.download(), (e: { retryable?: boolean }) => e.retryable === false);
  assert.equal(d3.slots.written(), 0);
});

test('in a trial: no download, no switch, and discard() keeps the previous firmware (the way back)', async () => {
  const d = new Device(new ImageServer(appImage('1.1')));
  await d.download();
  d.slots.complete();
  d.slots.switch();
  d.powerOn();
  assert.equal(d.slots.boot().trial, true);
  await assert.rejects(d.download(), isInstallError(/on trial: confirm it before a new download/));
  assert.throws(() => d.slots.switch(), isInstallError(/on trial/));
  d.slots.discard();
  d.powerOn(); // unconfirmed: back to ota_0, which discard() left intact
  assert.deepEqual(d.slots.boot(), { slot: 'ota_0', version: '1.0', trial: false });
});

test('a power cut between any two steps: each step called again after the power-on gives the same outcome', async () => {
  const img = appImage('1.1');
  // Cut after the download, after complete(), after switch() (before restart()), after the trial start, after confirm().
  const d = new Device(new ImageServer(img));
  await d.download();
  d.powerOn();
  assert.equal(d.slots.written(), img.length, 'a whole image survives the restart');
  assert.deepEqual(d.slots.read(0, img.length), img);
  await d.download(); // the core may fetch it again: from byte 0, as the SDK's OTA cannot append after a restart
  d.slots.complete();
  d.powerOn();
  d.slots.complete(); // the core repeats the journaled step: the same image is still complete
  d.slots.switch();
  d.powerOn(); // the switch was persisted: this power-on is the trial start, restart() or not
  assert.deepEqual(d.slots.boot(), { slot: 'ota_1', version: '1.1', trial: true });
  d.powerOn(); // a cut before the health check ran: returned
  assert.deepEqual(d.slots.boot(), { slot: 'ota_0', version: '1.0', trial: false });
  // Again, through to the confirm, with a cut right after it.
  await d.download();
  d.slots.complete();
  d.slots.switch();
  d.slots.switch();
  d.powerOn();
  assert.equal(d.slots.boot().trial, true);
  d.slots.confirm();
  d.powerOn();
  d.slots.confirm(); // repeated after the cut: a no-op
  assert.deepEqual(d.slots.boot(), { slot: 'ota_1', version: '1.1', trial: false });
  // The otadata writes are whole or absent (two sectors): a cut during one leaves the state before it.
  const before = d.otadata.read('otadata');
  d.otadata.failAfter(0);
  d.server.image = appImage('1.2');
  await d.download();
  d.slots.complete();
  assert.throws(() => d.slots.switch(), /power cut/);
  d.otadata.restorePower();
  assert.equal(d.otadata.read('otadata'), before);
  d.powerOn();
  assert.deepEqual(d.slots.boot(), { slot: 'ota_1', version: '1.1', trial: false });
});

test('the numbers of the native module and ESP-IDF error names', () => {
  assert.deepEqual([-1, 0, 1, 2, 3, 4, 5].map(otaStateName), ['none', 'new', 'pending', 'valid', 'invalid', 'aborted', 'undefined']);
  assert.equal(espErrorName(0x1503), 'ESP_ERR_OTA_VALIDATE_FAILED');
  assert.equal(espErrorName(0x1506), 'ESP_ERR_OTA_ROLLBACK_INVALID_STATE');
  assert.equal(espErrorName(0x2001), 'esp_err_t 0x2001');
});

test('the firmware image of the simulator and the lab: a small JSON document, anything else refused', () => {
  const enc = (v: unknown) => utf8Encode(JSON.stringify(v));
  assert.deepEqual(parseFirmwareImage(enc({ firmware: 'TS-Agent-1', version: '1.1' })), { firmware: 'TS-Agent-1', version: '1.1' });
  assert.deepEqual(parseFirmwareImage(enc({ firmware: 'f', version: '2', healthy: false })), {
    firmware: 'f',
    version: '2',
    healthy: false,
  });
  for (const bad of [
    new Uint8Array(0),
    appImage('1.1'),
    enc({ firmware: 'f' }),
    enc({ firmware: 'f', version: '' }),
    enc({ firmware: 'f', version: '1', healthy: 'no' }),
    enc(['f', '1']),
    enc({ firmware: 'f', version: '1', pad: 'x'.repeat(MAX_IMAGE_JSON) }),
  ])
    assert.equal(parseFirmwareImage(bad), undefined);
});

test('a whole image is remembered across restarts (FUMO Download, then Update later); a partial or replaced one is not', async () => {
  const img = appImage('1.1');
  const d = new Device(new ImageServer(img));
  await d.download();
  assert.deepEqual(JSON.parse(d.state.read('image')!), { slot: 'ota_1', size: img.length });
  d.powerOn();
  assert.equal(d.slots.written(), img.length);
  d.slots.complete(); // from flash: no OTA handle in this start
  d.slots.switch();
  d.powerOn();
  assert.equal(d.slots.boot().trial, true);
  assert.equal(d.slots.written(), 0, 'after the switch the inactive slot is the previous firmware, not the image');
  d.slots.confirm();

  // A new download starts: the record goes before the slot is erased, so a cut leaves no stale size.
  const d2 = new Device(new ImageServer(img));
  await d2.download();
  d2.server.o = { cutAfter: 2_000 };
  await assert.rejects(d2.download());
  assert.equal(d2.state.read('image'), undefined);
  d2.powerOn();
  assert.equal(d2.slots.written(), 0);
  // discard() forgets it too.
  d2.server.o = {};
  await d2.download();
  d2.slots.discard();
  d2.powerOn();
  assert.equal(d2.slots.written(), 0);
  // A record that is not a size of this slot counts as none.
  for (const bad of ['{"slot":"ota_1","size":-4}', '{"slot":"ota_1","size":1e9}', 'not json', '{"size":100}']) {
    d2.state.write('image', bad);
    d2.powerOn();
    assert.equal(d2.slots.written(), 0, bad);
  }
});
