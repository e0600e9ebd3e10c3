// Utf8 port on Node's TextEncoder and TextDecoder: the core's whole-message conversions at native speed.
// fatal: malformed input throws (the core answers 400); ignoreBOM: a BOM is left for the XML reader to skip,
// as the core's own decoder does.
import type { Utf8 } from '../../agent/ports.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const nodeUtf8: Utf8 = {
  encode: (text) => encoder.encode(text),
  decode: (bytes) => decoder.decode(bytes),
};
