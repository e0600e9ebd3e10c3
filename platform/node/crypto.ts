// Crypto port on node:crypto.
import * as nodeCryptoModule from 'node:crypto';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import type { Crypto } from '../../agent/ports.js';

// One randomBytes() call costs about 10 µs whatever its size, and a session draws several nonces: the
// bytes come from a pool refilled 4 KiB at a time (as Node does for randomUUID). Each byte is handed out
// once, as a copy, so no caller sees another's bytes.
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let used = POOL_BYTES;

function pooledRandom(n: number): Uint8Array {
  if (n > POOL_BYTES / 8) return new Uint8Array(randomBytes(n));
  if (used + n > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const out = pool.slice(used, used + n);
  used += n;
  return out;
}

// crypto.hash, one call without a Hash object, is a third faster on the short inputs of DM digests; it came
// with Node 20.12, and package.json asks for 20.
const oneShot = (nodeCryptoModule as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer }).hash;

export const nodeCrypto: Crypto = {
  md5: oneShot
    ? (data) => new Uint8Array(oneShot('md5', data, 'buffer'))
    : (data) => new Uint8Array(createHash('md5').update(data).digest()),
  createSha256: () => {
    const h = createHash('sha256');
    return {
      update: (d) => {
        h.update(d);
      },
      digest: () => new Uint8Array(h.digest()),
    };
  },
  randomBytes: pooledRandom,
};
