/*
 * Native part of platform/moddable/native/esp-ota.ts: the calls of ESP-IDF's OTA API (esp_ota_ops.h,
 * esp_image_format.h, ESP-IDF 6 as the Moddable SDK 8.2.3 uses it) that the SDK's `ota` module does not make.
 * Each function returns what ESP-IDF returns (an esp_err_t, 0 = ESP_OK) and never throws: the JavaScript side
 * (lib/ota-slots.ts) decides what a code means for the firmware update.
 *
 * The otadata states need CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE (manifests/device/sdkconfig): without it a new
 * image starts as ESP_OTA_IMG_UNDEFINED, never as a trial, and nothing returns from it.
 */
#include "xsmc.h"
#include "esp_ota_ops.h"
#include "esp_image_format.h"
#include "esp_system.h"

static void setLabel(xsMachine *the, const esp_partition_t *partition)
{
	xsmcSetString(xsResult, partition ? (char *)partition->label : "");
}

void xs_dmota_running_label(xsMachine *the)
{
	setLabel(the, esp_ota_get_running_partition());
}

void xs_dmota_next_label(xsMachine *the)
{
	setLabel(the, esp_ota_get_next_update_partition(NULL));
}

void xs_dmota_running_state(xsMachine *the)
{
	const esp_partition_t *running = esp_ota_get_running_partition();
	esp_ota_img_states_t state;
	int result = -1;	/* no record in otadata (blank after a USB flash), or no otadata partition */

	if (running && (ESP_OK == esp_ota_get_state_partition(running, &state))) {
		switch (state) {
			case ESP_OTA_IMG_NEW: result = 0; break;
			case ESP_OTA_IMG_PENDING_VERIFY: result = 1; break;
			case ESP_OTA_IMG_VALID: result = 2; break;
			case ESP_OTA_IMG_INVALID: result = 3; break;
			case ESP_OTA_IMG_ABORTED: result = 4; break;
			default: result = 5; break;	/* ESP_OTA_IMG_UNDEFINED */
		}
	}
	xsmcSetInteger(xsResult, result);
}

void xs_dmota_verify_next(xsMachine *the)
{
	const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);
	esp_err_t err = ESP_ERR_NOT_FOUND;

	if (next) {
		/* What esp_ota_end and esp_ota_set_boot_partition check: magic, segments, checksum, appended SHA-256, signature. */
		esp_partition_pos_t pos = { .offset = next->address, .size = next->size };
		esp_image_metadata_t data;
		err = esp_image_verify(ESP_IMAGE_VERIFY, &pos, &data);
	}
	xsmcSetInteger(xsResult, err);
}

void xs_dmota_set_boot_next(xsMachine *the)
{
	const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);
	xsmcSetInteger(xsResult, next ? esp_ota_set_boot_partition(next) : ESP_ERR_NOT_FOUND);
}

void xs_dmota_mark_valid(xsMachine *the)
{
	xsmcSetInteger(xsResult, esp_ota_mark_app_valid_cancel_rollback());
}

void xs_dmota_mark_invalid(xsMachine *the)
{
	xsmcSetInteger(xsResult, esp_ota_mark_app_invalid_rollback());
}

void xs_dmota_restart(xsMachine *the)
{
	(void)the;
	esp_restart();
}
