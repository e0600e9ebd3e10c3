/* Stand-in declaration of ESP-IDF's esp_restart (esp_system.h), as esp-ota.c uses it (see esp_ota_ops.h here). */
#pragma once
void esp_restart(void) __attribute__((noreturn));
