import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpdateButton, type UpdateButtonOptions } from '../../../agent/triggers/button.js';
import type { Button, Log, LogLevel } from '../../../agent/ports.js';
import { DmError } from '../../../agent/errors.js';
import { FakeClock } from '../../helpers/fake-clock.js';

class FakeButton implements Button {
  private l?: (p: boolean, at: number) => void;
  constructor(private readonly clock: FakeClock) {}
  onEdge(l: (p: boolean, at: number) => void) {
    this.l = l;
  }
  /** An edge now, or one the port noticed late (at an earlier monotonic time). */
  edge(p: boolean, at = this.clock.monotonic()) {
    this.l?.(p, at);
  }
}

function setup(opts: Partial<UpdateButtonOptions> = {}) {
  const clock = new FakeClock();
  const button = new FakeButton(clock);
  const events: string[] = [];
  const times: number[] = [];
  const ub = new UpdateButton({
    button,
    clock,
    onShortPress: () => {
      events.push('short');
      times.push(clock.monotonic());
    },
    onLongPress: () => {
      events.push('long');
      times.push(clock.monotonic());
    },
    ...opts,
  });
  return { clock, button, events, times, ub };
}

/** Raw edges alternating from `first`, `gapMs` apart: contact bounce. */
async function bounce(t: ReturnType<typeof setup>, first: boolean, count: number, gapMs: number) {
  let level = first;
  for (let i = 0; i < count; i++) {
    t.button.edge(level);
    level = !level;
    if (i < count - 1) await t.clock.advance(gapMs);
  }
}

test('contact bounce within 30 ms makes one short press, reported once the release has settled', async () => {
  const t = setup();
  await bounce(t, true, 5, 5); // press: T F T F T over 20 ms
  await t.clock.advance(200);
  const releaseAt = t.clock.monotonic();
  await bounce(t, false, 3, 5); // release: F T F over 10 ms
  await t.clock.advance(29);
  assert.deepEqual(t.events, [], 'not before the level held for 30 ms');
  await t.clock.advance(1);
  assert.deepEqual(t.events, ['short']);
  assert.equal(t.times[0], releaseAt + 10 + 30);
  await t.clock.advance(5000);
  assert.deepEqual(t.events, ['short']);
});

test('two presses are two short presses', async () => {
  const t = setup();
  for (let i = 0; i < 2; i++) {
    t.button.edge(true);
    await t.clock.advance(100);
    t.button.edge(false);
    await t.clock.advance(100);
  }
  assert.deepEqual(t.events, ['short', 'short']);
});

test('a glitch shorter than the debounce time is no press at all', async () => {
  const t = setup();
  t.button.edge(true);
  await t.clock.advance(10);
  t.button.edge(false);
  await t.clock.advance(500);
  t.button.edge(true);
  await t.clock.advance(29);
  t.button.edge(false);
  await t.clock.advance(500);
  assert.deepEqual(t.events, []);
});

test('held for 2 s: the long press fires at the threshold, while still held, and release adds nothing', async () => {
  const t = setup();
  t.button.edge(true);
  await t.clock.advance(1999);
  assert.deepEqual(t.events, []);
  await t.clock.advance(1);
  assert.deepEqual(t.events, ['long']);
  assert.equal(t.times[0], 2000);
  await t.clock.advance(3000);
  await bounce(t, false, 3, 5);
  await t.clock.advance(100);
  assert.deepEqual(t.events, ['long']);
});

test('the long press is timed from the first edge of a bouncing press, not the last', async () => {
  const t = setup();
  await bounce(t, true, 5, 6); // edges at 0..24 ms, settled at 54
  await t.clock.advance(2000 - 24 - 1);
  assert.deepEqual(t.events, []);
  await t.clock.advance(1);
  assert.deepEqual(t.events, ['long']);
  assert.equal(t.times[0], 2000);
});

test('the edge times the port reports are used, even when the edge is delivered late', async () => {
  const t = setup();
  await t.clock.advance(50);
  t.button.edge(true, 30); // noticed 20 ms after it happened
  await t.clock.advance(1979); // mono 2029
  assert.deepEqual(t.events, []);
  await t.clock.advance(1); // 30 + 2000
  assert.deepEqual(t.events, ['long']);
  // A time from the future, before the previous edge, or not a number is not believed: the port's clock
  // is clamped to now and to the previous edge.
  await t.clock.advance(100);
  const m = t.clock.monotonic();
  t.button.edge(false, 1e12); // taken as m
  await t.clock.advance(30);
  t.button.edge(true, -5); // taken as m (the previous edge), not -5
  await t.clock.advance(1969);
  assert.deepEqual(t.events, ['long'], 'released then pressed again; no second long press yet');
  await t.clock.advance(1);
  assert.deepEqual(t.events, ['long', 'long']);
  assert.equal(t.times[1], m + 2000, 'timed from the clamped press time');
  t.button.edge(false, Number.NaN); // taken as now
  await t.clock.advance(30);
  assert.deepEqual(t.events, ['long', 'long']);
  assert.equal(t.clock.pendingTimers, 0, 'the release settled');
});

test('late timers: a release that began after the threshold is a long press even if its timer ran first', () => {
  // A clock whose timers run only when the test says, in the order it says (a busy device runs them late).
  let mono = 0;
  const timers = new Map<number, () => void>();
  let seq = 0;
  const clock = {
    now: () => mono,
    monotonic: () => mono,
    setTimeout: (fn: () => void, _ms: number) => {
      timers.set(++seq, fn);
      return seq;
    },
    clearTimeout: (h: unknown) => {
      timers.delete(h as number);
    },
  };
  let edge: (p: boolean, at: number) => void = () => {};
  const events: string[] = [];
  new UpdateButton({
    button: {
      onEdge: (l) => {
        edge = l;
      },
    },
    clock,
    onShortPress: () => events.push('short'),
    onLongPress: () => events.push('long'),
  });
  const run = (id: number) => {
    const fn = timers.get(id);
    assert.ok(fn, `timer ${id} pending`);
    timers.delete(id);
    fn();
  };
  edge(true, 0);
  mono = 30;
  run(1); // the press settles; timer 2 is the long-press threshold at 2000
  assert.ok(timers.has(2), 'timers.has(2)');
  mono = 2100;
  edge(false, 2050); // released at 2050, the threshold timer has not run yet
  run(3); // the release settles first
  assert.deepEqual(events, ['long']);
  assert.equal(timers.has(2), false, 'the threshold timer was cancelled');
});

test('a release that starts before the threshold is a short press, even if its bounce runs past it', async () => {
  const t = setup();
  t.button.edge(true);
  await t.clock.advance(1990);
  await bounce(t, false, 5, 8); // release edges F T F T F at 1990..2022
  await t.clock.advance(100);
  assert.deepEqual(t.events, ['short']);
});

test('a dropout while held does not split the press; one spanning the threshold delays the long press to its end', async () => {
  const t = setup();
  t.button.edge(true);
  await t.clock.advance(500);
  t.button.edge(false);
  await t.clock.advance(10);
  t.button.edge(true); // 10 ms dropout
  await t.clock.advance(1490);
  assert.deepEqual(t.events, ['long']);
  assert.equal(t.times[0], 2000);

  const u = setup();
  u.button.edge(true);
  await u.clock.advance(1995);
  u.button.edge(false);
  await u.clock.advance(10);
  u.button.edge(true); // 1995..2005
  await u.clock.advance(29);
  assert.deepEqual(u.events, []);
  await u.clock.advance(1);
  assert.deepEqual(u.events, ['long']);
  assert.equal(u.times[0], 2035);
  u.button.edge(false);
  await u.clock.advance(100);
  assert.deepEqual(u.events, ['long']);
});

test('a repeated level report is not an edge', async () => {
  const t = setup();
  t.button.edge(true);
  await t.clock.advance(1000);
  t.button.edge(true); // must not restart the press
  await t.clock.advance(1000);
  assert.deepEqual(t.events, ['long']);
});

test('configurable times are validated (finite, non-zero, long > debounce) and used', async () => {
  for (const o of [
    { debounceMs: 0 },
    { debounceMs: -1 },
    { debounceMs: Number.NaN },
    { debounceMs: Infinity },
    { longPressMs: 20 },
    { longPressMs: 30 },
    { longPressMs: Infinity },
    { debounceMs: 50, longPressMs: 50 },
  ]) {
    assert.throws(
      () => setup(o),
      (e: unknown) => e instanceof DmError && e.code === 'DM_ERR_CONFIG',
      JSON.stringify(o),
    );
  }
  const t = setup({ debounceMs: 50, longPressMs: 500 });
  t.button.edge(true);
  await t.clock.advance(40);
  t.button.edge(false);
  await t.clock.advance(100);
  assert.deepEqual(t.events, [], '40 ms is bounce with a 50 ms debounce');
  t.button.edge(true);
  await t.clock.advance(500);
  assert.deepEqual(t.events, ['long']);
});

test('a throwing handler is logged and the button keeps working', async () => {
  const lines: string[] = [];
  const log: Log = {
    log: (level: LogLevel, message: string) => {
      lines.push(`${level}: ${message}`);
    },
  };
  let shorts = 0;
  const t = setup({
    log,
    onShortPress: () => {
      shorts++;
      throw new Error('display gone');
    },
  });
  for (let i = 0; i < 2; i++) {
    t.button.edge(true);
    await t.clock.advance(100);
    t.button.edge(false);
    await t.clock.advance(100);
  }
  assert.equal(shorts, 2);
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^error: short press handler failed: display gone/);
});

test('stop() cancels a pending press and ignores further edges', async () => {
  const t = setup();
  t.button.edge(true);
  await t.clock.advance(100);
  t.ub.stop();
  assert.equal(t.clock.pendingTimers, 0);
  await t.clock.advance(5000);
  t.button.edge(false);
  await t.clock.advance(100);
  t.button.edge(true);
  await t.clock.advance(3000);
  assert.deepEqual(t.events, []);
});
