// Stand-in for the Digest class of the SDK's "crypt" module (documentation/crypt/crypt.md): new Digest(type)
// for MD5, SHA1, SHA224, SHA256, SHA384, SHA512; write(data) with a string (UTF-8) or a buffer (an ArrayBuffer
// or a view), any number of times; close() answers the hash as an ArrayBuffer, once. The hashing itself is
// the host's (Node's crypto), as the SDK's is native code.
import { hostChecked } from './runtime.js';
import { bytesOf, encodeUtf8 } from './utf8.js';

const TYPES = ['MD5', 'SHA1', 'SHA224', 'SHA256', 'SHA384', 'SHA512'];

export class Digest {
  #type: string;
  #parts: Uint8Array[] | undefined = [];

  constructor(type: string) {
    if (!TYPES.includes(type)) throw new Error(`unsupported digest: ${type}`);
    this.#type = type;
  }

  write(data: string | ArrayBuffer | ArrayBufferView): void {
    if (!this.#parts) throw new Error('digest closed');
    this.#parts.push(typeof data === 'string' ? encodeUtf8(data) : bytesOf(data, 'digest write').slice());
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.write(data);
  }

  close(): ArrayBuffer {
    const parts = this.#parts;
    if (!parts) throw new Error('digest closed');
    this.#parts = undefined;
    let n = 0;
    for (const p of parts) n += p.length;
    const all = new Uint8Array(n);
    n = 0;
    for (const p of parts) {
      all.set(p, n);
      n += p.length;
    }
    return hostChecked('digest', { type: this.#type }, all).payload.slice().buffer;
  }

  reset(): void {
    this.#parts = [];
  }
}
Object.freeze(Digest.prototype);

export default Object.freeze({ Digest });
