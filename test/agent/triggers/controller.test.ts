import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TriggerController } from '../../../agent/triggers/controller.js';
import { AlertQueue } from '../../../agent/alerts/queue.js';
import { ALERT_TYPE_DEVICE_REQUEST, ALERT_TYPE_OPERATION_COMPLETE, ALERT_TYPE_USER_REQUEST } from '../../../agent/alerts/types.js';
import type { Log, LogLevel } from '../../../agent/ports.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';

const APP2 = './SCOMO/Inventory/Deployed/app2';

class RecordingLog implements Log {
  readonly lines: string[] = [];
  log(level: LogLevel, message: string): void {
    this.lines.push(`${level}: ${message}`);
  }
}

/**
 * A controller whose sessions wait until the test releases them. Like the agent, a session acknowledges
 * exactly the alerts it carried when it ends well; `sent` counts how often each alert id went out.
 */
function setup(sessionResults: boolean[] = [], pick: () => Promise<string | undefined> = async () => APP2) {
  const storage = new MemoryStorage();
  const queue = new AlertQueue(storage);
  const sessions: string[][] = [];
  const outcomes: boolean[] = [];
  const sent = new Map<string, number>();
  const log = new RecordingLog();
  let release: (() => void) | undefined;
  const c = new TriggerController({
    queue,
    log,
    startSession: async () => {
      const carried = queue.pending();
      for (const a of carried) sent.set(a.id, (sent.get(a.id) ?? 0) + 1);
      sessions.push(carried.map((a) => `${a.type.split(':').pop()}${a.source ? `@${a.source}` : ''}`));
      await new Promise<void>((r) => {
        release = r;
      });
      release = undefined;
      const ok = sessionResults.shift() ?? true;
      if (ok) queue.ack(carried.map((a) => a.id));
      return ok;
    },
    pickComponent: pick,
    onSessionEnd: (ok) => outcomes.push(ok),
  });
  const tick = async () => {
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  };
  return {
    c,
    queue,
    storage,
    sessions,
    outcomes,
    sent,
    log,
    tick,
    release: () => {
      assert.ok(release, 'a session is running');
      release();
    },
  };
}

test('presses during a running session start no second session at once, and at most one more after it', async () => {
  const t = setup();
  const first = t.c.shortPress();
  await t.tick();
  assert.equal(t.sessions.length, 1);
  assert.equal(t.c.busy, true);
  const during = [t.c.shortPress(), t.c.longPress(), t.c.shortPress(), t.c.scheduleDue()];
  await t.tick();
  assert.equal(t.sessions.length, 1, 'still one session');
  t.release();
  await t.tick();
  assert.equal(t.sessions.length, 2, 'exactly one more');
  // The short presses matched the whole-device request the first session was carrying (coalesced with it);
  // the other two are new and were not lost.
  assert.deepEqual(t.sessions[1], ['UpdateDeviceRequest', `UpdateUserRequest@${APP2}`]);
  t.release();
  assert.deepEqual(await Promise.all([first, ...during]), [true, true, true, true, true]);
  assert.equal(t.sessions.length, 2);
  assert.equal(t.c.busy, false);
  assert.deepEqual(t.outcomes, [true, true]);
  assert.equal(t.queue.length, 0);
  assert.ok(
    [...t.sent.values()].every((n) => n === 1),
    'every alert went out once',
  );
});

test('a press right after a session ended starts a new one', async () => {
  const t = setup();
  const first = t.c.shortPress();
  await t.tick();
  t.release();
  const next = first.then(() => t.c.shortPress());
  await t.tick();
  assert.equal(t.sessions.length, 2);
  t.release();
  assert.equal(await next, true);
});

test('short press asks for the whole device, long press for the picked component, schedule as the device; Data empty, chr', async () => {
  const t = setup();
  let seen: unknown[] = [];
  const c = new TriggerController({
    queue: t.queue,
    pickComponent: async () => APP2,
    startSession: async () => {
      seen = t.queue.pending();
      t.queue.ack(t.queue.pending().map((a) => a.id));
      return true;
    },
  });
  await c.shortPress();
  assert.deepEqual(seen, [{ id: 'a1', type: ALERT_TYPE_USER_REQUEST, format: 'chr', data: '' }]);
  await c.longPress();
  assert.deepEqual(seen, [{ id: 'a2', type: ALERT_TYPE_USER_REQUEST, format: 'chr', data: '', source: APP2 }]);
  await c.scheduleDue();
  assert.deepEqual(seen, [{ id: 'a3', type: ALERT_TYPE_DEVICE_REQUEST, format: 'chr', data: '' }]);
});

test('offline: the alert stays queued across a reboot and goes exactly once in the next session', async () => {
  const t = setup([false]);
  const p = t.c.shortPress();
  await t.tick();
  t.release();
  assert.equal(await p, false);
  assert.deepEqual(t.outcomes, [false]);
  const queue2 = new AlertQueue(t.storage); // reboot
  assert.equal(queue2.length, 1);
  const id = queue2.pending()[0]!.id;
  const carried: string[][] = [];
  const c2 = new TriggerController({
    queue: queue2,
    pickComponent: async () => undefined,
    startSession: async () => {
      const s = queue2.pending();
      carried.push(s.map((a) => a.id));
      queue2.ack(s.map((a) => a.id));
      return true;
    },
  });
  await c2.shortPress(); // the same request again: coalesced with the queued one
  await c2.scheduleDue();
  assert.deepEqual(carried[0], [id], 'the offline alert went in the first session back online');
  assert.equal(carried.flat().filter((x) => x === id).length, 1, 'and only once');
  assert.equal(queue2.length, 0);
  assert.equal(new AlertQueue(t.storage).length, 0, 'the ack is persisted');
});

test('a cancelled or failed component pick queues nothing and starts no session', async () => {
  for (const pick of [
    async () => undefined,
    async () => {
      throw new Error('screen busy');
    },
  ]) {
    const t = setup([], pick);
    assert.equal(await t.c.longPress(), false);
    assert.equal(t.sessions.length, 0);
    assert.equal(t.queue.length, 0);
  }
  const t = setup([], async () => {
    throw new Error('screen busy');
  });
  await t.c.longPress();
  assert.match(t.log.lines[0] ?? '', /^error: component pick failed: screen busy/);
});

test('a session that throws counts as failed, is logged, and does not wedge the controller', async () => {
  const queue = new AlertQueue(new MemoryStorage());
  const log = new RecordingLog();
  const outcomes: boolean[] = [];
  let calls = 0;
  const c = new TriggerController({
    queue,
    log,
    pickComponent: async () => undefined,
    onSessionEnd: (ok) => outcomes.push(ok),
    startSession: () => {
      calls++;
      if (calls === 1) throw new Error('sync boom');
      if (calls === 2) return Promise.reject(new Error('async boom'));
      return Promise.resolve(true);
    },
  });
  assert.equal(await c.shortPress(), false);
  assert.equal(c.busy, false);
  assert.equal(await c.shortPress(), false);
  assert.equal(await c.shortPress(), true);
  assert.deepEqual(outcomes, [false, false, true]);
  assert.equal(log.lines.filter((l) => l.startsWith('error: session failed')).length, 2);
});

test('when the request cannot be queued (queue full of results) the session still runs to deliver them', async () => {
  const queue = new AlertQueue(new MemoryStorage(), { maxLength: 2 });
  for (const n of [1, 2])
    queue.enqueue({ type: ALERT_TYPE_OPERATION_COMPLETE, format: 'xml', data: `<ResultCode>1200</ResultCode><N>${n}</N>` });
  const log = new RecordingLog();
  let carried = 0;
  const c = new TriggerController({
    queue,
    log,
    pickComponent: async () => undefined,
    startSession: async () => {
      carried = queue.length;
      queue.ack(queue.pending().map((a) => a.id));
      return true;
    },
  });
  assert.equal(await c.shortPress(), true);
  assert.equal(carried, 2);
  assert.match(log.lines[0] ?? '', /^error: update request not queued: alert queue full/);
});

test('a throwing outcome listener does not break the session run', async () => {
  const queue = new AlertQueue(new MemoryStorage());
  const log = new RecordingLog();
  const c = new TriggerController({
    queue,
    log,
    pickComponent: async () => undefined,
    startSession: async () => true,
    onSessionEnd: () => {
      throw new Error('listener');
    },
  });
  assert.equal(await c.scheduleDue(), true);
  assert.equal(c.busy, false);
  assert.match(log.lines[0] ?? '', /outcome handler failed: listener/);
});
