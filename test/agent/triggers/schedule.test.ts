import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckSchedule, SCHEDULE_SLICE_MS, type CheckScheduleOptions } from '../../../agent/triggers/schedule.js';
import type { Log, LogLevel, TimerHandle } from '../../../agent/ports.js';
import { DmError } from '../../../agent/errors.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const YEAR = 365 * 24 * HOUR;

/** A FakeClock that remembers every timer length asked for. */
class SpyClock extends FakeClock {
  readonly asked: number[] = [];
  override setTimeout(fn: () => void, ms: number): TimerHandle {
    this.asked.push(ms);
    return super.setTimeout(fn, ms);
  }
}

class RecordingLog implements Log {
  readonly lines: string[] = [];
  log(level: LogLevel, message: string): void {
    this.lines.push(`${level}: ${message}`);
  }
}

/** interval 60, jitter 10, back-off 5 capped at 30 minutes; onDue records the wall time and answers from `results`. */
function make(storage: MemoryStorage, clock: FakeClock, results: boolean[], calls: number[], opts: Partial<CheckScheduleOptions> = {}) {
  return new CheckSchedule({
    storage,
    clock,
    random: () => 0,
    intervalMinutes: 60,
    jitterMinutes: 10,
    backoffMinutes: 5,
    backoffCapMinutes: 30,
    onDue: async () => {
      calls.push(clock.now());
      return results.shift() ?? true;
    },
    ...opts,
  });
}

const stored = (s: MemoryStorage) => JSON.parse(s.read('schedule')!) as { due: number; failures: number; lastSuccess?: number };

/** Advances minute by minute until one more check ran; returns the minutes it took. */
async function untilNextCheck(clock: FakeClock, calls: number[], limitMinutes = 10_000): Promise<number> {
  const before = calls.length;
  for (let m = 1; m <= limitMinutes; m++) {
    await clock.advance(MIN);
    if (calls.length > before) return m;
  }
  throw new Error('no check ran');
}

test('first boot: due after interval + jitter, persisted; then once per interval', async () => {
  const clock = new FakeClock();
  const storage = new MemoryStorage();
  const calls: number[] = [];
  const s = make(storage, clock, [], calls, { random: () => 0.5 });
  assert.equal(s.due, undefined);
  s.start();
  const t0 = clock.now();
  assert.equal(stored(storage).due, t0 + 65 * MIN, 'interval + half of the 10 min jitter');
  assert.equal(s.due, t0 + 65 * MIN);
  await clock.advance(65 * MIN - 1);
  assert.equal(calls.length, 0);
  await clock.advance(1);
  assert.deepEqual(calls, [t0 + 65 * MIN]);
  assert.deepEqual(stored(storage), { due: t0 + 130 * MIN, failures: 0, lastSuccess: t0 + 65 * MIN });
  await clock.advance(195 * MIN);
  assert.equal(calls.length, 4);
});

test('jitter stays within [0, jitterMinutes], whatever random() returns', () => {
  const cases: [number, number][] = [
    [0, 0],
    [0.999999, 10 * MIN - 1],
    [1, 10 * MIN],
    [Number.NaN, 0],
    [-3, 0],
    [7, 10 * MIN],
  ];
  for (const [r, extra] of cases) {
    const clock = new FakeClock();
    const storage = new MemoryStorage();
    const s = make(storage, clock, [], [], { random: () => r });
    s.start();
    assert.equal(s.due! - clock.now(), 60 * MIN + extra, String(r));
    s.stop();
  }
  // Default jitter: 10 % of the interval.
  const clock = new FakeClock();
  const s = new CheckSchedule({ storage: new MemoryStorage(), clock, random: () => 1, intervalMinutes: 600, onDue: async () => true });
  s.start();
  assert.equal(s.due! - clock.now(), 660 * MIN);
  s.stop();
});

test('reboot before the due time neither skips nor repeats; reboot after it fires exactly once', async () => {
  const clock = new FakeClock();
  const storage = new MemoryStorage();
  const calls: number[] = [];
  make(storage, clock, [], calls).start();
  const due = clock.now() + 60 * MIN;
  await clock.advance(30 * MIN);
  // Reboot: a new instance on the same storage (and a new monotonic clock), 30 minutes before the due time.
  const c2 = new FakeClock(clock.now());
  make(storage, c2, [], calls).start();
  await c2.advance(30 * MIN - 1);
  assert.equal(calls.length, 0, 'not early');
  await c2.advance(1);
  assert.deepEqual(calls, [due], 'on time, once');
  // Reboot right after the check: the next is still an interval later.
  const c3 = new FakeClock(c2.now() + MIN);
  make(storage, c3, [], calls).start();
  await c3.advance(58 * MIN);
  assert.equal(calls.length, 1, 'not repeated');
  await c3.advance(MIN);
  assert.equal(calls.length, 2);
  // Device off for 5 hours (several periods missed): one check at boot, not one per period.
  const c4 = new FakeClock(c3.now() + 5 * HOUR);
  make(storage, c4, [], calls).start();
  assert.equal(calls.length, 2, 'start() itself runs no check');
  await c4.advance(1);
  assert.equal(calls.length, 3);
  await c4.advance(60 * MIN - 2);
  assert.equal(calls.length, 3, 'the next one a full interval later');
  await c4.advance(1);
  assert.equal(calls.length, 4);
});

test('failures back off 5, 10, 20, 30 (cap) minutes and a success resets the back-off', async () => {
  const clock = new FakeClock();
  const storage = new MemoryStorage();
  const calls: number[] = [];
  const s = make(storage, clock, [false, false, false, false, false, true, false], calls);
  s.start();
  await clock.advance(60 * MIN);
  assert.equal(s.failures, 1);
  assert.equal(stored(storage).failures, 1);
  const gaps: number[] = [];
  for (let i = 0; i < 5; i++) gaps.push(await untilNextCheck(clock, calls));
  assert.deepEqual(gaps, [5, 10, 20, 30, 30]);
  assert.equal(s.failures, 0, 'the sixth check succeeded');
  assert.equal(s.lastSuccess, clock.now());
  assert.equal(s.due! - clock.now(), 60 * MIN);
  assert.equal(await untilNextCheck(clock, calls), 60);
  assert.equal(await untilNextCheck(clock, calls), 5, 'the back-off starts over at 5 minutes');
});

test('a back-off gets jitter too', async () => {
  const clock = new FakeClock();
  const storage = new MemoryStorage();
  const calls: number[] = [];
  make(storage, clock, [false, false], calls, { random: () => 0.5 }).start();
  await clock.advance(65 * MIN);
  assert.equal(calls.length, 1);
  assert.equal(await untilNextCheck(clock, calls), 5 + 5);
  assert.equal(await untilNextCheck(clock, calls), 10 + 5);
});

test('a check that throws counts as a failure', async () => {
  const clock = new FakeClock();
  const storage = new MemoryStorage();
  const log = new RecordingLog();
  let n = 0;
  const s = make(storage, clock, [], [], {
    log,
    onDue: () => {
      n++;
      throw new Error('no network');
    },
  });
  s.start();
  await clock.advance(60 * MIN);
  assert.equal(n, 1);
  assert.equal(s.failures, 1);
  assert.match(log.lines.join('\n'), /scheduled check failed: no network/);
  await clock.advance(5 * MIN);
  assert.equal(n, 2);
});

test('clock jumps: years forward fire one check, not a burst; backwards does not postpone it by the jump', async () => {
  const clock = new FakeClock(0);
  const storage = new MemoryStorage();
  const calls: number[] = [];
  make(storage, clock, [], calls).start();
  await clock.advance(10 * MIN);
  clock.jumpWall(55 * YEAR); // NTP arrives on a device that booted in 1970
  await clock.advance(50 * MIN);
  assert.equal(calls.length, 1, 'one check on the next wake');
  await clock.advance(60 * MIN - 1);
  assert.equal(calls.length, 1, 'the next is an interval after the new now, not right away');
  await clock.advance(1);
  assert.equal(calls.length, 2);

  clock.jumpWall(-10 * YEAR);
  const minutes = await untilNextCheck(clock, calls);
  // Clamped: at most one slice to notice, then at most interval + jitter + cap.
  assert.ok(minutes <= 60 + (60 + 10 + 30), `checked after ${minutes} minutes`);
  assert.ok(stored(storage).due - clock.now() <= (60 + 10 + 30) * MIN, 'stored(storage).due - clock.now() <= (60 + 10 + 30) * MIN');
});

test('a persisted due time far in the future (clock reset between boots) is clamped at start', async () => {
  const storage = new MemoryStorage();
  const calls: number[] = [];
  const log = new RecordingLog();
  const clock = new FakeClock(0);
  storage.write('schedule', JSON.stringify({ due: Date.UTC(2026, 0, 1), failures: 0 }));
  make(storage, clock, [], calls, { log }).start();
  assert.equal(stored(storage).due, 60 * MIN);
  assert.match(log.lines[0] ?? '', /^warn: .*too far ahead/);
  await clock.advance(60 * MIN);
  assert.equal(calls.length, 1);
});

test('long waits are sliced into timers of at most one hour', async () => {
  const clock = new SpyClock();
  const storage = new MemoryStorage();
  const calls: number[] = [];
  make(storage, clock, [], calls, { intervalMinutes: 7 * 24 * 60, jitterMinutes: 60 }).start();
  await clock.advance(7 * 24 * HOUR - 1);
  assert.equal(calls.length, 0);
  await clock.advance(1);
  assert.equal(calls.length, 1);
  assert.equal(SCHEDULE_SLICE_MS, HOUR);
  assert.ok(clock.asked.length >= 7 * 24, `${clock.asked.length} slices`);
  assert.ok(
    clock.asked.every((ms) => ms >= 0 && ms <= HOUR),
    `longest timer ${Math.max(...clock.asked)} ms`,
  );
});

test('a power cut during a check: the next boot retries after the back-off, not at once, and counts it', async () => {
  const clock = new FakeClock();
  const storage = new MemoryStorage();
  const calls: number[] = [];
  const hung = make(storage, clock, [], calls, {
    onDue: () => {
      calls.push(clock.now());
      return new Promise(() => {});
    },
  });
  hung.start();
  await clock.advance(60 * MIN); // the check starts and the device dies in the middle
  assert.equal(calls.length, 1);
  assert.equal(stored(storage).failures, 1);
  const c2 = new FakeClock(clock.now() + MIN);
  const after: number[] = [];
  make(storage, c2, [false], after).start();
  await c2.advance(4 * MIN - 1);
  assert.equal(after.length, 0, 'no immediate repeat');
  await c2.advance(1);
  assert.equal(after.length, 1);
  assert.equal(await untilNextCheck(c2, after), 10, 'the interrupted check counted as the first failure');
});

test('stop() disarms, also when called during a check; start() resumes from the persisted due time', async () => {
  const clock = new FakeClock();
  const storage = new MemoryStorage();
  const calls: number[] = [];
  let finish: ((ok: boolean) => void) | undefined;
  const s = make(storage, clock, [], calls, {
    onDue: () => {
      calls.push(clock.now());
      return new Promise((r) => {
        finish = r;
      });
    },
  });
  s.start();
  await clock.advance(60 * MIN);
  assert.equal(calls.length, 1);
  s.stop();
  finish!(true);
  await clock.advance(0);
  assert.equal(clock.pendingTimers, 0, 'no timer left armed');
  await clock.advance(5 * HOUR);
  assert.equal(calls.length, 1, 'not re-armed after the check ended');
  assert.equal(clock.pendingTimers, 0);
  s.start();
  await clock.advance(1);
  assert.equal(calls.length, 2, 'the due time passed while stopped: one check');
});

test('a successful session started elsewhere counts as a check; a failed one changes nothing', async () => {
  const clock = new FakeClock();
  const storage = new MemoryStorage();
  const calls: number[] = [];
  const s = make(storage, clock, [false], calls);
  s.start();
  await clock.advance(60 * MIN);
  assert.equal(s.failures, 1);
  const due = s.due;
  s.sessionEnded(false);
  assert.equal(s.due, due);
  assert.equal(s.failures, 1);
  await clock.advance(2 * MIN);
  s.sessionEnded(true);
  assert.equal(s.failures, 0);
  assert.equal(stored(storage).failures, 0);
  assert.equal(stored(storage).lastSuccess, clock.now());
  assert.equal(await untilNextCheck(clock, calls), 60, 'the retry is replaced by a full period');
});

test('corrupt or unwritable schedule state: start over with a warning, never crash', async () => {
  for (const blob of ['{', 'null', '{"due":"soon","failures":0}', '{"due":1,"failures":-1}', '{"due":1e400,"failures":0}']) {
    const clock = new FakeClock();
    const storage = new MemoryStorage();
    const log = new RecordingLog();
    storage.write('schedule', blob);
    const s = make(storage, clock, [], [], { log });
    s.start();
    assert.equal(s.due, clock.now() + 60 * MIN, blob);
    assert.match(log.lines[0] ?? '', /^warn: stored schedule state is corrupt/, blob);
    s.stop();
  }
  const clock = new FakeClock();
  const storage = new MemoryStorage();
  const log = new RecordingLog();
  const calls: number[] = [];
  storage.failAfter(0);
  make(storage, clock, [], calls, { log }).start();
  await clock.advance(60 * MIN);
  assert.equal(calls.length, 1, 'the schedule runs on from memory');
  assert.match(log.lines.join('\n'), /schedule state not stored/);
});

test('timer settings are checked: finite and non-zero', () => {
  const bad: Partial<CheckScheduleOptions>[] = [
    { intervalMinutes: 0 },
    { intervalMinutes: -1 },
    { intervalMinutes: Number.NaN },
    { intervalMinutes: Infinity },
    { backoffMinutes: 0 },
    { backoffCapMinutes: -5 },
    { jitterMinutes: -1 },
    { jitterMinutes: Number.NaN },
  ];
  for (const o of bad) {
    assert.throws(
      () => make(new MemoryStorage(), new FakeClock(), [], [], o),
      (e: unknown) => e instanceof DmError && e.code === 'DM_ERR_CONFIG',
      JSON.stringify(o),
    );
  }
  // jitter 0 means no spread; it is not a timer.
  const clock = new FakeClock();
  const s = make(new MemoryStorage(), clock, [], [], { jitterMinutes: 0, random: () => 0.9 });
  s.start();
  assert.equal(s.due, clock.now() + 60 * MIN);
  s.stop();
});
