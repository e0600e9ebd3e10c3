import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDeviceDescription } from '../../../agent/description/parse.js';
import { DmError } from '../../../agent/errors.js';

const base = () => ({
  devInfo: { devId: 'D1', man: 'M', mod: 'X' },
  account: { serverId: 's', serverUri: 'http://127.0.0.1/dm', auth: { type: 'md5', username: 'u', password: 'p' } },
  components: [{ node: 'c1', id: 'id1', name: 'C', version: '1' }],
});

test('a minimal description is accepted with defaults', () => {
  const d = parseDeviceDescription(base());
  assert.equal(d.components[0]!.node, 'c1');
  assert.equal(d.transport, undefined);
});

test('every bad field is refused with DM_ERR_CONFIG naming its path', () => {
  const cases: [(b: ReturnType<typeof base>) => unknown, RegExp][] = [];
  cases.push([(b) => ({ ...b, devInfo: { ...b.devInfo, devId: '' } }), /devInfo.devId/]);
  cases.push([(b) => ({ ...b, account: { ...b.account, auth: { type: 'ntlm', username: 'u', password: 'p' } } }), /account.auth.type must be one of none\|basic\|md5\|hmac/]);
  cases.push([(b) => ({ ...b, account: { ...b.account, serverUri: 'ftp://x' } }), /account.serverUri/]);
  cases.push([(b) => ({ ...b, components: [...b.components, { node: 'c1', id: 'id2', name: 'C', version: '1' }] }), /components\[1\].node 'c1' is used twice/]);
  cases.push([(b) => ({ ...b, components: [{ node: 'bad/name', id: 'i', name: 'n', version: '1' }] }), /components\[0\].node/]);
  cases.push([(b) => ({ ...b, schedule: { intervalMinutes: 0 } }), /schedule.intervalMinutes must be a number > 0/]);
  cases.push([(b) => ({ ...b, button: { debounceMs: 50, longPressMs: 40 } }), /longPressMs/]);
  cases.push([(b) => ({ ...b, transport: { kind: 'mqtt' } }), /transport.mqtt is required/]);
  cases.push([(b) => ({ ...b, account: { ...b.account, auth: { ...b.account.auth, nonce: 'not base64!' } } }), /account.auth.nonce must be base64/]);
  cases.push([() => 42, /must be an object/]);
  for (const [mutate, re] of cases) {
    assert.throws(() => parseDeviceDescription(mutate(base())), (e: unknown) => e instanceof DmError && e.code === 'DM_ERR_CONFIG' && re.test(e.message), String(re));
  }
});
