// The Moddable platform adapters, one module per port of agent/ports.ts. Nothing imports this file on the
// device: the manifests list the modules one by one, because the simulator build must leave out the
// ESP32-only ones (button.ts needs embedded:io/digital, flash-mod-slot.ts the flash module, esp32-firmware-slots.ts
// the ota module and native/esp-ota.c). It exists as
// the table of contents, and so that `tsc -p platform/moddable` checks every adapter against its port.
export { ModdableClock } from './clock.js';
export { Settings } from './settings.js';
export { FileStorage } from './storage.js';
export { DigitalButton } from './button.js';
export { PiuDisplay } from './display.js';
export { HttpTransport } from './http-transport.js';
export { MqttTransport } from './mqtt-transport.js';
export { moddableCrypto } from './crypto.js';
export { HttpDownloader } from './downloader.js';
export { ModInstaller } from './installer.js';
export { FlashModSlot } from './flash-mod-slot.js';
export { FileModSlot } from './file-mod-slot.js';
export { esp32FirmwareSlots } from './esp32-firmware-slots.js';
export { FileFirmwareSlots } from './file-firmware-slots.js';
export { TraceLog } from './log.js';
export { startDevice } from './app.js';
