// Stand-in for the SDK's "text/decoder" module (modules/data/text/decoder): UTF-8 only; decode(buffer) takes an
// ArrayBuffer or a view; `fatal` makes malformed input a TypeError ("invalid utf-8"); a leading BOM is dropped
// unless `ignoreBOM`.
import { bytesOf, decodeUtf8 } from './utf8.js';

export default class TextDecoder {
  #fatal: boolean;
  #ignoreBOM: boolean;

  constructor(label = 'utf-8', options?: { fatal?: boolean; ignoreBOM?: boolean }) {
    const l = String(label).toLowerCase();
    if (l !== 'utf-8' && l !== 'utf8') throw new RangeError(`unsupported encoding: ${label}`);
    this.#fatal = Boolean(options?.fatal);
    this.#ignoreBOM = Boolean(options?.ignoreBOM);
  }

  decode(buffer: ArrayBuffer | ArrayBufferView): string {
    return decodeUtf8(bytesOf(buffer, 'TextDecoder decode'), this.#fatal, !this.#ignoreBOM);
  }

  get encoding(): string {
    return 'utf-8';
  }

  get fatal(): boolean {
    return this.#fatal;
  }

  get ignoreBOM(): boolean {
    return this.#ignoreBOM;
  }
}
Object.freeze(TextDecoder.prototype);
