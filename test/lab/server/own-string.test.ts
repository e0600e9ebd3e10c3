import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ownString } from '../../../lab/server/own-string.js';

test('ownString copies any string exactly: empty, ASCII, non-BMP and lone surrogates (a UTF-8 round trip would not)', () => {
  const message = `<SyncML>${'x'.repeat(4000)}<LocURI>IMEI:493005100592800</LocURI></SyncML>`;
  const devId = message.slice(message.indexOf('IMEI'), message.indexOf('</LocURI>'));
  for (const s of ['', 'a', devId, 'Größe 😀 ✓', '\uD800', 'a\uDC00b', '\uFFFD\uFFFF']) assert.equal(ownString(s), s);
  assert.notEqual(Buffer.from('\uD800', 'utf8').toString('utf8'), '\uD800', 'the reason for UTF-16: UTF-8 loses a lone surrogate');
});
