import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utf8Encode, utf8Decode, utf8Length, base64Encode, base64Decode, hex, FROM_CHAR_CODE_CHUNK } from '../../../agent/util/bytes.js';
import { DmError } from '../../../agent/errors.js';

test('utf8 matches the platform encoder on ASCII, 2-, 3- and 4-byte characters', () => {
  for (const s of ['', 'abc', 'é', 'Größe €', '𝄞 music', 'end\u0000nul']) {
    const ours = utf8Encode(s);
    assert.deepEqual(Array.from(ours), Array.from(new TextEncoder().encode(s)), s);
    assert.equal(utf8Decode(ours), s);
  }
});

test('utf8Decode of a long text passes String.fromCharCode at most a chunk of arguments (XS stacks them)', () => {
  const text = 'x'.repeat(5000) + 'é€𝄞'.repeat(700) + 'y'.repeat(301);
  const real = String.fromCharCode;
  let most = 0;
  String.fromCharCode = (...units: number[]) => {
    most = Math.max(most, units.length);
    return real.apply(String, units);
  };
  try {
    assert.equal(utf8Decode(new TextEncoder().encode(text)), text);
  } finally {
    String.fromCharCode = real;
  }
  assert.ok(most > 1 && most <= FROM_CHAR_CODE_CHUNK, `${most} arguments in one call`);
  assert.ok(FROM_CHAR_CODE_CHUNK <= 256, 'a quarter of the device stack at most');
});

test('utf8Decode refuses overlong, truncated and surrogate sequences with a DmError 400', () => {
  for (const bad of [[0xc0, 0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xff], [0xf4, 0x90, 0x80, 0x80]]) {
    assert.throws(
      () => utf8Decode(new Uint8Array(bad)),
      (e: unknown) => e instanceof DmError && e.status === 400,
    );
  }
});

test('base64 matches Node and round-trips every length 0..7', () => {
  for (let n = 0; n < 8; n++) {
    const b = new Uint8Array(n).map((_, i) => (i * 97 + 13) & 255);
    const s = base64Encode(b);
    assert.equal(s, Buffer.from(b).toString('base64'));
    assert.deepEqual(Array.from(base64Decode(s)), Array.from(b));
  }
  assert.equal(hex(base64Decode('She7KAcdey+lgT1O//nf9g==')), Buffer.from('She7KAcdey+lgT1O//nf9g==', 'base64').toString('hex'));
});

test('base64Decode refuses bad characters and lengths with 415', () => {
  for (const bad of ['abc', 'ab$=', '=abc']) {
    assert.throws(
      () => base64Decode(bad),
      (e: unknown) => e instanceof DmError && e.status === 415,
    );
  }
});

test('utf8Length agrees with utf8Encode, for ASCII, 2-, 3- and 4-byte characters and lone surrogates', () => {
  for (const s of ['', 'abc', 'é', '€uro', 'a😀b', '\ud800x', 'x\udc00', '😀😀', 'ÿ'.repeat(10)]) {
    assert.equal(utf8Length(s), utf8Encode(s).length, JSON.stringify(s));
  }
});
