// Stand-in for the SDK's ESP32 "ota" module (build/devices/esp32/modules/ota): the constructor is esp_ota_begin
// on the next update partition, write() esp_ota_write, cancel() esp_ota_end, complete() esp_ota_end and the
// switch; each throws the SDK's message on an ESP-IDF error. The partitions are esp32-world.ts's.
import type { OtaWriter } from '../../../../platform/moddable/lib/ota-slots.js';
import { esp32 } from './esp32-world.js';

export default class OTA {
  #w: OtaWriter | undefined;

  constructor(_options?: unknown) {
    this.#w = esp32().begin();
  }

  write(data: ArrayBuffer): void {
    if (!this.#w) throw new Error('bad state');
    this.#w.write(data);
  }

  cancel(): void {
    this.#w?.cancel();
    this.#w = undefined;
  }

  complete(): void {
    if (!this.#w) throw new Error('bad state');
    this.#w = undefined;
    if (esp32().verifyNext() !== 0) throw new Error('end failed');
    if (esp32().setBootNext() !== 0) throw new Error("can't change boot partition");
  }
}
Object.freeze(OTA.prototype);
