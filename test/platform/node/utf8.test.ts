import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeUtf8 } from '../../../platform/node/utf8.js';
import { decodeUtf8With, encodeUtf8With, utf8Decode, utf8Encode } from '../../../agent/util/bytes.js';
import { decodeMessage, encodeMessage } from '../../../agent/syncml/codec.js';
import { sampleMessages } from '../../helpers/corpus.js';
import { DmError } from '../../../agent/errors.js';

test('native and JavaScript UTF-8 give the same bytes and text, on random text from every plane', () => {
  let seed = 11;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >>> 8) % n;
  };
  const ranges = [
    [0x20, 0x7f],
    [0x80, 0x800],
    [0x800, 0xd800],
    [0xe000, 0x10000],
    [0x10000, 0x110000],
  ] as const;
  for (let k = 0; k < 500; k++) {
    let s = '';
    for (let n = rnd(40); n > 0; n--) {
      const [lo, hi] = ranges[rnd(ranges.length)]!;
      s += String.fromCodePoint(lo + rnd(hi - lo));
    }
    if (rnd(4) === 0) s += '\ud800x\udfff'; // lone surrogates: U+FFFD from both
    const bytes = encodeUtf8With(nodeUtf8, s);
    assert.deepEqual(bytes, utf8Encode(s));
    assert.equal(decodeUtf8With(nodeUtf8, bytes), utf8Decode(bytes));
  }
});

test('malformed UTF-8 is a 400 through either converter', () => {
  for (const bad of [[0xc0, 0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xff], [0xf4, 0x90, 0x80, 0x80], [0x3c, 0x80]]) {
    for (const utf8 of [nodeUtf8, undefined]) {
      assert.throws(
        () => decodeUtf8With(utf8, new Uint8Array(bad)),
        (e: unknown) => e instanceof DmError && e.status === 400,
        `${bad} ${utf8 ? 'native' : 'js'}`,
      );
    }
  }
});

test('every corpus message encodes and decodes the same with the native converter (a BOM is skipped by the reader)', () => {
  for (const { name, msg } of sampleMessages()) {
    const js = encodeMessage(msg, 'xml');
    assert.deepEqual(encodeMessage(msg, 'xml', nodeUtf8), js, name);
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...js]);
    assert.deepEqual(decodeMessage(withBom, nodeUtf8), decodeMessage(withBom), name);
  }
});
