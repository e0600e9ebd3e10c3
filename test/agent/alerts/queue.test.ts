import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertQueue } from '../../../agent/alerts/queue.js';
import { ALERT_TYPE_DEVICE_REQUEST, ALERT_TYPE_OPERATION_COMPLETE, ALERT_TYPE_USER_REQUEST } from '../../../agent/alerts/types.js';
import { DmError } from '../../../agent/errors.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';

const user = { type: ALERT_TYPE_USER_REQUEST, format: 'chr', data: '' };
const result = (n: number) => ({ type: ALERT_TYPE_OPERATION_COMPLETE, format: 'xml', data: `<ResultCode>1200</ResultCode><Identifier>${n}</Identifier>` });

test('alerts survive a reboot until acknowledged, then leave exactly once', () => {
  const s = new MemoryStorage();
  const q = new AlertQueue(s);
  const a = q.enqueue(user);
  const b = q.enqueue({ ...user, source: './SCOMO/Inventory/Deployed/app1' });
  const q2 = new AlertQueue(s); // reboot
  assert.deepEqual(q2.pending().map((x) => x.id), [a.id, b.id]);
  q2.ack([a.id]);
  q2.ack([a.id]);
  assert.deepEqual(new AlertQueue(s).pending().map((x) => x.id), [b.id]);
  assert.notEqual(new AlertQueue(s).enqueue(result(1)).id, a.id, 'ids are never reused');
});

test('the same update request is not queued twice; results always are', () => {
  const q = new AlertQueue(new MemoryStorage());
  assert.equal(q.enqueue(user).id, q.enqueue(user).id);
  assert.notEqual(q.enqueue(result(1)).id, q.enqueue(result(1)).id);
});

test('when full, the oldest request gives way; a queue full of results refuses with 420', () => {
  const q = new AlertQueue(new MemoryStorage(), { maxLength: 3 });
  q.enqueue({ ...user, type: ALERT_TYPE_DEVICE_REQUEST });
  q.enqueue(result(1));
  q.enqueue(result(2));
  q.enqueue(result(3));
  assert.deepEqual(q.pending().map((x) => x.type), [ALERT_TYPE_OPERATION_COMPLETE, ALERT_TYPE_OPERATION_COMPLETE, ALERT_TYPE_OPERATION_COMPLETE]);
  assert.throws(() => q.enqueue(result(4)), (e: unknown) => e instanceof DmError && e.status === 420);
  assert.throws(() => new AlertQueue(new MemoryStorage(), { maxLength: 0 }), (e: unknown) => e instanceof DmError && e.code === 'DM_ERR_CONFIG');
});

test('a power cut while queueing loses nothing already queued, and the failed alert is not half-queued', () => {
  const s = new MemoryStorage();
  const q = new AlertQueue(s);
  q.enqueue(user);
  s.failAfter(0);
  assert.throws(() => q.enqueue(result(1)), (e: unknown) => e instanceof DmError && e.status === 510);
  assert.equal(q.pending().length, 1);
  s.restorePower();
  assert.equal(new AlertQueue(s).pending().length, 1);
});

test('a corrupt stored queue is kept aside and the queue restarts empty', () => {
  const s = new MemoryStorage();
  s.write('alerts', '{oops');
  const q = new AlertQueue(s);
  assert.equal(q.pending().length, 0);
  assert.match(q.recovered ?? '', /alerts\.corrupt/);
  assert.equal(s.read('alerts.corrupt'), '{oops');
});
