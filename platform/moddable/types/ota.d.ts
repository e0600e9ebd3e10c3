// The SDK's ESP32 OTA module (build/devices/esp32/modules/ota, module name "ota"; manifests/device includes
// its manifest), which @moddable/typings does not declare. Each method is one ESP-IDF call (SDK 8.2.3, ota.c):
// the constructor esp_ota_begin(esp_ota_get_next_update_partition(NULL), OTA_WITH_SEQUENTIAL_WRITES) (erasing
// as it writes); write() esp_ota_write; cancel() esp_ota_end (no switch; its result is dropped); complete()
// esp_ota_end then esp_ota_set_boot_partition. Each throws on an ESP-IDF error ("begin failed", "write failed",
// "end failed", "can't change boot partition").
declare module 'ota' {
  export default class OTA {
    constructor(options?: { byteLength?: number });
    write(data: ArrayBuffer | ArrayBufferView): void;
    cancel(): void;
    complete(): void;
  }
}
