import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TriggerController } from '../../../agent/triggers/controller.js';
import { AlertQueue } from '../../../agent/alerts/queue.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';

function setup(sessionResults: boolean[] = []) {
  const storage = new MemoryStorage();
  const queue = new AlertQueue(storage);
  const sessions: string[][] = [];
  let release: (() => void) | undefined;
  const c = new TriggerController({
    queue,
    startSession: async () => {
      const sent = queue.pending();
      sessions.push(sent.map((a) => `${a.type.split(':').pop()}${a.source ? '@' + a.source : ''}`));
      await new Promise<void>((r) => { release = r; });
      const ok = sessionResults.shift() ?? true;
      // Like the agent: only what this session sent is acknowledged.
      if (ok) queue.ack(sent.map((a) => a.id));
      return ok;
    },
    pickComponent: async () => './SCOMO/Inventory/Deployed/app2',
  });
  return { c, queue, storage, sessions, release: () => release?.() };
}

const tick = () => new Promise((r) => setImmediate(r));

test('presses during a running session start no second session at once, and at most one more after it', async () => {
  const t = setup();
  const first = t.c.shortPress();
  await tick();
  assert.equal(t.sessions.length, 1);
  void t.c.shortPress();
  void t.c.longPress();
  void t.c.shortPress();
  await tick();
  assert.equal(t.sessions.length, 1, 'still one session');
  t.release();
  await tick(); await tick();
  assert.equal(t.sessions.length, 2, 'exactly one more');
  assert.deepEqual(t.sessions[1], ['UpdateUserRequest@./SCOMO/Inventory/Deployed/app2'], 'the press during the session was not lost');
  t.release();
  assert.equal(await first, true);
  assert.equal(t.c.busy, false);
});

test('short press asks for the whole device, long press for the picked component, schedule as the device', async () => {
  const t = setup();
  const p = t.c.scheduleDue();
  await tick();
  assert.deepEqual(t.sessions[0], ['UpdateDeviceRequest']);
  t.release();
  await p;
  const q = t.c.longPress();
  await tick();
  assert.deepEqual(t.sessions[1], ['UpdateUserRequest@./SCOMO/Inventory/Deployed/app2']);
  t.release();
  await q;
});

test('offline: the alert stays queued across a reboot and goes exactly once in the next session', async () => {
  const t = setup([false]);
  const p = t.c.shortPress();
  await tick();
  t.release();
  assert.equal(await p, false);
  const queue2 = new AlertQueue(t.storage); // reboot
  assert.equal(queue2.pending().length, 1);
  const sent: number[] = [];
  const c2 = new TriggerController({ queue: queue2, pickComponent: async () => undefined,
    startSession: async () => { sent.push(queue2.pending().length); queue2.ack(queue2.pending().map((a) => a.id)); return true; } });
  await c2.shortPress(); // same request again: coalesced with the queued one
  await c2.scheduleDue();
  assert.deepEqual(sent, [1, 1]);
  assert.equal(queue2.pending().length, 0);
});

test('a cancelled component pick queues nothing and starts no session', async () => {
  const queue = new AlertQueue(new MemoryStorage());
  let sessions = 0;
  const c = new TriggerController({ queue, pickComponent: async () => undefined, startSession: async () => { sessions++; return true; } });
  assert.equal(await c.longPress(), false);
  assert.equal(sessions, 0);
  assert.equal(queue.pending().length, 0);
});
