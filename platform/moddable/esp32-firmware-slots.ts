// The firmware slots on the device (ESP32, ESP-IDF's OTA partitions ota_0/ota_1 and otadata, with the
// bootloader's rollback): lib/ota-slots.ts's logic over the SDK's `ota` module (begin, write, end), the SDK's
// flash module (partition "nextota": read back, erase) and our native module (native/esp-ota.ts: states,
// check, switch, confirm, return, restart). The download is http-get.ts, as for packages.
import OTA from 'ota';
import Flash from 'flash';
import { markInvalid, markValid, nextLabel, restart, runningLabel, runningState, setBootNext, verifyNext } from './native/esp-ota.js';
import type { Storage } from '../../agent/ports.js';
import { httpGet } from './http-get.js';
import { withDefined } from '../../agent/util/options.js';
import { OtaFirmwareSlots, otaStateName, type OtaImageState, type OtaPlatform } from './lib/ota-slots.js';

export interface Esp32FirmwareSlotsOptions {
  /** This build's firmware version (dm.device.devDetail.fwV of its manifest). */
  version: string;
  /** Keeps the size of a whole downloaded image across restarts (lib/ota-slots.ts). */
  store?: Storage;
  certificate?: ArrayBuffer | HostBuffer;
}

/** The OtaPlatform of the ESP32. Opens the flash partition when first used, not at load (preloaded modules). */
export class Esp32OtaPlatform implements OtaPlatform {
  private flash: Flash | undefined;

  private next(): Flash {
    // "nextota" is esp_ota_get_next_update_partition(NULL) in the SDK's flash module (modules/files/flash/esp32).
    this.flash ??= new Flash('nextota');
    return this.flash;
  }

  begin() {
    return new OTA();
  }
  read(offset: number, length: number): ArrayBuffer {
    return this.next().read(offset, length) as ArrayBuffer; // useHostBuffer not set: a copy in an ArrayBuffer
  }
  eraseHead(): void {
    this.next().erase(0);
  }
  get capacity(): number {
    return this.next().byteLength;
  }
  runningLabel(): string {
    return runningLabel();
  }
  nextLabel(): string {
    return nextLabel();
  }
  runningState(): OtaImageState {
    return otaStateName(runningState());
  }
  verifyNext(): number {
    return verifyNext();
  }
  setBootNext(): number {
    return setBootNext();
  }
  markValid(): number {
    return markValid();
  }
  markInvalid(): number {
    return markInvalid();
  }
  restart(): void {
    restart();
  }
}

export function esp32FirmwareSlots(o: Esp32FirmwareSlotsOptions): OtaFirmwareSlots {
  return new OtaFirmwareSlots(
    withDefined(
      { platform: new Esp32OtaPlatform(), version: o.version, fetch: httpGet(withDefined({}, { certificate: o.certificate })) },
      { store: o.store },
    ),
  );
}
