import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpdateButton } from '../../../agent/triggers/button.js';
import type { Button } from '../../../agent/ports.js';
import { DmError } from '../../../agent/errors.js';
import { FakeClock } from '../../helpers/fake-clock.js';

class FakeButton implements Button {
  private l?: (p: boolean, at: number) => void;
  constructor(private readonly clock: FakeClock) {}
  onEdge(l: (p: boolean, at: number) => void) { this.l = l; }
  edge(p: boolean) { this.l?.(p, this.clock.monotonic()); }
}

function setup(opts = {}) {
  const clock = new FakeClock();
  const button = new FakeButton(clock);
  const events: string[] = [];
  new UpdateButton({ button, clock, onShortPress: () => events.push('short'), onLongPress: () => events.push('long'), ...opts });
  return { clock, button, events };
}

test('contact bounce within 30 ms makes one short press', async () => {
  const { clock, button, events } = setup();
  for (const p of [true, false, true, false, true]) { button.edge(p); await clock.advance(5); }
  await clock.advance(200);
  for (const p of [false, true, false]) { button.edge(p); await clock.advance(5); }
  await clock.advance(100);
  assert.deepEqual(events, ['short']);
});

test('a glitch shorter than the debounce time is no press at all', async () => {
  const { clock, button, events } = setup();
  button.edge(true); await clock.advance(10); button.edge(false); await clock.advance(500);
  assert.deepEqual(events, []);
});

test('held for 2 s: the long press fires at the threshold, while still held, and release adds nothing', async () => {
  const { clock, button, events } = setup();
  button.edge(true);
  await clock.advance(1999);
  assert.deepEqual(events, []);
  await clock.advance(1);
  assert.deepEqual(events, ['long']);
  await clock.advance(3000);
  button.edge(false);
  await clock.advance(100);
  assert.deepEqual(events, ['long']);
});

test('configurable times are validated (non-zero, long > debounce)', () => {
  for (const o of [{ debounceMs: 0 }, { debounceMs: -1 }, { longPressMs: 20 }]) {
    assert.throws(() => setup(o), (e: unknown) => e instanceof DmError && e.code === 'DM_ERR_CONFIG', JSON.stringify(o));
  }
  const { events } = setup({ debounceMs: 50, longPressMs: 500 });
  assert.deepEqual(events, []);
});
