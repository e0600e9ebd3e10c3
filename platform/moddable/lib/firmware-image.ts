// The firmware image of the simulator and of the lab: a JSON document {"firmware": name, "version": "1.1",
// "healthy"?: false}, what the lab server's catalog serves for a device model and what platform/node's
// firmware slot takes (its header says so). The simulator cannot start another build, so its slots hold
// these, and "starting" one means running the same build with that version (file-firmware-slots.ts).
// On the ESP32 an image is an ESP-IDF app image, checked by ESP-IDF itself (native/esp-ota.c).
import { utf8Decode } from '../../../agent/util/bytes.js';

export interface FirmwareImage {
  firmware: string;
  version: string;
  /** false: a firmware whose health check fails (to try the return to the previous slot). */
  healthy?: boolean;
}

/** Largest image read as JSON: a real firmware image is no JSON, and a bigger one is refused unread. */
export const MAX_IMAGE_JSON = 4096;

/** The image these bytes are, or undefined when they are no such JSON document. */
export function parseFirmwareImage(bytes: Uint8Array): FirmwareImage | undefined {
  if (bytes.length === 0 || bytes.length > MAX_IMAGE_JSON) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(utf8Decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.firmware !== 'string' || typeof o.version !== 'string' || o.version === '') return undefined;
  if (o.healthy !== undefined && typeof o.healthy !== 'boolean') return undefined;
  return o.healthy === undefined
    ? { firmware: o.firmware, version: o.version }
    : { firmware: o.firmware, version: o.version, healthy: o.healthy };
}
