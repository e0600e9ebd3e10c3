// UTF-8, base64 and hex without TextEncoder/TextDecoder/Buffer: XS has none of them in its base profile.
import { DmError, errorMessage } from '../errors.js';
import type { Utf8 } from '../ports.js';

/** Bytes of s in UTF-8, without encoding it (a lone surrogate counts 3: utf8Encode writes U+FFFD for it). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2;
      i++;
    } else n += 2;
  }
  return n;
}

export function utf8Encode(s: string): Uint8Array {
  // Most DM text is ASCII: write it straight into an exact-size buffer.
  let ascii = true;
  for (let i = 0; i < s.length; i++)
    if (s.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  if (ascii) {
    const a = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
    return a;
  }
  // Worst case 3 bytes per UTF-16 unit; trimmed at the end so the result is exact-size.
  const out = new Uint8Array(s.length * 3);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = c <= 0xdbff && i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else {
        c = 0xfffd; // a lone surrogate is not text: U+FFFD, as TextEncoder writes it
      }
    }
    if (c < 0x80) out[n++] = c;
    else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 63);
    } else if (c < 0x10000) {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    } else {
      out[n++] = 0xf0 | (c >> 18);
      out[n++] = 0x80 | ((c >> 12) & 63);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    }
  }
  return out.slice(0, n);
}

/** A whole message to UTF-8, natively when the platform gives a converter. */
export function encodeUtf8With(utf8: Utf8 | undefined, s: string): Uint8Array {
  return utf8 ? utf8.encode(s) : utf8Encode(s);
}

/** A whole message from UTF-8, natively when the platform gives a converter; malformed input is a 400 either way. */
export function decodeUtf8With(utf8: Utf8 | undefined, bytes: Uint8Array, start = 0): string {
  if (!utf8) return utf8Decode(bytes, start);
  try {
    return utf8.decode(start === 0 ? bytes : bytes.subarray(start));
  } catch (e) {
    throw new DmError('DM_ERR_BAD_SYNCML', 400, `invalid UTF-8 (${errorMessage(e)})`);
  }
}

/**
 * UTF-16 units per String.fromCharCode call. XS puts every argument on its stack, and the device's stack is
 * 640 slots (manifests/device), so a message can't go in one call (nor in a spread of thousands).
 */
export const FROM_CHAR_CODE_CHUNK = 128;

/** Strict UTF-8 decode of bytes[start, end). Throws DM_ERR_BAD_SYNCML (400) on invalid sequences. */
export function utf8Decode(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  const units: number[] = [];
  for (let i = start; i < end; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      units.push(b);
      i++;
    } else {
      let c: number;
      let need: number;
      if (b >= 0xc2 && b < 0xe0) {
        c = b & 0x1f;
        need = 1;
      } else if (b >= 0xe0 && b < 0xf0) {
        c = b & 0x0f;
        need = 2;
      } else if (b >= 0xf0 && b < 0xf5) {
        c = b & 0x07;
        need = 3;
      } else throw new DmError('DM_ERR_BAD_SYNCML', 400, `invalid UTF-8 byte 0x${b.toString(16)} at offset ${i}`);
      for (let k = 1; k <= need; k++) {
        const x = bytes[i + k];
        if (x === undefined || i + k >= end || (x & 0xc0) !== 0x80) {
          throw new DmError('DM_ERR_BAD_SYNCML', 400, `invalid UTF-8 continuation at offset ${i + k}`);
        }
        c = (c << 6) | (x & 0x3f);
      }
      if ((need === 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (need === 3 && (c < 0x10000 || c > 0x10ffff))) {
        throw new DmError('DM_ERR_BAD_SYNCML', 400, `invalid UTF-8 code point at offset ${i}`);
      }
      i += need + 1;
      if (c >= 0x10000) {
        c -= 0x10000;
        units.push(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
      } else units.push(c);
    }
    if (units.length >= FROM_CHAR_CODE_CHUNK - 1) {
      s += String.fromCharCode.apply(null, units);
      units.length = 0;
    }
  }
  return units.length === 0 ? s : s + String.fromCharCode.apply(null, units);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX: Record<string, number> = {};
for (let i = 0; i < 64; i++) B64_INDEX[B64[i]!] = i;

export function base64Encode(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    s += `${B64[n >> 18]! + B64[(n >> 12) & 63]!}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    s += `${B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]!}=`;
  }
  return s;
}

/** Decodes base64, ignoring white space. Throws DM_ERR_BAD_FORMAT (415) on anything else. */
export function base64Decode(text: string): Uint8Array {
  const clean = text.replace(/[\s]/g, '');
  if (clean.length % 4 !== 0) throw new DmError('DM_ERR_BAD_FORMAT', 415, 'base64 length is not a multiple of 4');
  const pad = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((clean.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const ch = clean[i + k]!;
      let v: number | undefined;
      if (ch === '=' && i + 4 === clean.length && k >= 4 - pad) v = 0;
      else v = B64_INDEX[ch];
      if (v === undefined) throw new DmError('DM_ERR_BAD_FORMAT', 415, `invalid base64 character '${ch}' at ${i + k}`);
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

export function hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  return s;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
