// What the 240x320 touch screen shows for each Screen of the Display port, as pure data: a list of drawing
// operations (filled rectangles, strings in a box) and the touch zones with what a touch there means. The
// Piu display (display.ts) only executes the operations and hit-tests the zones, so the whole look and every
// touch mapping can be tested on the host.
// Geometry: a 32 px title bar, a body of 10 rows of 24 px (the `rows` the core paginates and scrolls by), a
// 48 px footer of buttons. Touch targets are at least 24 px high (about 4 mm on the Moddable Two panel).
import type { DisplayCapabilities, InputEvent, Screen } from '../../../agent/ports.js';
import { initialMode, keyboardKeys, type KbMode, type KeyAction, type Rect } from './keyboard.js';

export const WIDTH = 240;
export const HEIGHT = 320;
export const TITLE_H = 32;
export const LINE_H = 24;
export const ROWS = 10;
export const BODY_Y = TITLE_H;
export const FOOTER_Y = BODY_Y + ROWS * LINE_H; // 272
export const FOOTER_H = HEIGHT - FOOTER_Y; // 48
const MARGIN = 8;
/** Input prompts share the body with the value box: slightly tighter lines so a whole page still fits. */
const INPUT_LINE_H = 22;
const KEYBOARD_Y = 100;

/**
 * 22 columns: the body font (OpenSans 16 px) averages 8-9 px a character; 22 of them fit the 224 px text
 * width for ordinary text, and a wider line is clipped, never drawn over its neighbours.
 */
export const CAPABILITIES: DisplayCapabilities = {
  width: WIDTH,
  height: HEIGHT,
  columns: 22,
  rows: ROWS,
  keys: 0,
  touch: true,
  maxTextLength: 2048,
};

export const COLORS = {
  background: '#FFFFFF',
  titleBar: '#1F4E79',
  titleText: '#FFFFFF',
  text: '#000000',
  error: '#B00020',
  button: '#D9D9D9',
  buttonText: '#000000',
  primary: '#1F4E79',
  primaryText: '#FFFFFF',
  cursor: '#CCE0F5',
  field: '#EEEEEE',
  key: '#E4E4E4',
  barBack: '#D9D9D9',
  barFill: '#2E8B57',
} as const;

export type Font = 'title' | 'body';

export type DrawOp =
  | { op: 'fill'; x: number; y: number; w: number; h: number; color: string }
  | { op: 'text'; x: number; y: number; w: number; h: number; text: string; color: string; font: Font; align: 'left' | 'center' };

export type ZoneAction =
  | { kind: 'event'; event: InputEvent }
  | { kind: 'key'; action: KeyAction }
  | { kind: 'keyboard'; show: boolean }
  /** The idle screen's "Check for updates" key: down while touched, like the board's button. */
  | { kind: 'soft-button' };

export interface Zone extends Rect {
  action: ZoneAction;
}

/** State the display keeps between renders of one input screen. */
export interface View {
  keyboard: boolean;
  mode: KbMode;
}

export interface Layout {
  ops: DrawOp[];
  zones: Zone[];
}

class Builder {
  ops: DrawOp[] = [];
  zones: Zone[] = [];
  fill(r: Rect, color: string): void {
    this.ops.push({ op: 'fill', x: r.x, y: r.y, w: r.w, h: r.h, color });
  }
  text(r: Rect, text: string, color: string = COLORS.text, font: Font = 'body', align: 'left' | 'center' = 'left'): void {
    this.ops.push({ op: 'text', x: r.x, y: r.y, w: r.w, h: r.h, text, color, font, align });
  }
  zone(r: Rect, action: ZoneAction): void {
    this.zones.push({ x: r.x, y: r.y, w: r.w, h: r.h, action });
  }
  /** A button with a 2 px gap around it so neighbours stay apart on screen. */
  button(r: Rect, label: string, action: ZoneAction, primary = false): void {
    const inner = { x: r.x + 2, y: r.y + 2, w: r.w - 4, h: r.h - 4 };
    this.fill(inner, primary ? COLORS.primary : COLORS.button);
    this.text(inner, label, primary ? COLORS.primaryText : COLORS.buttonText, 'body', 'center');
    this.zone(r, action);
  }
  event(r: Rect, label: string, event: InputEvent, primary = false): void {
    this.button(r, label, { kind: 'event', event }, primary);
  }
}

const ev = (kind: 'up' | 'down' | 'select' | 'yes' | 'no' | 'cancel' | 'next-page' | 'prev-page' | 'submit'): InputEvent => ({ kind });

function titleBar(b: Builder, title: string, cancel: boolean): void {
  b.fill({ x: 0, y: 0, w: WIDTH, h: TITLE_H }, COLORS.titleBar);
  b.text({ x: MARGIN, y: 0, w: WIDTH - 2 * MARGIN - (cancel ? 32 : 0), h: TITLE_H }, title, COLORS.titleText, 'title');
  if (cancel) {
    b.text({ x: WIDTH - 40, y: 0, w: 40, h: TITLE_H }, 'X', COLORS.titleText, 'title', 'center');
    b.zone({ x: WIDTH - 48, y: 0, w: 48, h: TITLE_H }, { kind: 'event', event: ev('cancel') });
  }
}

/** Body lines from `y`; a line the core marks as an error ('! …') is drawn in the error colour. */
function lines(b: Builder, text: string[], y: number, lineH: number, maxY: number): number {
  const fit = Math.max(0, Math.floor((maxY - y) / lineH));
  for (let i = 0; i < text.length && i < fit; i++) {
    // A text cut short says so on its last visible line, rather than seeming to end there.
    const line = i === fit - 1 && text.length > fit ? `${text[i]!.trimEnd()}…` : text[i]!;
    b.text({ x: MARGIN, y, w: WIDTH - 2 * MARGIN, h: lineH }, line, line.startsWith('! ') ? COLORS.error : COLORS.text);
    y += lineH;
  }
  return y;
}

/** Footer buttons side by side, equal widths. */
function footer(b: Builder, buttons: { label: string; action: ZoneAction; primary?: boolean }[]): void {
  const w = Math.floor(WIDTH / buttons.length);
  buttons.forEach((x, i) =>
    b.button({ x: i * w, y: FOOTER_Y, w: i === buttons.length - 1 ? WIDTH - i * w : w, h: FOOTER_H }, x.label, x.action, x.primary),
  );
}

const act = (event: InputEvent): ZoneAction => ({ kind: 'event', event });

/** The progress text: whole percents, or kilobytes when the total is unknown. */
export function progressLabel(done: number, total: number): string {
  return total > 0 ? `${Math.floor(Math.max(0, Math.min(1, done / total)) * 100)} %` : `${Math.floor(done / 1024)} KB`;
}

/** First option shown: the core's `first`, moved just enough to keep the cursor on screen. */
export function visibleFirst(first: number, cursor: number, visible: number, total: number): number {
  let f = Math.max(0, first);
  if (cursor < f) f = cursor;
  if (cursor >= f + visible) f = cursor - visible + 1;
  return Math.max(0, Math.min(f, Math.max(0, total - visible)));
}

/**
 * The keyboard's view and the text being typed once `screen` follows `prev`: a new input screen starts with
 * its keyboard closed, in the mode its input type asks, and its default value (none when masked); the same
 * input screen drawn again keeps the view and takes the value the agent echoes (unless masked: the agent
 * echoes stars); any other screen closes the keyboard. The device's display and the console's page share it.
 */
export function editStateAfter(
  prev: Screen | null | undefined,
  screen: Screen | null,
  view: View,
  edit: string,
): { view: View; edit: string } {
  if (screen?.kind !== 'input') return { view: { ...view, keyboard: false }, edit };
  const same =
    prev?.kind === 'input' && prev.title === screen.title && prev.inputType === screen.inputType && prev.maxLength === screen.maxLength;
  if (!same) return { view: { keyboard: false, mode: initialMode(screen.inputType) }, edit: screen.masked ? '' : screen.value };
  return { view, edit: screen.masked ? edit : screen.value };
}

export function layoutScreen(screen: Screen, view: View): Layout {
  const b = new Builder();
  b.fill({ x: 0, y: 0, w: WIDTH, h: HEIGHT }, COLORS.background);
  const bodyEnd = FOOTER_Y;
  switch (screen.kind) {
    case 'text': {
      titleBar(b, screen.pages > 1 ? `${screen.title} ${screen.page + 1}/${screen.pages}` : screen.title, false);
      lines(b, screen.lines, BODY_Y, LINE_H, bodyEnd);
      if (screen.pages > 1)
        footer(b, [
          { label: '< Prev', action: act(ev('prev-page')) },
          { label: 'Next >', action: act(ev('next-page')) },
        ]);
      break;
    }
    case 'confirm': {
      titleBar(b, screen.pages > 1 ? `${screen.title} ${screen.page + 1}/${screen.pages}` : screen.title, true);
      lines(b, screen.lines, BODY_Y, LINE_H, bodyEnd);
      const yes = { label: screen.yes, action: act(ev('yes')), primary: true };
      const no = { label: screen.no, action: act(ev('no')) };
      footer(
        b,
        screen.pages > 1
          ? [{ label: '<', action: act(ev('prev-page')) }, no, yes, { label: '>', action: act(ev('next-page')) }]
          : [no, yes],
      );
      break;
    }
    case 'choice': {
      titleBar(b, screen.title, true);
      const top = lines(b, screen.lines, BODY_Y, LINE_H, bodyEnd) + (screen.lines.length ? 4 : 0);
      const visible = Math.max(1, Math.floor((bodyEnd - top) / LINE_H));
      const total = screen.options.length;
      const first = visibleFirst(screen.first, screen.cursor, visible, total);
      for (let i = first; i < Math.min(total, first + visible); i++) {
        const o = screen.options[i]!;
        const row = { x: 0, y: top + (i - first) * LINE_H, w: WIDTH, h: LINE_H };
        if (i === screen.cursor) b.fill(row, COLORS.cursor);
        const mark = screen.multiple ? (o.selected ? '[x] ' : '[ ] ') : i === screen.cursor ? '(o) ' : '( ) ';
        b.text({ x: MARGIN, y: row.y, w: WIDTH - 2 * MARGIN, h: LINE_H }, mark + o.label);
        b.zone(row, act({ kind: 'pick', index: i }));
      }
      footer(b, [
        { label: 'Up', action: act(ev('up')) },
        { label: 'Down', action: act(ev('down')) },
        { label: 'OK', action: act(ev(screen.multiple ? 'submit' : 'select')), primary: true },
      ]);
      break;
    }
    case 'input': {
      titleBar(b, screen.title, true);
      if (view.keyboard) {
        // Keyboard view: the prompt shrinks to one line (the error, if the core reported one).
        const first = screen.lines.find((l) => l.startsWith('! ')) ?? screen.lines[0] ?? '';
        lines(b, [first], BODY_Y, LINE_H, bodyEnd);
        const box = { x: MARGIN, y: 60, w: WIDTH - 2 * MARGIN - 56, h: 34 };
        b.fill(box, COLORS.field);
        b.text({ x: box.x + 4, y: box.y, w: box.w - 8, h: box.h }, `${screen.value}_`);
        b.button({ x: WIDTH - 60, y: 58, w: 60, h: 38 }, 'Done', { kind: 'keyboard', show: false });
        for (const k of keyboardKeys(screen.inputType, view.mode, { x: 0, y: KEYBOARD_Y, w: WIDTH, h: HEIGHT - KEYBOARD_Y })) {
          b.button(k, k.label, { kind: 'key', action: k.action }, k.action.kind === 'submit');
        }
      } else {
        const y = lines(b, screen.lines, BODY_Y, INPUT_LINE_H, bodyEnd - 40);
        const box = { x: MARGIN, y: y + 4, w: WIDTH - 2 * MARGIN, h: 34 };
        b.fill(box, COLORS.field);
        b.text({ x: box.x + 4, y: box.y, w: box.w - 8, h: box.h }, screen.value);
        b.zone(box, { kind: 'keyboard', show: true });
        footer(b, [
          { label: 'Cancel', action: act(ev('cancel')) },
          { label: 'Edit', action: { kind: 'keyboard', show: true } },
          { label: 'OK', action: act(ev('submit')), primary: true },
        ]);
      }
      break;
    }
    case 'progress': {
      titleBar(b, screen.title, false);
      const y = lines(b, screen.lines, BODY_Y, LINE_H, bodyEnd - 64) + 16;
      const bar = { x: 16, y, w: WIDTH - 32, h: 24 };
      b.fill(bar, COLORS.barBack);
      const share = screen.total > 0 ? Math.max(0, Math.min(1, screen.done / screen.total)) : 0;
      if (share > 0) b.fill({ ...bar, w: Math.round(bar.w * share) }, COLORS.barFill);
      b.text({ x: 0, y: y + 28, w: WIDTH, h: LINE_H }, progressLabel(screen.done, screen.total), COLORS.text, 'body', 'center');
      break;
    }
    case 'idle': {
      titleBar(b, screen.title, false);
      lines(b, screen.lines, BODY_Y, LINE_H, bodyEnd - LINE_H);
      b.text({ x: 0, y: bodyEnd - LINE_H, w: WIDTH, h: LINE_H }, 'Hold to pick one app', COLORS.text, 'body', 'center');
      b.button({ x: 0, y: FOOTER_Y, w: WIDTH, h: FOOTER_H }, 'Check for updates', { kind: 'soft-button' }, true);
      break;
    }
  }
  return { ops: b.ops, zones: b.zones };
}

/** The zone under (x, y): later zones are drawn over earlier ones, so they win. */
export function hitZone(zones: Zone[], x: number, y: number): Zone | undefined {
  for (let i = zones.length - 1; i >= 0; i--) {
    const z = zones[i]!;
    if (x >= z.x && x < z.x + z.w && y >= z.y && y < z.y + z.h) return z;
  }
  return undefined;
}
