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
  cases.push([
    (b) => ({ ...b, account: { ...b.account, auth: { type: 'ntlm', username: 'u', password: 'p' } } }),
    /account.auth.type must be one of none\|basic\|md5\|hmac/,
  ]);
  cases.push([(b) => ({ ...b, account: { ...b.account, serverUri: 'ftp://x' } }), /account.serverUri/]);
  cases.push([
    (b) => ({ ...b, components: [...b.components, { node: 'c1', id: 'id2', name: 'C', version: '1' }] }),
    /components\[1\].node 'c1' is used twice/,
  ]);
  cases.push([(b) => ({ ...b, components: [{ node: 'bad/name', id: 'i', name: 'n', version: '1' }] }), /components\[0\].node/]);
  cases.push([(b) => ({ ...b, schedule: { intervalMinutes: 0 } }), /schedule.intervalMinutes must be a number > 0/]);
  cases.push([(b) => ({ ...b, button: { debounceMs: 50, longPressMs: 40 } }), /longPressMs/]);
  cases.push([(b) => ({ ...b, transport: { kind: 'mqtt' } }), /transport.mqtt is required/]);
  cases.push([
    (b) => ({ ...b, account: { ...b.account, auth: { ...b.account.auth, nonce: 'not base64!' } } }),
    /account.auth.nonce must be base64/,
  ]);
  cases.push([() => 42, /must be an object/]);
  for (const [mutate, re] of cases) {
    assert.throws(
      () => parseDeviceDescription(mutate(base())),
      (e: unknown) => e instanceof DmError && e.code === 'DM_ERR_CONFIG' && re.test(e.message),
      String(re),
    );
  }
});

test('every duration is bounded, so no timer overflows (1e12 ms would fire after 1 ms on Node)', () => {
  const cases: [(b: ReturnType<typeof base>) => unknown, RegExp][] = [
    [(b) => ({ ...b, transport: { kind: 'http', timeoutMs: 1e12 } }), /transport.timeoutMs must be a number > 0 and at most 600000/],
    [(b) => ({ ...b, schedule: { intervalMinutes: 1e9 } }), /schedule.intervalMinutes must be a number > 0 and at most 10080/],
    [(b) => ({ ...b, schedule: { intervalMinutes: 60, jitterMinutes: 1e9 } }), /schedule.jitterMinutes/],
    [(b) => ({ ...b, schedule: { intervalMinutes: 60, backoffMinutes: 1e9 } }), /schedule.backoffMinutes/],
    [(b) => ({ ...b, schedule: { intervalMinutes: 60, backoffCapMinutes: 1e9 } }), /schedule.backoffCapMinutes/],
    [(b) => ({ ...b, button: { debounceMs: 1e12 } }), /button.debounceMs must be a number > 0 and at most 1000/],
    [(b) => ({ ...b, button: { longPressMs: 1e12 } }), /button.longPressMs must be a number > 0 and at most 60000/],
  ];
  for (const [mutate, re] of cases) {
    assert.throws(
      () => parseDeviceDescription(mutate(base())),
      (e: unknown) => e instanceof DmError && e.code === 'DM_ERR_CONFIG' && re.test(e.message),
      String(re),
    );
  }
  const d = parseDeviceDescription({
    ...base(),
    transport: { kind: 'http', timeoutMs: 600000 },
    schedule: { intervalMinutes: 10080, jitterMinutes: 10080 },
  });
  assert.equal(d.transport?.timeoutMs, 600000);
  assert.ok(d.schedule!.intervalMinutes + d.schedule!.jitterMinutes! < 2 ** 31 / 60000, 'the longest interval plus jitter fits a timer');
});

test('an unknown field is refused with its path and the nearest known name', () => {
  const cases: [(b: ReturnType<typeof base>) => unknown, string][] = [
    [(b) => ({ ...b, shedule: { intervalMinutes: 60 } }), 'device description: shedule is not a known field (did you mean schedule?)'],
    [
      (b) => ({ ...b, transport: { kind: 'http', timeoutMS: 5 } }),
      'transport.timeoutMS is not a known field (did you mean transport.timeoutMs?)',
    ],
    [
      (b) => ({ ...b, account: { ...b.account, auth: { ...b.account.auth, pasword: 'x' } } }),
      'account.auth.pasword is not a known field (did you mean account.auth.password?)',
    ],
    [
      (b) => ({ ...b, components: [{ ...b.components[0], verison: '2' }] }),
      'components[0].verison is not a known field (did you mean components[0].version?)',
    ],
    [
      (b) => ({ ...b, devInfo: { ...b.devInfo, colour: 'red' } }),
      'devInfo.colour is not a known field (known: devId, man, mod, dmV, lang)',
    ],
    [(b) => ({ ...b, button: { longpress: 100 } }), 'button.longpress is not a known field (did you mean button.longPressMs?)'],
  ];
  for (const [mutate, text] of cases) {
    assert.throws(
      () => parseDeviceDescription(mutate(base())),
      (e: unknown) => e instanceof DmError && e.code === 'DM_ERR_CONFIG' && e.message.includes(text),
      text,
    );
  }
});
