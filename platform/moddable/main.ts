// Entry module of the device build (manifests/device, ESP32 Moddable Two): the shared start-up with the
// board's button (ECMA-419 digital input), the ESP32 mod partition and the firmware slots (ESP-IDF's OTA). The SDK runs it after its setup
// modules (Wi-Fi, SNTP, screen) and calls the default export; Piu wants the application back.
import Preference from 'preference';
import { startDevice } from './app.js';
import { DigitalButton } from './button.js';
import { FlashModSlot } from './flash-mod-slot.js';
import { esp32FirmwareSlots } from './esp32-firmware-slots.js';
import { FileStorage } from './storage.js';
import { withDefined } from '../../agent/util/options.js';

export default function main(): object {
  return startDevice({
    slot: new FlashModSlot(),
    preference: Preference,
    makeButton: (pin, clock) => new DigitalButton(pin, clock),
    makeFirmware: (o) => ({
      slots: esp32FirmwareSlots(withDefined({ version: o.version, store: new FileStorage(o.dir) }, { certificate: o.certificate })),
    }),
  }).application;
}
