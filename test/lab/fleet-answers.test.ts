// The fleet's automatic user (lab/fleet/answers.ts) on a FakeClock: answers at once without a screen; with
// the console's screen, the page's answer wins, and the fleet answers one nobody gave after `afterMs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleAnswers, headlessAnswer } from '../../lab/fleet/answers.js';
import { ConsoleDisplay } from '../../lab/console/sim.js';
import type { AlertCmd } from '../../agent/syncml/model.js';
import type { UiAnswer } from '../../agent/session/types.js';
import { FakeClock } from '../helpers/fake-clock.js';

const alert = (code: string, options: string, ...choices: string[]): AlertCmd => ({
  kind: 'Alert',
  cmdId: '1',
  data: code,
  items: [{ data: options }, { data: 'Install?' }, ...choices.map((data) => ({ data }))],
});

function rig(pick: 'first' | 'last' = 'first') {
  const clock = new FakeClock();
  const display = new ConsoleDisplay(() => {});
  const counts = { auto: 0, page: 0 };
  const ui = new ConsoleAnswers({
    display,
    clock,
    afterMs: 5000,
    pick,
    onAuto: () => counts.auto++,
    onAnswer: () => counts.page++,
  });
  /** Answers `a`, noting when (on the fake clock) the answer came. */
  const ask = (a: AlertCmd) => {
    const r: { answer?: UiAnswer; at?: number } = {};
    void ui.answer(a).then((x) => {
      r.answer = x;
      r.at = clock.monotonic();
    });
    return r;
  };
  return { clock, display, counts, ask };
}

test('headless: a confirm Yes, a choice its first option, or its last with pick "last"', () => {
  assert.deepEqual(headlessAnswer(alert('1101', ''), 'first'), { status: 200, items: [] });
  assert.deepEqual(headlessAnswer(alert('1103', '', 'A', 'B', 'All'), 'first'), { status: 200, items: [{ data: '1' }] });
  assert.deepEqual(headlessAnswer(alert('1103', '', 'A', 'B', 'All'), 'last'), { status: 200, items: [{ data: '3' }] });
});

test('console: a screen nobody answers gets the fleet’s answer after afterMs; one the page answers keeps the page’s', async () => {
  const { clock, display, counts, ask } = rig('last');
  const waiting = ask(alert('1103', 'MAXDT=60', 'A', 'B', 'All'));
  await clock.advance(4999);
  assert.equal(waiting.answer, undefined, 'still waiting for the page');
  await clock.advance(1);
  assert.deepEqual(waiting.answer, { status: 200, items: [{ data: '3' }] }, 'the fleet picked the last option');
  assert.equal(waiting.at, 5000);
  assert.deepEqual(counts, { auto: 1, page: 0 });
  // The page answers No at 1 s; the confirm's MINDT (3 s) holds it until then, and the fleet's timer is gone.
  const confirm = ask(alert('1101', 'MINDT=3'));
  await clock.advance(1000);
  display.input({ kind: 'no' });
  await clock.advance(2000);
  assert.deepEqual(confirm.answer, { status: 304, items: [] }, 'the page’s No');
  assert.equal(confirm.at, 8000, 'given when MINDT ended');
  await clock.advance(10000);
  assert.deepEqual(counts, { auto: 1, page: 1 });
});

test('console: the fleet’s answer ends what the screen still waits for (MINDT); a display cut short is not counted as answered', async () => {
  const { clock, counts, ask } = rig();
  const confirm = ask(alert('1101', 'MINDT=30'));
  await clock.advance(5000);
  assert.deepEqual(confirm.answer, { status: 200, items: [] }, 'Yes, without waiting out the 30 s');
  assert.equal(confirm.at, 5000);
  const display = ask(alert('1100', 'MINDT=30'));
  await clock.advance(5000);
  assert.deepEqual(display.answer, { status: 200, items: [] }, 'the display ends');
  assert.equal(display.at, 10000);
  assert.deepEqual(counts, { auto: 1, page: 0 }, 'the display is not an answer, by the page or the fleet');
});
