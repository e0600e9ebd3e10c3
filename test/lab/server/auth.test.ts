import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainRefusal, AccountBook, parseDevices, serverCred, serverHmac, verifyDevice } from '../../../lab/server/auth.js';
import { basicCred, hmacHeader, md5Digest } from '../../../agent/session/auth.js';
import { utf8Encode } from '../../../agent/util/bytes.js';
import { nodeCrypto } from '../../../platform/node/crypto.js';

const nonce = utf8Encode('Nonce');

test('parseDevices: defaults to md5, validates fields', () => {
  assert.deepEqual(parseDevices([{ username: 'u', password: 'p' }]), [{ username: 'u', password: 'p', auth: 'md5' }]);
  assert.deepEqual(
    parseDevices({
      devices: [{ username: 'u', password: 'p', auth: 'hmac', devId: 'IMEI:1', server: { username: 's', password: 'q' } }],
    })[0]!.server,
    { username: 's', password: 'q', auth: 'md5' },
  );
  assert.throws(() => parseDevices([{ username: 'u' }]), /devices\[0\]\.password must be a non-empty string/);
  assert.throws(() => parseDevices([{ username: 'u', password: 'p', auth: 'x509' }]), /auth must be one of/);
  assert.throws(() => parseDevices([{ username: 'u', password: 'p', nonce: '***' }]), /nonce '\*\*\*' is not base64/);
});

test('AccountBook: by LocName, by HMAC username, bound to a DevId when the account says so', () => {
  const book = new AccountBook(
    parseDevices([
      { username: 'a', password: 'p', devId: 'D1' },
      { username: 'b', password: 'p' },
      { username: 'c', password: 'p1', devId: 'D1' },
      { username: 'c', password: 'p2' },
      { username: 'c', password: 'p3', devId: 'D3' },
      { username: 'n', password: 'p', auth: 'none', devId: 'D4' },
    ]),
  );
  assert.equal(book.find('D1', 'a', undefined)?.username, 'a');
  assert.equal(book.find('D2', 'a', undefined), undefined, 'a is bound to D1');
  assert.equal(book.find('D2', undefined, 'algorithm=MD5, username="b", mac=xx')?.username, 'b');
  assert.equal(book.find('D2', undefined, undefined), undefined);
  assert.equal(book.find('D9', 'nobody', undefined), undefined);
  // One name, several accounts: the one bound to the DevId first, else the unbound one.
  assert.equal(book.find('D3', 'c', undefined)?.password, 'p3');
  assert.equal(book.find('D1', 'c', undefined)?.password, 'p1');
  assert.equal(book.find('D2', 'c', undefined)?.password, 'p2');
  // No name: only an account without authentication bound to the DevId.
  assert.equal(book.find('D4', undefined, undefined)?.username, 'n');
  assert.equal(book.find('D1', undefined, undefined), undefined);
});

test('parseDevices: a duplicate is found among 20,000 accounts (one per device, as a fleet writes them)', () => {
  const many = Array.from({ length: 20000 }, (_, i) => ({ username: `u-${i}`, password: `p-${i}`, devId: `D-${i}` }));
  assert.equal(parseDevices(many).length, 20000);
  assert.throws(
    () => parseDevices([...many, { username: 'u-7', password: 'x', devId: 'D-7' }]),
    /devices\[20000\]: account u-7 is listed twice/,
  );
  // The same name bound to another DevId is another account.
  assert.equal(parseDevices([...many, { username: 'u-7', password: 'x', devId: 'D-8' }]).length, 20001);
});

test('verifyDevice: the spec example (Bruce2/OhBehave/"Nonce") for md5 and basic; HMAC over the body', () => {
  const md5 = parseDevices([{ username: 'Bruce2', password: 'OhBehave', auth: 'md5' }])[0]!;
  assert.equal(md5Digest(nodeCrypto, 'Bruce2', 'OhBehave', nonce), 'Zz6EivR3yeaaENcRN6lpAQ==');
  const cred = (type: string, data: string) => ({ meta: { format: 'b64', type }, data });
  assert.equal(
    verifyDevice(nodeCrypto, md5, cred('syncml:auth-md5', 'Zz6EivR3yeaaENcRN6lpAQ=='), undefined, new Uint8Array(), nonce),
    'ok',
  );
  assert.equal(
    verifyDevice(nodeCrypto, md5, cred('syncml:auth-md5', 'Zz6EivR3yeaaENcRN6lpAQ=='), undefined, new Uint8Array(), utf8Encode('other')),
    'bad',
  );
  assert.equal(verifyDevice(nodeCrypto, md5, undefined, undefined, new Uint8Array(), nonce), 'missing');
  assert.match(
    explainRefusal(md5, cred('syncml:auth-basic', 'x'), undefined),
    /Cred type syncml:auth-basic, the account uses syncml:auth-md5/,
  );
  const basic = { ...md5, auth: 'basic' as const };
  assert.equal(basicCred('Bruce2', 'OhBehave'), 'QnJ1Y2UyOk9oQmVoYXZl');
  assert.equal(
    verifyDevice(nodeCrypto, basic, cred('syncml:auth-basic', 'QnJ1Y2UyOk9oQmVoYXZl'), undefined, new Uint8Array(), nonce),
    'ok',
  );
  const hmac = { ...md5, auth: 'hmac' as const };
  const body = utf8Encode('<SyncML/>');
  const h = hmacHeader(nodeCrypto, 'Bruce2', 'OhBehave', nonce, body);
  assert.equal(verifyDevice(nodeCrypto, hmac, undefined, h, body, nonce), 'ok');
  assert.equal(verifyDevice(nodeCrypto, hmac, undefined, h, utf8Encode('<SyncML />'), nonce), 'bad', 'one byte of body changed');
  assert.match(explainRefusal(hmac, undefined, undefined), /no x-syncml-hmac header/);
});

test('server credentials: md5 Cred or HMAC header with the device-issued nonce; none without a server account', () => {
  const [a] = parseDevices([{ username: 'u', password: 'p', server: { username: 'srv', password: 'sp', auth: 'md5' } }]);
  assert.equal(serverCred(nodeCrypto, a!, nonce)?.data, md5Digest(nodeCrypto, 'srv', 'sp', nonce));
  assert.equal(serverHmac(nodeCrypto, a!, nonce, new Uint8Array()), undefined);
  const [h] = parseDevices([{ username: 'u', password: 'p', server: { username: 'srv', password: 'sp', auth: 'hmac' } }]);
  assert.equal(serverHmac(nodeCrypto, h!, nonce, utf8Encode('x')), hmacHeader(nodeCrypto, 'srv', 'sp', nonce, utf8Encode('x')));
  assert.equal(serverCred(nodeCrypto, parseDevices([{ username: 'u', password: 'p' }])[0]!, nonce), undefined);
});
