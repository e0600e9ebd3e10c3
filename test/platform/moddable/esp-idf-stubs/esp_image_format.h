/* Stand-in declarations of ESP-IDF's esp_image_format.h as esp-ota.c uses it (see esp_ota_ops.h here). */
#pragma once
#include "esp_ota_ops.h"

typedef enum {
	ESP_IMAGE_VERIFY,
	ESP_IMAGE_VERIFY_SILENT,
} esp_image_load_mode_t;

typedef struct {
	uint32_t offset;
	uint32_t size;
} esp_partition_pos_t;

typedef struct {
	uint32_t start_addr;
	uint32_t image_len;
	uint8_t image_digest[32];
} esp_image_metadata_t;

esp_err_t esp_image_verify(esp_image_load_mode_t mode, const esp_partition_pos_t *part, esp_image_metadata_t *data);
