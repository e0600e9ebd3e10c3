import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertQueue } from '../../../agent/alerts/queue.js';
import { ALERT_TYPE_DEVICE_REQUEST, ALERT_TYPE_OPERATION_COMPLETE, ALERT_TYPE_USER_REQUEST } from '../../../agent/alerts/types.js';
import type { GenericAlert } from '../../../agent/alerts/types.js';
import type { Log, LogLevel } from '../../../agent/ports.js';
import { DmError } from '../../../agent/errors.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';

const APP1 = './SCOMO/Inventory/Deployed/app1';
const APP2 = './SCOMO/Inventory/Deployed/app2';
const user = { type: ALERT_TYPE_USER_REQUEST, format: 'chr', data: '' };
const device = { type: ALERT_TYPE_DEVICE_REQUEST, format: 'chr', data: '' };
const result = (n: number) => ({
  type: ALERT_TYPE_OPERATION_COMPLETE,
  format: 'xml',
  source: `./SCOMO/Download/p${n}/Operations/Install`,
  data: `<ResultCode>1200</ResultCode><Identifier>${n}</Identifier>`,
});

const isDmError = (code: string, status: number) => (e: unknown) => e instanceof DmError && e.code === code && e.status === status;

class RecordingLog implements Log {
  readonly lines: { level: LogLevel; message: string }[] = [];
  log(level: LogLevel, message: string): void {
    this.lines.push({ level, message });
  }
}

test('alerts survive a reboot until acknowledged, then leave exactly once', () => {
  const s = new MemoryStorage();
  const q = new AlertQueue(s);
  const a = q.enqueue(user);
  const b = q.enqueue({ ...user, source: APP1 });
  const q2 = new AlertQueue(s); // reboot
  assert.deepEqual(
    q2.pending().map((x) => x.id),
    [a.id, b.id],
  );
  assert.deepEqual(q2.pending()[1], { id: b.id, ...user, source: APP1 });
  q2.ack([a.id]);
  q2.ack([a.id]);
  assert.deepEqual(
    new AlertQueue(s).pending().map((x) => x.id),
    [b.id],
  );
  assert.notEqual(new AlertQueue(s).enqueue(result(1)).id, a.id, 'ids are never reused');
});

test('every change is exactly one write; an ack of unknown ids writes nothing', () => {
  const s = new MemoryStorage();
  const q = new AlertQueue(s);
  const a = q.enqueue(user);
  assert.equal(s.writes, 1);
  q.enqueue(user); // coalesced: nothing changes
  assert.equal(s.writes, 1);
  q.ack(['nope', 'a999']);
  q.ack([]);
  assert.equal(s.writes, 1);
  q.ack([a.id]);
  assert.equal(s.writes, 2);
  assert.equal(q.length, 0);
});

test('an update request equal in type and source to a pending one is not queued twice; results always are', () => {
  const q = new AlertQueue(new MemoryStorage());
  const whole = q.enqueue(user);
  assert.equal(q.enqueue(user).id, whole.id);
  assert.equal(q.enqueue({ ...user, data: 'vendor' }).id, whole.id, 'same type and source: same request');
  const one = q.enqueue({ ...user, source: APP1 });
  assert.notEqual(one.id, whole.id, 'another source is another request');
  assert.equal(q.enqueue({ ...user, source: APP1 }).id, one.id);
  assert.notEqual(q.enqueue(device).id, whole.id, 'a device request is not a user request');
  assert.notEqual(q.enqueue(result(1)).id, q.enqueue(result(1)).id);
  assert.equal(q.length, 5);
  // Once acknowledged, the same request is queued afresh.
  q.ack([whole.id]);
  assert.notEqual(q.enqueue(user).id, whole.id);
});

test('when full, the oldest device request gives way first, then the oldest user request; results never', () => {
  const log = new RecordingLog();
  const q = new AlertQueue(new MemoryStorage(), { maxLength: 4, log });
  const u1 = q.enqueue({ ...user, source: APP1 });
  const d = q.enqueue(device);
  const r1 = q.enqueue(result(1));
  const u2 = q.enqueue({ ...user, source: APP2 });
  const r2 = q.enqueue(result(2));
  assert.deepEqual(
    q.pending().map((x) => x.id),
    [u1.id, r1.id, u2.id, r2.id],
    'the device request went first, though younger',
  );
  const r3 = q.enqueue(result(3));
  assert.deepEqual(
    q.pending().map((x) => x.id),
    [r1.id, u2.id, r2.id, r3.id],
  );
  const r4 = q.enqueue(result(4));
  assert.deepEqual(
    q.pending().map((x) => x.id),
    [r1.id, r2.id, r3.id, r4.id],
  );
  assert.equal(log.lines.filter((l) => l.level === 'warn').length, 3, 'each drop is reported');
  assert.throws(() => q.enqueue(result(5)), isDmError('DM_ERR_DEVICE_FULL', 420));
  assert.throws(() => q.enqueue(user), isDmError('DM_ERR_DEVICE_FULL', 420), 'a request cannot push a result out either');
  assert.deepEqual(
    q.pending().map((x) => x.id),
    [r1.id, r2.id, r3.id, r4.id],
    'the refused alert left nothing behind',
  );
  assert.equal(d.type, ALERT_TYPE_DEVICE_REQUEST);
});

test('maxLength is validated', () => {
  for (const maxLength of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new AlertQueue(new MemoryStorage(), { maxLength }), isDmError('DM_ERR_CONFIG', 400), String(maxLength));
  }
  assert.equal(new AlertQueue(new MemoryStorage(), { maxLength: 1 }).enqueue(user).type, ALERT_TYPE_USER_REQUEST);
});

test('has() answers from the pending alerts', () => {
  const q = new AlertQueue(new MemoryStorage());
  assert.equal(
    q.has((a) => a.type === ALERT_TYPE_OPERATION_COMPLETE),
    false,
  );
  const r = q.enqueue(result(7));
  assert.equal(
    q.has((a) => a.type === ALERT_TYPE_OPERATION_COMPLETE && a.data.includes('<Identifier>7<')),
    true,
  );
  assert.equal(
    q.has((a) => a.source === APP1),
    false,
  );
  q.ack([r.id]);
  assert.equal(
    q.has((a) => a.type === ALERT_TYPE_OPERATION_COMPLETE),
    false,
  );
});

test('the queue hands out copies: mutating them changes nothing queued', () => {
  const s = new MemoryStorage();
  const q = new AlertQueue(s);
  const a = q.enqueue(user);
  a.data = 'changed';
  q.enqueue(user).source = APP1; // the coalesced answer is a copy too
  q.pending()[0]!.source = APP1;
  q.has((x) => {
    x.type = 'x';
    return false;
  });
  assert.deepEqual(q.pending(), [{ id: a.id, ...user }]);
  assert.deepEqual(new AlertQueue(s).pending(), [{ id: a.id, ...user }]);
});

test('bad alerts are refused with a clear DmError and nothing is stored', () => {
  const s = new MemoryStorage();
  const q = new AlertQueue(s);
  const bad: unknown[] = [
    null,
    'alert',
    { ...user, type: '' },
    { ...user, format: undefined },
    { type: ALERT_TYPE_USER_REQUEST, format: 'chr' },
    { ...user, data: 5 },
    { ...user, source: 42 },
  ];
  for (const b of bad) {
    assert.throws(() => q.enqueue(b as Omit<GenericAlert, 'id'>), isDmError('DM_ERR_BAD_REQUEST', 400), JSON.stringify(b));
  }
  assert.equal(s.writes, 0);
  assert.equal(q.length, 0);
});

test('a power cut while queueing loses nothing already queued, and the failed alert is not half-queued', () => {
  const s = new MemoryStorage();
  const q = new AlertQueue(s);
  q.enqueue(user);
  s.failAfter(0);
  assert.throws(() => q.enqueue(result(1)), isDmError('DM_ERR_STORAGE', 510));
  assert.equal(q.length, 1);
  assert.throws(() => q.ack([q.pending()[0]!.id]), isDmError('DM_ERR_STORAGE', 510));
  assert.equal(q.length, 1, 'an unstored ack leaves the alert pending, to be sent again');
  s.restorePower();
  assert.equal(new AlertQueue(s).pending().length, 1);
  assert.equal(q.enqueue(result(1)).id, 'a2', 'the failed enqueue used no id');
});

test('a corrupt stored queue is kept aside, the queue restarts empty, and a warning is logged', () => {
  for (const blob of ['{oops', 'null', '[]', '{"items":[]}', '{"seq":1,"items":{}}', '{"seq":-3,"items":[]}']) {
    const s = new MemoryStorage();
    s.write('alerts', blob);
    const log = new RecordingLog();
    const q = new AlertQueue(s, { log });
    assert.equal(q.length, 0, blob);
    assert.match(q.recovered ?? '', /alerts\.corrupt/, blob);
    assert.equal(s.read('alerts.corrupt'), blob);
    assert.equal(log.lines.length, 1);
    assert.equal(log.lines[0]!.level, 'warn');
    // The queue works normally afterwards, and the next boot reads it cleanly.
    q.enqueue(user);
    const again = new AlertQueue(s);
    assert.equal(again.recovered, undefined);
    assert.equal(again.length, 1);
  }
});

test('unreadable entries are dropped with a warning, readable ones kept, and ids stay unique', () => {
  const s = new MemoryStorage();
  const good = { id: 'a7', ...user, source: APP1 };
  const blob = JSON.stringify({ seq: 2, items: [good, { id: 'a8', type: 5 }, 'junk', { ...user }] });
  s.write('alerts', blob);
  const q = new AlertQueue(s);
  assert.deepEqual(q.pending(), [good]);
  assert.match(q.recovered ?? '', /3 unreadable/);
  assert.equal(s.read('alerts.corrupt'), blob);
  assert.equal(q.enqueue(device).id, 'a8', 'the counter moves past the highest stored id');
});

test('a storage that cannot even keep the corrupt blob still yields an empty, working queue', () => {
  const s = new MemoryStorage();
  s.write('alerts', '\u0000garbage');
  s.failAfter(0);
  const q = new AlertQueue(s);
  assert.equal(q.length, 0);
  assert.match(q.recovered ?? '', /could not keep it/);
  s.restorePower();
  assert.equal(q.enqueue(user).type, ALERT_TYPE_USER_REQUEST);
});
