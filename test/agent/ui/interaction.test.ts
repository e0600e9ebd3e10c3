import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserInteraction } from '../../../agent/ui/interaction.js';
import type { AlertCmd } from '../../../agent/syncml/model.js';
import type { UiAnswer } from '../../../agent/session/types.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeDisplay } from '../../helpers/fake-display.js';

const alert = (code: string, options: string | undefined, text: string, ...choices: string[]): AlertCmd => ({
  kind: 'Alert',
  cmdId: '5',
  data: code,
  items: [options === undefined ? {} : { data: options }, { data: text }, ...choices.map((c) => ({ data: c }))],
});

function setup(caps = {}) {
  const clock = new FakeClock();
  const display = new FakeDisplay(caps);
  return { clock, display, ui: new UserInteraction({ display, clock }) };
}

async function settle(p: Promise<UiAnswer>, clock: FakeClock, ms = 0): Promise<UiAnswer | 'pending'> {
  let v: UiAnswer | 'pending' = 'pending';
  void p.then((x) => {
    v = x;
  });
  await clock.advance(ms);
  return v;
}

test('1101 confirm: yes 200, no 304, cancel 214 (§2.5.2.2)', async () => {
  for (const [key, status] of [
    ['yes', 200],
    ['no', 304],
    ['cancel', 214],
    ['select', 200],
    ['back', 304],
  ] as const) {
    const { ui, display, clock } = setup();
    const p = ui.answer(alert('1101', '', 'Install Weather 2.0?'));
    await clock.advance(0);
    assert.equal(display.last?.kind, 'confirm');
    display.press({ kind: key });
    assert.deepEqual(await p, { status, items: [] }, key);
  }
});

test('MINDT holds the answer until the minimum display time; 1100 display ends with 200 at MINDT', async () => {
  const { ui, display, clock } = setup();
  const p = ui.answer(alert('1101', 'MINDT=10', 'Sure?'));
  await clock.advance(1000);
  display.press({ kind: 'yes' });
  assert.equal(await settle(p, clock, 8000), 'pending', 'not before 10 s');
  assert.deepEqual(await settle(p, clock, 1000), { status: 200, items: [] });
  const d = ui.answer(alert('1100', 'MINDT=5', 'Checking for updates…'));
  assert.equal(await settle(d, clock, 4999), 'pending');
  assert.deepEqual(await settle(d, clock, 1), { status: 200, items: [] });
});

test('during MINDT the screen still takes keys: the last answer before it elapses is the one sent; MAXDT ends a held one too', async () => {
  const { ui, display, clock } = setup();
  const p = ui.answer(alert('1101', 'MINDT=10', 'Sure?'));
  await clock.advance(1000);
  display.press({ kind: 'yes' });
  display.press({ kind: 'no' });
  assert.equal(display.last?.kind, 'confirm', 'still drawn while held');
  assert.equal(await settle(p, clock, 8000), 'pending');
  assert.deepEqual(await settle(p, clock, 1000), { status: 304, items: [] });
  const q = ui.answer(alert('1101', 'MINDT=20&MAXDT=5&DR=1', 'Sure?'));
  await clock.advance(0);
  display.press({ kind: 'no' });
  assert.deepEqual(await settle(q, clock, 5000), { status: 200, items: [] }, 'MAXDT before MINDT: the default response');
});

test('MAXDT elapsed: DR default when given, else 408 (§2.5.3.2 allows either)', async () => {
  const cases: [AlertCmd, UiAnswer][] = [
    [alert('1101', 'MAXDT=30&DR=1', 'x'), { status: 200, items: [] }],
    [alert('1101', 'MAXDT=30&DR=0', 'x'), { status: 304, items: [] }],
    [alert('1101', 'MAXDT=30', 'x'), { status: 408, items: [] }],
    [alert('1102', 'MAXDT=30&DR=John+Doe', 'Name?'), { status: 200, items: [{ data: 'John Doe' }] }],
    [alert('1103', 'MAXDT=30&DR=2', 'Pick', 'a', 'b'), { status: 200, items: [{ data: '2' }] }],
    [alert('1104', 'MAXDT=30&DR=1-3', 'Pick', 'a', 'b', 'c'), { status: 200, items: [{ data: '1' }, { data: '3' }] }],
    [alert('1104', 'MAXDT=30', 'Pick', 'a', 'b', 'c'), { status: 408, items: [] }],
  ];
  for (const [a, expected] of cases) {
    const { ui, clock } = setup();
    const p = ui.answer(a);
    assert.equal(await settle(p, clock, 29999), 'pending');
    assert.deepEqual(await settle(p, clock, 1), expected, a.items[0]!.data as string);
  }
  const { ui, clock } = setup();
  const p = ui.answer(alert('1101', undefined, 'no MAXDT at all'));
  assert.deepEqual(await settle(p, clock, 300_000), { status: 408, items: [] }, 'the 300 s default bounds the wait');
});

test('1102 input: text in one Item; IT and MAXLEN refuse bad input on the device; ET=P masks', async () => {
  const { ui, display, clock } = setup();
  const p = ui.answer(alert('1102', 'MAXLEN=4&IT=N&ET=P', 'PIN'));
  await clock.advance(0);
  display.press({ kind: 'text', value: '12a4' });
  display.press({ kind: 'submit' });
  assert.match(JSON.stringify(display.last), /must be a number/);
  display.press({ kind: 'text', value: '123456' });
  display.press({ kind: 'submit' });
  assert.match(JSON.stringify(display.last), /at most 4 characters/);
  display.press({ kind: 'text', value: '1234' });
  const shown = display.last as { kind: 'input'; value: string; masked: boolean };
  assert.deepEqual([shown.value, shown.masked], ['****', true]);
  display.press({ kind: 'submit' });
  assert.deepEqual(await p, { status: 200, items: [{ data: '1234' }] });
  for (const [it, good, badv] of [
    ['D', '25112026', '32132026'],
    ['T', '235959', '246000'],
    ['I', '10.0.0.1', '10.0.0.256'],
    ['P', '+4912p3', '12-3'],
  ]) {
    const s = setup();
    const q = s.ui.answer(alert('1102', `IT=${it}`, 'x'));
    await s.clock.advance(0);
    s.display.press({ kind: 'text', value: badv! });
    s.display.press({ kind: 'submit' });
    assert.equal(await settle(q, s.clock), 'pending', `${it} refuses ${badv}`);
    s.display.press({ kind: 'text', value: good! });
    s.display.press({ kind: 'submit' });
    assert.deepEqual(await q, { status: 200, items: [{ data: good }] });
  }
});

test('1103 single choice: one 1-based index; 1104 multiple: one Item per chosen index', async () => {
  const s = setup();
  const p = s.ui.answer(alert('1103', '', 'When?', 'Now', 'Tonight', 'Never'));
  await s.clock.advance(0);
  s.display.press({ kind: 'down' });
  s.display.press({ kind: 'select' });
  assert.deepEqual(await p, { status: 200, items: [{ data: '2' }] });
  const m = setup();
  const q = m.ui.answer(alert('1104', '', 'Which?', 'a', 'b', 'c'));
  await m.clock.advance(0);
  m.display.press({ kind: 'select' }); // toggles option 1 on
  m.display.press({ kind: 'pick', index: 2 }); // option 3 on
  m.display.press({ kind: 'pick', index: 2 }); // option 3 off again
  m.display.press({ kind: 'pick', index: 1 }); // option 2 on
  m.display.press({ kind: 'submit' });
  assert.deepEqual(await q, { status: 200, items: [{ data: '1' }, { data: '2' }] });
});

test('no display 406; text too long 416; missing Items 412; malformed options 400; unknown options skipped', async () => {
  const clock = new FakeClock();
  assert.deepEqual(await new UserInteraction({ clock }).answer(alert('1101', '', 'x')), { status: 406, items: [] });
  const { ui } = setup({ maxTextLength: 10 });
  assert.equal((await ui.answer(alert('1100', '', 'far too long a text'))).status, 416);
  const s = setup();
  assert.equal((await s.ui.answer({ kind: 'Alert', cmdId: '1', data: '1103', items: [{ data: '' }, { data: 'no choices' }] })).status, 412);
  for (const bad of ['MINDT=abc', 'MAXDT=0', 'DR=2', 'IT=X', 'ET=Q', 'DR=%zz']) {
    assert.equal((await s.ui.answer(alert('1101', bad, 'x'))).status, 400, bad);
  }
  assert.equal((await s.ui.answer(alert('1103', 'DR=7', 'x', 'a', 'b'))).status, 400, 'DR out of range');
  const p = s.ui.answer(alert('1101', 'FOO=1&MAXDT=5&BAR', 'x'));
  assert.deepEqual(await settle(p, s.clock, 5000), { status: 408, items: [] }, 'unknown options skipped, MAXDT kept');
});

test('small screens: long text pages, a 20-option list scrolls around the cursor on a 2-key device', async () => {
  const s = setup({ columns: 20, rows: 6, keys: 2 });
  const long = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
  const p = s.ui.answer(alert('1101', '', long));
  await s.clock.advance(0);
  const first = s.display.last as { pages: number; lines: string[]; page: number };
  assert.ok(first.pages > 1, `${first.pages} pages`);
  assert.ok(
    first.lines.every((l) => l.length <= 20),
    'first.lines.every((l) => l.length <= 20)',
  );
  s.display.press({ kind: 'next-page' });
  assert.equal((s.display.last as { page: number }).page, 1);
  s.display.press({ kind: 'yes' });
  await p;
  const opts = Array.from({ length: 20 }, (_, i) => `option ${i + 1}`);
  const q = s.ui.answer(alert('1103', '', 'Pick one', ...opts));
  await s.clock.advance(0);
  for (let i = 0; i < 15; i++) s.display.press({ kind: 'down' });
  const scr = s.display.last as { kind: 'choice'; cursor: number; first: number };
  assert.equal(scr.cursor, 15);
  assert.ok(scr.first > 0 && scr.first <= 15 && 15 < scr.first + 6, `window starts at ${scr.first}`);
  s.display.press({ kind: 'select' });
  assert.deepEqual(await q, { status: 200, items: [{ data: '16' }] });
});

test('one interaction at a time: a second alert waits for the first', async () => {
  const s = setup();
  const a = s.ui.answer(alert('1101', '', 'first'));
  const b = s.ui.answer(alert('1101', '', 'second'));
  await s.clock.advance(0);
  assert.match(JSON.stringify(s.display.last), /first/);
  s.display.press({ kind: 'yes' });
  await a;
  await s.clock.advance(0);
  assert.match(JSON.stringify(s.display.last), /second/);
  s.display.press({ kind: 'no' });
  assert.equal((await b).status, 304);
});

test('pickComponent (long press) returns the chosen component id, undefined on cancel', async () => {
  const s = setup();
  const list = [
    { id: 'app1', name: 'Weather', version: '1.0' },
    { id: 'app2', name: 'Sensor', version: '1.4' },
  ];
  const p = s.ui.pickComponent(list);
  await s.clock.advance(0);
  s.display.press({ kind: 'down' });
  s.display.press({ kind: 'select' });
  assert.equal(await p, 'app2');
  const q = s.ui.pickComponent(list);
  await s.clock.advance(0);
  s.display.press({ kind: 'cancel' });
  assert.equal(await q, undefined);
});
