// The on-screen keyboard of the 240x320 touch display, as pure geometry and editing so it can be tested on
// the host. The display draws the keys it is given and hands the key under a finger back to applyKey().
// Labels are plain ASCII: the SDK's bitmap fonts (OpenSans BMF) carry no arrows or symbols beyond it.
// The keyboard offers the keys the input type needs (OMA DM alert option IT): digits only for N, D, T, I
// and P, a full keyboard for A; the value itself is checked by the core when submitted.

export type KbMode = 'lower' | 'upper' | 'symbols' | 'digits';

export type KeyAction =
  | { kind: 'char'; ch: string }
  | { kind: 'backspace' }
  | { kind: 'shift' }
  | { kind: 'mode'; mode: KbMode }
  | { kind: 'submit' };

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Key extends Rect {
  label: string;
  action: KeyAction;
}

/** Keys beside the digits for each numeric input type (DM alert option IT). */
const DIGIT_EXTRAS: Record<string, string[]> = { N: ['-', '.', '+'], P: ['+', 'p', 'w', 's'], I: ['.'], D: [], T: [] };

export function initialMode(inputType: string): KbMode {
  return inputType in DIGIT_EXTRAS ? 'digits' : 'lower';
}

const char = (ch: string): KeyAction => ({ kind: 'char', ch });

/** One keyboard row: [label, action, width units]; units are scaled to fill the row's width. */
type RowSpec = [string, KeyAction, number][];

function letters(s: string): RowSpec {
  return s.split('').map((c) => [c, char(c), 2]);
}

function alphaRows(upper: boolean): RowSpec[] {
  const c = (s: string) => (upper ? s.toUpperCase() : s);
  return [
    letters(c('qwertyuiop')),
    [['', char(''), 1], ...letters(c('asdfghjkl')), ['', char(''), 1]],
    [['Aa', { kind: 'shift' }, 3], ...letters(c('zxcvbnm')), ['Del', { kind: 'backspace' }, 3]],
    [
      ['?123', { kind: 'mode', mode: 'symbols' }, 4],
      [',', char(','), 2],
      ['space', char(' '), 8],
      ['.', char('.'), 2],
      ['OK', { kind: 'submit' }, 4],
    ],
  ];
}

function symbolRows(): RowSpec[] {
  return [
    letters('1234567890'),
    [['', char(''), 1], ...letters('-/:;()$&@'), ['', char(''), 1]],
    [['#', char('#'), 3], ...letters('.,?!\'"+'), ['Del', { kind: 'backspace' }, 3]],
    [
      ['abc', { kind: 'mode', mode: 'lower' }, 4],
      ['*', char('*'), 2],
      ['space', char(' '), 8],
      ['=', char('='), 2],
      ['OK', { kind: 'submit' }, 4],
    ],
  ];
}

function digitRows(inputType: string): RowSpec[] {
  const x = DIGIT_EXTRAS[inputType] ?? ['-', '.', '+'];
  const extra = (i: number): [string, KeyAction, number] => (x[i] !== undefined ? [x[i]!, char(x[i]!), 1] : ['', char(''), 1]);
  return [
    [
      ['1', char('1'), 1],
      ['2', char('2'), 1],
      ['3', char('3'), 1],
      ['Del', { kind: 'backspace' }, 1],
    ],
    [['4', char('4'), 1], ['5', char('5'), 1], ['6', char('6'), 1], extra(0)],
    [['7', char('7'), 1], ['8', char('8'), 1], ['9', char('9'), 1], extra(1)],
    [extra(2), ['0', char('0'), 1], extra(3), ['OK', { kind: 'submit' }, 1]],
  ];
}

/** The keys of `mode` laid out in `area`; blank spacer keys are left out (nothing to draw or touch). */
export function keyboardKeys(inputType: string, mode: KbMode, area: Rect): Key[] {
  const rows = mode === 'digits' ? digitRows(inputType) : mode === 'symbols' ? symbolRows() : alphaRows(mode === 'upper');
  const keys: Key[] = [];
  const rh = Math.floor(area.h / rows.length);
  rows.forEach((row, r) => {
    const units = row.reduce((n, k) => n + k[2], 0);
    let x = area.x;
    row.forEach(([label, action, u], i) => {
      // The last key takes the rounding remainder so a row always spans the whole width.
      const w = i === row.length - 1 ? area.x + area.w - x : Math.floor((area.w * u) / units);
      if (label !== '') keys.push({ label, action, x, y: area.y + r * rh, w, h: rh });
      x += w;
    });
  });
  return keys;
}

export interface EditResult {
  value: string;
  mode: KbMode;
  /** The value changed (the display reports it to the core as a 'text' event). */
  changed: boolean;
  submit: boolean;
}

/** One key press on `value` in `mode`; never lets the value grow past maxLength. */
export function applyKey(value: string, mode: KbMode, action: KeyAction, maxLength: number): EditResult {
  const same = { value, mode, changed: false, submit: false };
  switch (action.kind) {
    case 'char':
      if (!action.ch || value.length >= maxLength) return same;
      return { value: value + action.ch, mode, changed: true, submit: false };
    case 'backspace':
      return value ? { value: value.slice(0, -1), mode, changed: true, submit: false } : same;
    case 'shift':
      return { ...same, mode: mode === 'upper' ? 'lower' : 'upper' };
    case 'mode':
      return { ...same, mode: action.mode };
    case 'submit':
      return { ...same, submit: true };
  }
}
