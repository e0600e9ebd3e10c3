// Crypto port on the SDK's crypt module (Digest MD5 and SHA256, native code) and its "rng" module for random
// bytes. Math.random() is not used: on XS it is c_rand() scaled to a float (31 bits per call, and the C
// library's rand() on the simulator); "rng" is the source the SDK's own TLS stack draws its randoms from,
// seeded from c_rand(), which on ESP32 is the hardware RNG (esp_random()).
import { Digest } from 'crypt';
import RNG from 'rng';
import type { Crypto, Hash, Log } from '../../agent/ports.js';
import { exactBuffer } from './lib/bytes.js';
import { SAVED_SEED_BYTES, bootSeed, savedSeed } from './lib/random-seed.js';
import type { Settings } from './settings.js';
import { errorMessage } from '../../agent/errors.js';

class Sha256 implements Hash {
  private readonly d = new Digest('SHA256');
  update(data: Uint8Array): void {
    if (data.length) this.d.write(exactBuffer(data));
  }
  digest(): Uint8Array {
    return new Uint8Array(this.d.close());
  }
}

export const moddableCrypto: Crypto = {
  md5(data: Uint8Array): Uint8Array {
    const d = new Digest('MD5');
    if (data.length) d.write(exactBuffer(data));
    return new Uint8Array(d.close());
  },
  createSha256: () => new Sha256(),
  randomBytes(n: number): Uint8Array {
    return n > 0 ? new Uint8Array(RNG.get(n)) : new Uint8Array(0);
  },
};

/**
 * Reseeds "rng" once at boot with the seed saved at the last boot, the clock and the platform's fresh bytes,
 * then saves the seed for the next boot (lib/random-seed.ts says why). Called before anything draws.
 */
export function seedRandom(settings: Settings, log?: Log): void {
  const seed = bootSeed(settings.getString('rngseed'), Date.now(), new Uint8Array(RNG.get(16)));
  RNG.init(exactBuffer(seed));
  try {
    settings.set('rngseed', savedSeed(new Uint8Array(RNG.get(SAVED_SEED_BYTES))));
  } catch (e) {
    log?.log('warn', `random seed not saved for the next boot: ${errorMessage(e)}`);
  }
}
