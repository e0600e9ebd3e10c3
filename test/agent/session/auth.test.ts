import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  basicCred,
  md5Digest,
  hmacMac,
  hmacHeader,
  parseHmacHeader,
  checkServerCred,
  clientCred,
  UserPassHashes,
} from '../../../agent/session/auth.js';
import { nodeCrypto } from '../../../platform/node/crypto.js';
import { utf8Encode } from '../../../agent/util/bytes.js';

test('basic and md5 credentials match the DM standard examples (Bruce2 / OhBehave / nonce "Nonce")', () => {
  assert.equal(basicCred('Bruce2', 'OhBehave'), 'QnJ1Y2UyOk9oQmVoYXZl');
  assert.equal(md5Digest(nodeCrypto, 'Bruce2', 'OhBehave', utf8Encode('Nonce')), 'Zz6EivR3yeaaENcRN6lpAQ==');
});

test('md5 digests stay right while many accounts interleave; the user:pass hashes of the last few hundred are kept', () => {
  const { createHash } = require_();
  const b64md5 = (b: Buffer | string) => createHash('md5').update(b).digest('base64');
  const digest = (u: string, p: string, n: string) =>
    createHash('md5')
      .update(`${b64md5(`${u}:${p}`)}:${n}`)
      .digest('base64');
  let md5s = 0;
  const counting = {
    ...nodeCrypto,
    md5: (b: Uint8Array) => {
      md5s++;
      return nodeCrypto.md5(b);
    },
  };
  const run = (accounts: number, digests: number, hashes: UserPassHashes | typeof counting = new UserPassHashes(counting)) => {
    md5s = 0;
    for (let i = 0; i < digests; i++) {
      const [u, p, n] = [`dev-${accounts}-${i % accounts}`, `pw-${i % accounts}`, `n${i}`];
      assert.equal(md5Digest(hashes, u, p, utf8Encode(n)), digest(u, p, n));
    }
    return md5s;
  };
  // 200 accounts in turn (a fleet's sessions in flight): each hash once, then one md5 a digest.
  assert.equal(run(200, 1000), 200 + 1000);
  // 300 in turn, more than are kept: hashes are made again, the digests stay right.
  assert.ok(run(300, 900) > 900 + 300, 'run(300, 900) > 900 + 300');
  // A device's own account and its server's, alternating (a session keeps two): one md5 a digest, not two.
  assert.equal(run(2, 200, new UserPassHashes(counting, 2)), 2 + 200);
  // A bare crypto port keeps nothing: two md5s a digest, and the same digests.
  assert.equal(run(2, 200, counting), 2 * 200);
});

test('HMAC mac is b64(md5(b64(md5(user:pass)):nonce:b64(md5(body)))) and round-trips through the header', () => {
  const body = utf8Encode('<SyncML/>');
  const nonce = utf8Encode('abc');
  const { createHash } = require_();
  const b64md5 = (b: Buffer | string) => createHash('md5').update(b).digest('base64');
  const expected = createHash('md5')
    .update(`${b64md5('u:p')}:abc:${b64md5('<SyncML/>')}`)
    .digest('base64');
  assert.equal(hmacMac(nodeCrypto, 'u', 'p', nonce, body), expected);
  const h = parseHmacHeader(hmacHeader(nodeCrypto, 'u', 'p', nonce, body));
  assert.deepEqual(h, { algorithm: 'MD5', username: 'u', mac: expected });
  assert.equal(parseHmacHeader('algorithm=MD5, mac=x'), undefined, 'username is mandatory');
  // Quoted values keep commas and spaces; names are case-insensitive; a malformed field is skipped.
  assert.deepEqual(parseHmacHeader(' Username = "a, b" ,MAC=m1 '), { algorithm: 'MD5', username: 'a, b', mac: 'm1' });
  assert.deepEqual(parseHmacHeader('junk, username=u, =x, mac="m", algorithm=SHA'), { algorithm: 'SHA', username: 'u', mac: 'm' });
  assert.deepEqual(parseHmacHeader('username="unclosed, mac=m'), undefined);
  assert.deepEqual(parseHmacHeader('username=u v, mac=m'), undefined, 'a bare value ends at white space, and then only a comma may follow');
});

test('server credential check: ok, missing (407) and bad (401) for digest and HMAC', () => {
  const nonce = utf8Encode('srv-nonce');
  const expected = { type: 'DIGEST' as const, name: 'srv', secret: 'pw', nonce };
  const good = clientCred(nodeCrypto, expected)!;
  const body = new Uint8Array(0);
  assert.equal(checkServerCred(nodeCrypto, expected, good, undefined, body), 'ok');
  assert.equal(checkServerCred(nodeCrypto, expected, undefined, undefined, body), 'missing');
  assert.equal(
    checkServerCred(nodeCrypto, expected, { ...good, data: md5Digest(nodeCrypto, 'srv', 'pw', utf8Encode('replayed')) }, undefined, body),
    'bad',
  );
  assert.equal(
    checkServerCred(nodeCrypto, expected, { meta: { type: 'syncml:auth-basic' }, data: basicCred('srv', 'pw') }, undefined, body),
    'bad',
    'wrong scheme',
  );
  const hm = { type: 'HMAC' as const, name: 'srv', secret: 'pw', nonce };
  const msg = utf8Encode('<SyncML>x</SyncML>');
  assert.equal(checkServerCred(nodeCrypto, hm, undefined, hmacHeader(nodeCrypto, 'srv', 'pw', nonce, msg), msg), 'ok');
  assert.equal(
    checkServerCred(nodeCrypto, hm, undefined, hmacHeader(nodeCrypto, 'srv', 'pw', nonce, msg), utf8Encode('<SyncML>y</SyncML>')),
    'bad',
    'body changed',
  );
  assert.equal(checkServerCred(nodeCrypto, hm, undefined, undefined, msg), 'missing');
});

import { createRequire } from 'node:module';
function require_() {
  return createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
}
