import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InputEvent, Screen } from '../../../agent/ports.js';
import { PassThrough } from 'node:stream';
import {
  TerminalDisplay,
  answerMisfit,
  drawScreen,
  namedKeys,
  parseAnswer,
  parseAnswers,
} from '../../../platform/node/terminal-display.js';
import { TerminalButton, attachTerminalKeys } from '../../../platform/node/terminal-keys.js';

class Sink {
  text = '';
  write(s: string) {
    this.text += s;
    return true;
  }
}

test('scripted answers: every form parses, bad ones are refused when the file is read', () => {
  assert.deepEqual(parseAnswer('pick:1,3'), [
    { kind: 'pick', index: 0 },
    { kind: 'pick', index: 2 },
  ]);
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
  assert.deepEqual(
    got.map((e) => e.kind),
    ['no', 'yes', 'cancel', 'next-page'],
  );
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
  const choice = drawScreen(
    {
      kind: 'choice',
      title: 'Pick',
      lines: ['Which?'],
      options: [
        { label: 'A', selected: true },
        { label: 'B', selected: false },
      ],
      cursor: 1,
      first: 0,
      multiple: true,
    },
    20,
  );
  assert.match(choice, /│ {3}\[x\] A/);
  assert.match(choice, /│ > \[ \] B/);
  const p = drawScreen({ kind: 'progress', title: 'dl', lines: [], done: 50, total: 100 }, 25);
  assert.match(p, /█{10}░{10} {2}50%/);
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
  d.render({
    kind: 'choice',
    title: 'c',
    lines: [],
    options: [
      { label: 'a', selected: false },
      { label: 'b', selected: false },
    ],
    cursor: 0,
    first: 0,
    multiple: false,
  });
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
  assert.deepEqual(
    edges.map((e) => e[0]),
    [true, false],
  );
  assert.ok(edges[1]![1] - edges[0]![1] >= 55, 'edges[1]![1] - edges[0]![1] >= 55');
});

const confirm: Screen = { kind: 'confirm', title: 'Please confirm', lines: ['Install?'], page: 0, pages: 1, yes: 'Yes', no: 'No' };
const choice: Screen = {
  kind: 'choice',
  title: 'Choose one',
  lines: [],
  options: [
    { label: 'a', selected: false },
    { label: 'b', selected: false },
  ],
  cursor: 0,
  first: 0,
  multiple: false,
};
const input = { kind: 'input' as const, title: 'Input', lines: [], value: '', masked: false, inputType: 'A', maxLength: 10 };

test('an answer that does not fit its screen is not given: pick on a yes/no screen, yes on a text input, a pick past the options', () => {
  assert.throws(() => parseAnswers('pick:0\n'), /pick:0/, 'options are numbered from 1');
  assert.equal(answerMisfit('pick:2', confirm), 'a confirm screen takes yes, no, cancel');
  assert.equal(answerMisfit('yes', input), 'a input screen takes text, submit, cancel');
  assert.equal(answerMisfit('pick:3', choice), 'this choice has 2 option(s), numbered from 1');
  assert.equal(answerMisfit('pick:1,2', choice), 'a single choice takes one pick');
  for (const [a, s] of [
    ['yes', confirm],
    ['cancel', confirm],
    ['pick:2', choice],
    ['submit', choice],
    ['text:x', input],
    ['submit', input],
  ] as [string, Screen][]) {
    assert.equal(answerMisfit(a, s), undefined, `${a} fits ${s.kind}`);
  }
  const out = new Sink();
  const misfits: string[] = [];
  const d = new TerminalDisplay(out as never, { answers: ['pick:2', 'yes'], onMisfit: (m) => misfits.push(m) });
  const got: InputEvent[] = [];
  d.onInput((e) => got.push(e));
  d.render(confirm);
  assert.deepEqual(misfits, ['answer \'pick:2\' does not fit the screen "Please confirm": a confirm screen takes yes, no, cancel']);
  assert.doesNotMatch(out.text, /\(user:/, 'nothing is echoed as answered');
  assert.throws(
    () => new TerminalDisplay(out as never, { answers: ['yes'] }).render(input),
    /does not fit/,
    'without onMisfit it is an error',
  );
});

test('a redraw of the screen while an answer is given does not take the next answer; an answered screen no longer waits', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const out = new Sink();
  const d = new TerminalDisplay(out as never, { answers: ['text:abc', 'yes'] });
  const got: InputEvent[] = [];
  // As the core does: every event that does not end the screen redraws it; submit ends it.
  d.onInput((e) => {
    got.push(e);
    if (e.kind !== 'submit') d.render({ ...input, value: e.kind === 'text' ? e.value : '' });
  });
  d.render(input);
  t.mock.timers.tick(10);
  assert.deepEqual(got, [{ kind: 'text', value: 'abc' }, { kind: 'submit' }]);
  assert.equal(d.waiting, false, 'the input was answered');
  assert.equal(out.text.split('(user:').length - 1, 1, out.text);
  d.render(confirm);
  t.mock.timers.tick(10);
  assert.deepEqual(got.slice(2), [{ kind: 'yes' }], 'the next screen takes the next answer');
});

test('a screen nobody can answer is told at once; a message screen never holds the keys', () => {
  const out = new Sink();
  let told = 0;
  const d = new TerminalDisplay(out as never, { onNobodyToAsk: () => told++ });
  d.onInput(() => undefined);
  d.render(confirm);
  assert.equal(told, 1);
  d.render({ kind: 'text', title: 'Message', lines: ['Your software is up to date.'], page: 0, pages: 1, actions: [] });
  assert.equal(d.waiting, false, "u and q are the device's again");
  assert.equal(told, 1, 'a message is not a question');
});

test('after a message, or Esc on the picker, u presses the button and q quits', () => {
  const input = new PassThrough() as unknown as NodeJS.ReadStream;
  const d = new TerminalDisplay(new Sink() as never);
  const b = new TerminalButton();
  const edges: boolean[] = [];
  b.onEdge((p) => edges.push(p));
  let quits = 0;
  // The core: a choice ends on Esc (no redraw); other keys redraw it.
  d.onInput((e) => {
    if (e.kind !== 'cancel') d.render(choice);
  });
  const detach = attachTerminalKeys({ input, display: d, button: b, longPressMs: 2000, onQuit: () => quits++ });
  try {
    d.render({ kind: 'text', title: 'Message', lines: ['Your software is up to date.'], page: 0, pages: 1, actions: [] });
    (input as unknown as PassThrough).write('u');
    assert.deepEqual(edges, [true], 'u after the message is the button');
    d.render(choice);
    (input as unknown as PassThrough).write('\u001b[B');
    assert.equal(d.waiting, true, 'the picker still waits after a move');
    (input as unknown as PassThrough).write('\u001b');
    assert.equal(d.waiting, false, 'Esc ended the picker');
    (input as unknown as PassThrough).write('q');
    assert.equal(quits, 1, 'q quits');
  } finally {
    detach();
  }
});
