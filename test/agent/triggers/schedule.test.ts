import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckSchedule } from '../../../agent/triggers/schedule.js';
import { DmError } from '../../../agent/errors.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';

const MIN = 60_000;

function make(storage: MemoryStorage, clock: FakeClock, results: boolean[], calls: number[], opts = {}) {
  return new CheckSchedule({
    storage, clock, random: () => 0, intervalMinutes: 60, jitterMinutes: 10, backoffMinutes: 5, backoffCapMinutes: 30,
    onDue: async () => { calls.push(clock.now()); return results.shift() ?? true; }, ...opts,
  });
}

test('fires once per interval; the due time is persisted', async () => {
  const clock = new FakeClock(); const storage = new MemoryStorage(); const calls: number[] = [];
  const s = make(storage, clock, [], calls);
  s.start();
  const t0 = clock.now();
  await clock.advance(60 * MIN - 1);
  assert.equal(calls.length, 0);
  await clock.advance(1);
  assert.equal(calls.length, 1);
  assert.equal(JSON.parse(storage.read('schedule')!).due, t0 + 120 * MIN);
  await clock.advance(180 * MIN);
  assert.equal(calls.length, 4);
});

test('reboot before the due time neither skips nor repeats; reboot after it fires exactly once', async () => {
  const clock = new FakeClock(); const storage = new MemoryStorage(); const calls: number[] = [];
  make(storage, clock, [], calls).start();
  await clock.advance(30 * MIN);
  // Reboot: a new instance on the same storage, 30 minutes before the due time.
  const c2 = new FakeClock(clock.now());
  const s2 = make(storage, c2, [], calls);
  s2.start();
  await c2.advance(30 * MIN);
  assert.equal(calls.length, 1);
  // Device off for 5 hours (4 periods missed): one check at boot, not four.
  const c3 = new FakeClock(c2.now() + 5 * 60 * MIN);
  make(storage, c3, [], calls).start();
  await c3.advance(1);
  assert.equal(calls.length, 2);
  await c3.advance(59 * MIN);
  assert.equal(calls.length, 2, 'next one a full interval later');
});

test('failures back off 5, 10, 20, 30 (cap) minutes and a success resets the back-off', async () => {
  const clock = new FakeClock(); const storage = new MemoryStorage(); const calls: number[] = [];
  const s = make(storage, clock, [false, false, false, false, false, true], calls);
  s.start();
  await clock.advance(60 * MIN);
  const gaps: number[] = [];
  for (let i = 0; i < 5; i++) {
    const before = calls.length;
    while (calls.length === before) await clock.advance(MIN);
    gaps.push((calls[calls.length - 1]! - calls[calls.length - 2]!) / MIN);
  }
  assert.deepEqual(gaps, [5, 10, 20, 30, 30]);
  assert.equal(s.failures, 0, 'the sixth check succeeded');
  assert.equal(s.due - clock.now(), 60 * MIN);
});

test('clock jumps: years forward fire one check, not a burst; backwards does not postpone for ever', async () => {
  const clock = new FakeClock(0); const storage = new MemoryStorage(); const calls: number[] = [];
  make(storage, clock, [], calls).start();
  await clock.advance(10 * MIN);
  clock.jumpWall(55 * 365 * 24 * 60 * MIN); // NTP arrives on a device that booted in 1970
  await clock.advance(50 * MIN);
  assert.equal(calls.length, 1);
  await clock.advance(59 * MIN);
  assert.equal(calls.length, 1, 'the next one is an interval after the jump, not right away');
  clock.jumpWall(-10 * 365 * 24 * 60 * MIN);
  await clock.advance(2 * 60 * MIN);
  assert.ok(calls.length >= 2, 'a backward jump is clamped to one period');
});

test('a power cut during a check: the next boot retries after the back-off, not at once', async () => {
  const clock = new FakeClock(); const storage = new MemoryStorage(); const calls: number[] = [];
  const never = new CheckSchedule({ storage, clock, random: () => 0, intervalMinutes: 60, onDue: () => { calls.push(1); return new Promise(() => {}); } });
  never.start();
  await clock.advance(60 * MIN); // the check starts and the device dies in the middle
  assert.equal(calls.length, 1);
  const c2 = new FakeClock(clock.now() + MIN);
  const after: number[] = [];
  make(storage, c2, [], after).start();
  await c2.advance(MIN);
  assert.equal(after.length, 0, 'no immediate repeat');
  await c2.advance(5 * MIN);
  assert.equal(after.length, 1);
});

test('timer settings are checked and non-zero', () => {
  for (const bad of [{ intervalMinutes: 0 }, { backoffMinutes: 0 }, { backoffCapMinutes: -5 }, { intervalMinutes: Number.NaN }]) {
    assert.throws(() => make(new MemoryStorage(), new FakeClock(), [], [], bad), (e: unknown) => e instanceof DmError && e.code === 'DM_ERR_CONFIG');
  }
});
