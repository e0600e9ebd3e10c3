// Crypto port on node:crypto.
import { createHash, randomBytes } from 'node:crypto';
import type { Crypto } from '../../agent/ports.js';

export const nodeCrypto: Crypto = {
  md5: (data) => new Uint8Array(createHash('md5').update(data).digest()),
  createSha256: () => {
    const h = createHash('sha256');
    return { update: (d) => { h.update(d); }, digest: () => new Uint8Array(h.digest()) };
  },
  randomBytes: (n) => new Uint8Array(randomBytes(n)),
};
