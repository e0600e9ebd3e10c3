// Pure parts of the Moddable display, button, clock and log adapters: the on-screen keyboard, the screen
// layout of every Screen kind and its touch mapping, the merged button, the monotonic clock, log lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InputEvent, Screen } from '../../../agent/ports.js';
import { applyKey, initialMode, keyboardKeys, type KbMode } from '../../../platform/moddable/lib/keyboard.js';
import {
  CAPABILITIES,
  editStateAfter,
  FOOTER_Y,
  HEIGHT,
  WIDTH,
  hitZone,
  layoutScreen,
  progressLabel,
  visibleFirst,
  type Layout,
  type View,
  type ZoneAction,
} from '../../../platform/moddable/lib/screen-layout.js';
import { EdgeButton } from '../../../platform/moddable/lib/edge-button.js';
import { MonotonicTicks, timerMs, wallNow } from '../../../platform/moddable/lib/monotonic.js';
import { formatLog, isLogLevel, MAX_LINE } from '../../../platform/moddable/lib/log-format.js';
import { paginate, wrap } from '../../../agent/ui/layout.js';

const area = { x: 0, y: 100, w: 240, h: 220 };

test('keyboard: every mode tiles its area, rows span the width, no two keys overlap', () => {
  for (const [type, mode] of [
    ['A', 'lower'],
    ['A', 'upper'],
    ['A', 'symbols'],
    ['N', 'digits'],
    ['P', 'digits'],
    ['D', 'digits'],
  ] as [string, KbMode][]) {
    const keys = keyboardKeys(type, mode, area);
    assert.ok(keys.length >= 12, `${type}/${mode}`);
    for (const k of keys) {
      assert.ok(k.x >= 0 && k.x + k.w <= 240 && k.y >= 100 && k.y + k.h <= 320, `${k.label} inside the area`);
      assert.ok(k.w >= 20 && k.h >= 40, `${k.label} is big enough to touch`);
    }
    for (let i = 0; i < keys.length; i++)
      for (let j = i + 1; j < keys.length; j++) {
        const a = keys[i]!,
          b = keys[j]!;
        assert.ok(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y, `${a.label} and ${b.label} overlap`);
      }
    assert.ok(
      keys.some((k) => k.action.kind === 'submit') && keys.some((k) => k.action.kind === 'backspace'),
      "keys.some((k) => k.action.kind === 'submit') && keys.some((k) => k.action.kind === 'backspace')",
    );
  }
  assert.equal(initialMode('N'), 'digits');
  assert.equal(initialMode('A'), 'lower');
  const phone = keyboardKeys('P', 'digits', area).map((k) => k.label);
  assert.ok(
    ['+', 'p', 'w', 's'].every((c) => phone.includes(c)),
    "['+', 'p', 'w', 's'].every((c) => phone.includes(c))",
  );
  assert.ok(!keyboardKeys('D', 'digits', area).some((k) => k.label === '-'), 'a date takes digits only');
  assert.ok(
    keyboardKeys('A', 'upper', area).some((k) => k.label === 'Q'),
    "keyboardKeys('A', 'upper', area).some((k) => k.label === 'Q')",
  );
});

test('keyboard: editing respects maxLength; shift, mode and submit change no text', () => {
  let r = applyKey('', 'lower', { kind: 'char', ch: 'a' }, 2);
  assert.deepEqual(r, { value: 'a', mode: 'lower', changed: true, submit: false });
  r = applyKey('ab', 'lower', { kind: 'char', ch: 'c' }, 2);
  assert.deepEqual(r, { value: 'ab', mode: 'lower', changed: false, submit: false });
  assert.equal(applyKey('ab', 'lower', { kind: 'backspace' }, 2).value, 'a');
  assert.equal(applyKey('', 'lower', { kind: 'backspace' }, 2).changed, false);
  assert.equal(applyKey('a', 'lower', { kind: 'shift' }, 9).mode, 'upper');
  assert.equal(applyKey('a', 'upper', { kind: 'shift' }, 9).mode, 'lower');
  assert.equal(applyKey('a', 'lower', { kind: 'mode', mode: 'symbols' }, 9).mode, 'symbols');
  assert.deepEqual(applyKey('a', 'lower', { kind: 'submit' }, 9), { value: 'a', mode: 'lower', changed: false, submit: true });
});

const view: View = { keyboard: false, mode: 'lower' };

function inBounds(l: Layout): void {
  for (const o of l.ops) assert.ok(o.x >= 0 && o.y >= 0 && o.x + o.w <= WIDTH && o.y + o.h <= HEIGHT, `op ${JSON.stringify(o)} on screen`);
  for (const z of l.zones)
    assert.ok(z.x >= 0 && z.y >= 0 && z.x + z.w <= WIDTH && z.y + z.h <= HEIGHT, `zone ${JSON.stringify(z)} on screen`);
}

const eventAt = (l: Layout, x: number, y: number): InputEvent | undefined => {
  const a = hitZone(l.zones, x, y)?.action;
  return a?.kind === 'event' ? a.event : undefined;
};
const eventZones = (l: Layout): InputEvent[] => l.zones.flatMap((z) => (z.action.kind === 'event' ? [z.action.event] : []));
const texts = (l: Layout): string[] => l.ops.flatMap((o) => (o.op === 'text' ? [o.text] : []));

test('capabilities: what the core lays out against fits the screen geometry', () => {
  assert.deepEqual([CAPABILITIES.width, CAPABILITIES.height, CAPABILITIES.touch, CAPABILITIES.keys], [240, 320, true, 0]);
  // A full page of text (rows - 2 lines, the core's page size) plus the error line fits the body.
  const lines = wrap('word '.repeat(200), CAPABILITIES.columns);
  const page = paginate(lines, CAPABILITIES.rows - 2)[0]!;
  const l = layoutScreen({ kind: 'text', title: 'T', lines: [...page, '! error'], page: 0, pages: 1, actions: [] }, view);
  inBounds(l);
  assert.equal(texts(l).filter((t) => t.startsWith('word')).length, page.length);
  assert.ok(texts(l).includes('! error'), "texts(l).includes('! error')");
});

test('text and confirm screens: paging and yes/no buttons', () => {
  const paged = layoutScreen({ kind: 'text', title: 'Info', lines: ['a'], page: 1, pages: 3, actions: ['more'] }, view);
  inBounds(paged);
  assert.deepEqual(
    eventZones(paged).map((e) => e.kind),
    ['prev-page', 'next-page'],
  );
  assert.ok(texts(paged).includes('Info 2/3'), "texts(paged).includes('Info 2/3')");
  assert.deepEqual(eventZones(layoutScreen({ kind: 'text', title: 'Info', lines: ['a'], page: 0, pages: 1, actions: [] }, view)), []);
  const c = layoutScreen({ kind: 'confirm', title: 'Update?', lines: ['Install 2.0?'], page: 0, pages: 1, yes: 'Yes', no: 'No' }, view);
  inBounds(c);
  assert.equal(eventAt(c, 60, FOOTER_Y + 20)?.kind, 'no');
  assert.equal(eventAt(c, 180, FOOTER_Y + 20)?.kind, 'yes');
  assert.equal(eventAt(c, 230, 10)?.kind, 'cancel', 'the X of the title bar');
  const c2 = layoutScreen({ kind: 'confirm', title: 'Update?', lines: ['x'], page: 0, pages: 2, yes: 'Yes', no: 'No' }, view);
  assert.deepEqual(
    eventZones(c2)
      .map((e) => e.kind)
      .sort(),
    ['cancel', 'next-page', 'no', 'prev-page', 'yes'],
  );
});

test('choice screens: touching an option picks it, the cursor stays visible, OK selects or submits', () => {
  const options = Array.from({ length: 20 }, (_, i) => ({ label: `App ${i}`, selected: i === 3 }));
  const l = layoutScreen({ kind: 'choice', title: 'Pick', lines: ['Which app?'], options, cursor: 15, first: 0, multiple: true }, view);
  inBounds(l);
  const picks = eventZones(l).flatMap((e) => (e.kind === 'pick' ? [e.index] : []));
  assert.ok(picks.includes(15), 'the cursor row is shown although the core said first = 0');
  assert.ok(picks.length >= 6 && picks.length <= 9, 'picks.length >= 6 && picks.length <= 9');
  assert.deepEqual(
    eventZones(l)
      .filter((e) => e.kind !== 'pick')
      .map((e) => e.kind)
      .sort(),
    ['cancel', 'down', 'submit', 'up'],
  );
  const single = layoutScreen(
    { kind: 'choice', title: 'Pick', lines: [], options: options.slice(0, 3), cursor: 1, first: 0, multiple: false },
    view,
  );
  assert.ok(
    texts(single).includes('(o) App 1') && texts(single).includes('( ) App 0'),
    "texts(single).includes('(o) App 1') && texts(single).includes('( ) App 0')",
  );
  assert.ok(
    eventZones(single).some((e) => e.kind === 'select'),
    "eventZones(single).some((e) => e.kind === 'select')",
  );
  assert.ok(texts(l).some((t) => t === '[x] App 3') || !picks.includes(3), "texts(l).some((t) => t === '[x] App 3') || !picks.includes(3)");
  assert.equal(visibleFirst(0, 15, 7, 20), 9);
  assert.equal(visibleFirst(12, 3, 7, 20), 3);
  assert.equal(visibleFirst(18, 19, 7, 20), 13);
});

test('input screens: the prompt view opens the keyboard, the keyboard view sends keys', () => {
  const s: Screen = { kind: 'input', title: 'Input', lines: ['Your name?'], value: 'Jo', masked: false, inputType: 'A', maxLength: 10 };
  const prompt = layoutScreen(s, view);
  inBounds(prompt);
  assert.ok(texts(prompt).includes('Jo'), "texts(prompt).includes('Jo')");
  const actions: ZoneAction[] = prompt.zones.map((z) => z.action);
  assert.ok(
    actions.some((a) => a.kind === 'keyboard' && a.show),
    "actions.some((a) => a.kind === 'keyboard' && a.show)",
  );
  assert.deepEqual(
    eventZones(prompt)
      .map((e) => e.kind)
      .sort(),
    ['cancel', 'cancel', 'submit'],
  );
  const kb = layoutScreen(s, { keyboard: true, mode: 'lower' });
  inBounds(kb);
  assert.ok(texts(kb).includes('Jo_'), "texts(kb).includes('Jo_')");
  assert.ok(kb.zones.filter((z) => z.action.kind === 'key').length >= 30, "kb.zones.filter((z) => z.action.kind === 'key').length >= 30");
  assert.ok(
    kb.zones.some((z) => z.action.kind === 'keyboard' && !z.action.show),
    'Done hides the keyboard',
  );
  const err = layoutScreen({ ...s, lines: ['Your name?', '! too long'] }, { keyboard: true, mode: 'lower' });
  assert.ok(texts(err).includes('! too long'), 'the keyboard view keeps the error in sight');
});

test('progress and idle screens', () => {
  const p = layoutScreen({ kind: 'progress', title: 'Downloading', lines: [], done: 50, total: 200 }, view);
  inBounds(p);
  assert.ok(texts(p).includes('25 %'), "texts(p).includes('25 %')");
  const bar = p.ops.filter((o) => o.op === 'fill' && o.color === '#2E8B57')[0];
  assert.ok(bar && bar.op === 'fill' && bar.w === 52, "bar && bar.op === 'fill' && bar.w === 52");
  assert.ok(
    texts(layoutScreen({ kind: 'progress', title: 'D', lines: [], done: 4096, total: 0 }, view)).includes('4 KB'),
    "texts(layoutScreen({ kind: 'progress', title: 'D', lines: [], done: 4096, total: 0 }, view)).includes('4 KB')",
  );
  assert.deepEqual([progressLabel(1, 3), progressLabel(5, 3), progressLabel(2048, 0)], ['33 %', '100 %', '2 KB']);
  const idle = layoutScreen({ kind: 'idle', title: 'TS-Agent-1', lines: ['Ready.', 'Weather 1.0'] }, view);
  inBounds(idle);
  assert.equal(hitZone(idle.zones, 120, FOOTER_Y + 10)?.action.kind, 'soft-button');
  assert.equal(hitZone(idle.zones, 120, 100), undefined);
  // The idle screen does not page: a long message is cut at its 9 rows, and the cut shows.
  const long = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`);
  const cut = texts(layoutScreen({ kind: 'idle', title: 'T', lines: long }, view));
  assert.ok(cut.includes('line 8') && cut.includes('line 9…') && !cut.includes('line 10'), cut.join('|'));
  assert.ok(texts(layoutScreen({ kind: 'idle', title: 'T', lines: long.slice(0, 9) }, view)).includes('line 9'), 'nine lines fit whole');
});

test('EdgeButton: the board button and the touch key are one button; repeated levels are not edges', () => {
  const b = new EdgeButton();
  const seen: [boolean, number][] = [];
  b.onEdge((p, t) => seen.push([p, t]));
  const board = b.source();
  const touch = b.source();
  board(true, 10);
  touch(true, 20);
  board(false, 30);
  touch(false, 40);
  touch(false, 50);
  board(true, 60);
  assert.deepEqual(seen, [
    [true, 10],
    [false, 40],
    [true, 60],
  ]);
});

test('monotonic clock: wrapping ticks, a counter that goes back, wall floor, timer intervals', () => {
  let t = 0x7fffff00;
  // Signed 32-bit ticks as on a microcontroller; delta as Time.delta computes it.
  const delta = (a: number, b: number) => (b - a) | 0;
  const m = new MonotonicTicks(() => t, delta);
  t = (0x7fffff00 + 0x200) | 0; // wrapped to a negative number
  assert.equal(m.now(), 0x200);
  t = (t - 50) | 0; // a bad reading going back
  assert.equal(m.now(), 0x200);
  t = (t + 100) | 0;
  assert.equal(m.now(), 0x200 + 100);
  assert.equal(wallNow(5, 1000, 20), 1020);
  assert.equal(wallNow(5000, 1000, 20), 5000);
  assert.deepEqual([timerMs(-1), timerMs(NaN), timerMs(1.2), timerMs(1e12)], [0, 0, 2, 0x7fffffff]);
});

test('log lines: level, message, fields as JSON, bounded, never throwing', () => {
  assert.equal(formatLog('warn', 'x', { a: 1 }), 'WARN x {"a":1}\n');
  assert.equal(formatLog('info', 'y'), 'INFO y\n');
  const cyc: Record<string, unknown> = {};
  cyc.self = cyc;
  assert.equal(formatLog('error', 'z', cyc), 'ERROR z {unserializable fields}\n');
  assert.equal(formatLog('debug', 'q'.repeat(2000)).length, MAX_LINE + 1);
  assert.ok(
    isLogLevel('trace') && !isLogLevel('loud') && !isLogLevel('toString'),
    "isLogLevel('trace') && !isLogLevel('loud') && !isLogLevel('toString')",
  );
});

test('editStateAfter: a new input screen starts afresh, the same one keeps the keyboard, another closes it', () => {
  const pin: Screen = { kind: 'input', title: 'Input', lines: ['PIN?'], value: '12', masked: false, inputType: 'N', maxLength: 4 };
  const open: View = { keyboard: true, mode: 'upper' };
  const fresh = editStateAfter(undefined, pin, open, 'old');
  assert.deepEqual(fresh, { view: { keyboard: false, mode: 'digits' }, edit: '12' });
  // The agent echoes what was typed: the same screen keeps the open keyboard and takes the echo.
  assert.deepEqual(editStateAfter(pin, { ...pin, value: '123' }, open, '12'), { view: open, edit: '123' });
  // Masked: the echo is stars, so what the user typed stays.
  const secret: Screen = { ...pin, masked: true, value: '***' };
  assert.deepEqual(editStateAfter(secret, secret, open, '123'), { view: open, edit: '123' });
  assert.equal(editStateAfter(undefined, secret, open, 'x').edit, '');
  const idle: Screen = { kind: 'idle', title: 'Ready', lines: [] };
  assert.deepEqual(editStateAfter(pin, idle, open, '12'), { view: { keyboard: false, mode: 'upper' }, edit: '12' });
});
