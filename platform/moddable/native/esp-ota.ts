// Our native module for what the SDK's ESP32 `ota` module (build/devices/esp32/modules/ota) does not expose of
// ESP-IDF's esp_ota_ops.h: which partition runs and in which otadata state, the image check without the
// switch, the switch, the confirm and the return of a trial, the restart. esp-ota.c implements it; the device
// build alone has it (manifests/device). Results are esp_err_t numbers (0 = ESP_OK): esp32-firmware-slots.ts
// and lib/ota-slots.ts turn them into the port's errors.
//
// XS's Native API: `native(name)` with one string literal is compiled by xsc into a call of the C function
// `name` (documentation/xs/XS in C.md, "Native"). It is declared here for tsc; nothing runs at load.
declare function native(name: string): (this: unknown, ...args: unknown[]) => unknown;

/** The running app partition's label (esp_ota_get_running_partition). */
export function runningLabel(): string {
  return native('xs_dmota_running_label').call(undefined) as string;
}

/** The label of the partition an update goes to (esp_ota_get_next_update_partition(NULL)). */
export function nextLabel(): string {
  return native('xs_dmota_next_label').call(undefined) as string;
}

/** The running partition's otadata state: -1 no record, else 0 NEW, 1 PENDING_VERIFY, 2 VALID, 3 INVALID, 4 ABORTED, 5 UNDEFINED. */
export function runningState(): number {
  return native('xs_dmota_running_state').call(undefined) as number;
}

/** esp_image_verify(ESP_IMAGE_VERIFY) of the next update partition. */
export function verifyNext(): number {
  return native('xs_dmota_verify_next').call(undefined) as number;
}

/** esp_ota_set_boot_partition(next update partition). */
export function setBootNext(): number {
  return native('xs_dmota_set_boot_next').call(undefined) as number;
}

/** esp_ota_mark_app_valid_cancel_rollback(). */
export function markValid(): number {
  return native('xs_dmota_mark_valid').call(undefined) as number;
}

/** esp_ota_mark_app_invalid_rollback(): the next start runs the previous slot; no reboot. */
export function markInvalid(): number {
  return native('xs_dmota_mark_invalid').call(undefined) as number;
}

/** esp_restart(): does not return. */
export function restart(): void {
  native('xs_dmota_restart').call(undefined);
}
