import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basicUser, explainRefusal, AccountBook, parseDevices, serverCred, serverHmac, verifyDevice } from '../../../lab/server/auth.js';
import { basicCred, hmacHeader, md5Digest } from '../../../agent/session/auth.js';
import { base64Encode, utf8Encode } from '../../../agent/util/bytes.js';
import type { Cred } from '../../../agent/syncml/model.js';
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

test('AccountBook: by LocName, by HMAC username, by the user of a basic credential, else by the DevId an account is bound to', () => {
  const book = new AccountBook(
    parseDevices([
      { username: 'a', password: 'p', devId: 'D1' },
      { username: 'b', password: 'p' },
      { username: 'c', password: 'p1', devId: 'D1' },
      { username: 'c', password: 'p2' },
      { username: 'c', password: 'p3', devId: 'D3' },
      { username: 'n', password: 'p', auth: 'none', devId: 'D4' },
      { username: 'funambol', password: 'funambol', auth: 'basic', devId: 'DMCtest' },
    ]),
  );
  const find = (devId: string, locName?: string, hmac?: string, cred?: Cred) => book.find(devId, locName, hmac, cred);
  assert.equal(find('D1', 'a')?.account.username, 'a');
  assert.equal(find('D1', 'a')?.by, 'LocName');
  assert.equal(find('D2', 'a'), undefined, 'a is bound to D1');
  assert.equal(find('D2', undefined, 'algorithm=MD5, username="b", mac=xx')?.account.username, 'b');
  assert.equal(find('D2', undefined, 'algorithm=MD5, username="b", mac=xx')?.by, 'HMAC username');
  assert.equal(find('D2'), undefined, 'no name, and no account bound to D2');
  assert.equal(find('D9', 'nobody'), undefined);
  // One name, several accounts: the one bound to the DevId first, else the unbound one.
  assert.equal(find('D3', 'c')?.account.password, 'p3');
  assert.equal(find('D1', 'c')?.account.password, 'p1');
  assert.equal(find('D2', 'c')?.account.password, 'p2');
  // No LocName (libdmclient sends none): the user name inside a basic credential…
  const basic = (user: string): Cred => ({
    meta: { type: 'syncml:auth-basic', format: 'b64' },
    data: base64Encode(utf8Encode(`${user}:x`)),
  });
  assert.deepEqual(find('D2', undefined, undefined, basic('b')), {
    account: book.find('D2', 'b', undefined)!.account,
    by: 'basic credential',
  });
  // …else the account bound to the DevId, whatever its authentication (the first listed for that DevId).
  assert.equal(find('D4')?.account.username, 'n');
  assert.equal(find('D1')?.account.username, 'a');
  assert.equal(find('D1')?.by, 'DevId');
  const md5: Cred = { meta: { type: 'syncml:auth-md5', format: 'b64' }, data: 'AAAA' };
  assert.equal(find('DMCtest', undefined, undefined, md5)?.account.username, 'funambol', 'an MD5 digest names nobody: the DevId does');
  // A name that names no account: the DevId's account, whose credential check then decides.
  assert.equal(find('DMCtest', 'someone')?.account.username, 'funambol');
  assert.equal(find('DMCtest', undefined, undefined, basic('someone'))?.by, 'DevId');
});

test('basicUser: the user name of a basic credential only', () => {
  assert.equal(basicUser({ meta: { type: 'syncml:auth-basic' }, data: base64Encode(utf8Encode('funambol:pw:with:colons')) }), 'funambol');
  assert.equal(basicUser({ data: base64Encode(utf8Encode('u:p')) }), 'u', 'no Meta Type means basic');
  assert.equal(basicUser({ meta: { type: 'syncml:auth-md5' }, data: base64Encode(utf8Encode('u:p')) }), undefined);
  assert.equal(basicUser({ meta: { type: 'syncml:auth-basic' }, data: '***' }), undefined, 'not base64');
  assert.equal(basicUser({ meta: { type: 'syncml:auth-basic' }, data: base64Encode(utf8Encode('nocolon')) }), undefined);
  assert.equal(basicUser(undefined), undefined);
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
