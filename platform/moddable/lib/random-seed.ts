// The seed of the random source at boot. The SDK's "rng" seeds itself from the host's c_rand(): the hardware
// RNG on ESP32, but the C library's rand(), never seeded, on the desktop simulator and on some other ports
// (pico, nrf52), where every start would draw the same session ids and nonces, and a nonce issued before a
// reboot would be issued again: a replayed server message would then pass. Mixing in a seed saved at the
// previous boot and the clock makes each start's stream differ wherever c_rand() does not.
import { base64Decode, base64Encode, concatBytes } from '../../../agent/util/bytes.js';

/** Bytes saved at each boot for the next one. */
export const SAVED_SEED_BYTES = 32;

/** The seed for this boot: the saved seed (if readable), the time, and the platform's own fresh bytes. */
export function bootSeed(saved: string | undefined, nowMs: number, fresh: Uint8Array): Uint8Array {
  let previous: Uint8Array = new Uint8Array(0);
  if (saved) {
    try {
      previous = base64Decode(saved);
    } catch {
      /* a damaged seed is dropped: time and fresh bytes remain */
    }
  }
  const time = new Uint8Array(8);
  let t = Number.isFinite(nowMs) ? Math.max(0, Math.floor(nowMs)) : 0;
  for (let i = 7; i >= 0; i--) {
    time[i] = t % 256;
    t = Math.floor(t / 256);
  }
  // The RC4 key schedule uses at most 256 key bytes.
  return concatBytes([previous.subarray(0, SAVED_SEED_BYTES), time, fresh]).subarray(0, 256);
}

/** The text the seed for the next boot is saved as. */
export function savedSeed(next: Uint8Array): string {
  return base64Encode(next.subarray(0, SAVED_SEED_BYTES));
}
