// Utf8 port on the SDK's native text/encoder and text/decoder modules: a whole message converted in C rather
// than byte by byte in XS. fatal: malformed input throws (the core answers 400); ignoreBOM: the XML reader
// skips a BOM itself.
// Named apart from the host globals of the same name, which a device does not have.
import SdkTextDecoder from 'text/decoder';
import SdkTextEncoder from 'text/encoder';
import type { Utf8 } from '../../agent/ports.js';

// Made on first use, not when the module loads: a preloaded module runs in the XS linker, where native
// constructors are unavailable ("link: unavailable function").
let encoder: SdkTextEncoder | undefined;
let decoder: SdkTextDecoder | undefined;

export const moddableUtf8: Utf8 = {
  encode: (text) => (encoder ??= new SdkTextEncoder()).encode(text),
  decode: (bytes) => (decoder ??= new SdkTextDecoder('utf-8', { fatal: true, ignoreBOM: true })).decode(bytes),
};
