// UTF-8 for the stand-ins themselves (the text/encoder and text/decoder stand-ins, and the frames of the host
// calls). Written here rather than taken from agent/util/bytes.ts, so that the stand-ins do not lean on the
// code under test. A bundle for the device hides the engine's own TextEncoder and TextDecoder, as a device
// has neither.

export function encodeUtf8(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(i + 1) - 0xdc00);
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/**
 * `bytes` as text. `fatal`: malformed input (a bad lead or continuation byte, an overlong form, a surrogate,
 * a sequence cut short) throws a TypeError, as the SDK's decoder does ("invalid utf-8"); otherwise each bad
 * sequence becomes U+FFFD. A BOM is kept unless `stripBom`.
 */
export function decodeUtf8(bytes: Uint8Array, fatal: boolean, stripBom: boolean): string {
  let s = '';
  let i = stripBom && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const bad = (): void => {
    if (fatal) throw new TypeError('invalid utf-8');
    s += '\ufffd';
  };
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      s += String.fromCharCode(b);
      i++;
      continue;
    }
    const n = b >= 0xf0 && b <= 0xf4 ? 3 : b >= 0xe0 ? (b <= 0xef ? 2 : 0) : b >= 0xc2 ? 1 : 0;
    if (n === 0) {
      bad();
      i++;
      continue;
    }
    let c = b & (0x3f >> n);
    let k = 1;
    for (; k <= n; k++) {
      const x = bytes[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) break;
      c = (c << 6) | (x & 63);
    }
    if (k <= n || (n === 2 && c < 0x800) || (n === 3 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff)) {
      bad();
      i += Math.max(1, k);
      continue;
    }
    s += c < 0x10000 ? String.fromCharCode(c) : String.fromCharCode(0xd800 + ((c - 0x10000) >> 10), 0xdc00 + ((c - 0x10000) & 0x3ff));
    i += n + 1;
  }
  return s;
}

/** The bytes of an ArrayBuffer or of a view's window, as the SDK's native code reads a buffer argument. */
export function bytesOf(value: unknown, what: string): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`${what}: not a buffer`);
}
