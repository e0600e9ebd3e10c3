import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InputEvent } from '../../../agent/ports.js';
import { TerminalDisplay, drawScreen, namedKeys, parseAnswer, parseAnswers } from '../../../platform/node/terminal-display.js';
import { TerminalButton } from '../../../platform/node/terminal-keys.js';

class Sink { text = ''; write(s: string) { this.text += s; return true; } }

test('scripted answers: every form parses, bad ones are refused when the file is read', () => {
  assert.deepEqual(parseAnswer('pick:1,3'), [{ kind: 'pick', index: 0 }, { kind: 'pick', index: 2 }]);
  assert.deepEqual(parseAnswer('text:a:b'), [{ kind: 'text', value: 'a:b' }, { kind: 'submit' }]);
  assert.deepEqual(parseAnswers('# c\n\nyes\n no \n'), ['yes', 'no']);
  assert.throws(() => parseAnswers('yes\npick:x\n'), /pick:x/);
});

test('raw terminal input is split into named keys', () => {
  assert.deepEqual(namedKeys('\u001b[Ay\r\u001b[6~\u007f\u001b'), ['up', 'y', 'enter', 'pagedown', 'backspace', 'escape']);
});

test('keys map to input events by screen; typed text is submitted with Enter, masked when asked', () => {
  const out = new Sink();
  const d = new TerminalDisplay(out as never);
  const got: InputEvent[] = [];
  d.onInput((e) => got.push(e));
  d.render({ kind: 'confirm', title: 't', lines: ['Install?'], page: 0, pages: 1, yes: 'Yes', no: 'No' });
  assert.equal(d.waiting, true);
  for (const k of ['n', 'enter', 'escape', 'pagedown', 'x']) d.key(k);
  assert.deepEqual(got.map((e) => e.kind), ['no', 'yes', 'cancel', 'next-page']);
  got.length = 0;
  d.render({ kind: 'input', title: 'PIN', lines: [], value: '', masked: true, inputType: 'N', maxLength: 4 });
  for (const k of ['1', '2', '3', 'backspace', '4', 'enter']) d.key(k);
  assert.deepEqual(got, [{ kind: 'text', value: '124' }, { kind: 'submit' }]);
  assert.match(out.text, /> \*\*\*_/);
  assert.doesNotMatch(out.text, /> 12/);
  d.render({ kind: 'idle', title: 'idle', lines: [] });
  assert.equal(d.waiting, false);
});

test('the screen box: choices with the cursor, multiple selection, progress bar, paging', () => {
  const choice = drawScreen({ kind: 'choice', title: 'Pick', lines: ['Which?'], options: [{ label: 'A', selected: true }, { label: 'B', selected: false }],
    cursor: 1, first: 0, multiple: true }, 20);
  assert.match(choice, /│ {3}\[x\] A/);
  assert.match(choice, /│ > \[ \] B/);
  const p = drawScreen({ kind: 'progress', title: 'dl', lines: [], done: 50, total: 100 }, 25);
  assert.match(p, /█{10}░{10}  50%/);
  const t = drawScreen({ kind: 'text', title: 'm', lines: ['x'], page: 1, pages: 3, actions: ['OK'] }, 20);
  assert.match(t, /page 2\/3/);
  for (const line of choice.split('\n')) assert.equal([...line].length, 24, 'every row as wide as the box');
});

test('progress is drawn at 0 %, each quarter and the end, not at every byte, when quiet', () => {
  const out = new Sink();
  const d = new TerminalDisplay(out as never, { quietProgress: true });
  for (let i = 0; i <= 100; i++) d.render({ kind: 'progress', title: 'dl', lines: [], done: i, total: 100 });
  assert.equal(out.text.split('DL').length - 1, 5);
});

test('scripted answers are given to interactive screens in order', async () => {
  const out = new Sink();
  const d = new TerminalDisplay(out as never, { answers: ['pick:2'] });
  const got: InputEvent[] = [];
  d.onInput((e) => got.push(e));
  d.render({ kind: 'choice', title: 'c', lines: [], options: [{ label: 'a', selected: false }, { label: 'b', selected: false }], cursor: 0, first: 0, multiple: false });
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(got, [{ kind: 'pick', index: 1 }]);
  assert.match(out.text, /\(user: pick:2\)/);
});

test('the terminal button reports a press as two edges, held for the time asked', async () => {
  const b = new TerminalButton();
  const edges: [boolean, number][] = [];
  b.onEdge((p, at) => edges.push([p, at]));
  b.press(60);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(edges.map((e) => e[0]), [true, false]);
  assert.ok(edges[1]![1] - edges[0]![1] >= 55, 'edges[1]![1] - edges[0]![1] >= 55');
});
