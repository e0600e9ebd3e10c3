// Stand-in for the SDK's "rng" module (modules/crypt/etc/rng): get(n) answers n bytes of the stream as an
// ArrayBuffer; init(seed) rekeys the stream with the seed's bytes (no seed: the host's c_rand()). The stream is
// the host's: like the simulator's unseeded c_rand(), it starts the same at every boot, so only what the
// device mixes in (a saved seed, the clock) makes two boots draw different bytes.
import { hostChecked } from './runtime.js';
import { bytesOf } from './utf8.js';

const RNG = {
  get(n: number): ArrayBuffer {
    return hostChecked('rng.get', { count: Math.max(0, Math.trunc(Number(n)) || 0) }).payload.slice().buffer;
  },
  init(seed?: ArrayBuffer): void {
    if (seed) hostChecked('rng.init', {}, bytesOf(seed, 'rng init'));
    else hostChecked('rng.init', { host: true });
  },
};

Object.freeze(RNG);

export default RNG;
