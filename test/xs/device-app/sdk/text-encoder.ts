// Stand-in for the SDK's "text/encoder" module (modules/data/text/encoder): encode(string) answers a Uint8Array
// of its UTF-8 (a lone surrogate as U+FFFD).
import { encodeUtf8 } from './utf8.js';

export default class TextEncoder {
  encode(value = ''): Uint8Array {
    return encodeUtf8(String(value));
  }

  get encoding(): string {
    return 'utf-8';
  }
}
Object.freeze(TextEncoder.prototype);
