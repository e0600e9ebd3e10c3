// Utf8 port on the SDK's native text/encoder and text/decoder modules: a whole message converted in C rather
// than byte by byte in XS. fatal: malformed input throws (the core answers 400); ignoreBOM: the XML reader
// skips a BOM itself.
// Named apart from the host globals of the same name, which a device does not have.
import SdkTextDecoder from 'text/decoder';
import SdkTextEncoder from 'text/encoder';
import type { Utf8 } from '../../agent/ports.js';

/**
 * Made at boot (app.ts), not when the module loads: a preloaded module runs in the XS linker, where native
 * constructors are unavailable ("link: unavailable function"), and what it made there would be read-only.
 */
export class ModdableUtf8 implements Utf8 {
  private readonly encoder = new SdkTextEncoder();
  private readonly decoder = new SdkTextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  encode(text: string): Uint8Array {
    return this.encoder.encode(text);
  }

  decode(bytes: Uint8Array): string {
    return this.decoder.decode(bytes);
  }
}
