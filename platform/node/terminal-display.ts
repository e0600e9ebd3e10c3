// The device's 240×320 screen drawn in a terminal as a text box (title, message, choices, input, progress
// bar), answered either from a script (one answer per interactive screen, so a lab run finishes on its own)
// or from keys in a TTY. The display only draws and reports input; what a key means is the core's business.
import type { Display, DisplayCapabilities, InputEvent, Screen } from '../../agent/ports.js';

/** One scripted answer: yes, no, cancel, select, submit, pick:N[,M] (1-based), text:VALUE. */
export function parseAnswer(line: string): InputEvent[] {
  const a = line.trim();
  if (a === 'yes' || a === 'no' || a === 'cancel' || a === 'select' || a === 'submit') return [{ kind: a }];
  if (/^pick:[1-9]\d{0,5}(,[1-9]\d{0,5}){0,63}$/.test(a))
    return a
      .slice(5)
      .split(',')
      .map((n) => ({ kind: 'pick' as const, index: Number(n) - 1 }));
  if (a.startsWith('text:')) return [{ kind: 'text', value: a.slice(5) }, { kind: 'submit' }];
  throw new Error(`answer '${line}' is not one of yes, no, cancel, select, submit, pick:N[,M] (N from 1), text:VALUE`);
}

/**
 * Why a scripted answer does not fit the screen it meets, or undefined when it does: a confirm takes yes, no or
 * cancel; a choice takes pick:N (one N on a single choice, each N one of its options), select, submit or cancel;
 * a text input takes text:VALUE, submit (the value shown) or cancel.
 */
export function answerMisfit(answer: string, screen: Screen): string | undefined {
  const events = parseAnswer(answer);
  const kind = events[0]!.kind;
  const fits = (kinds: string[]) => (kinds.includes(kind) ? undefined : `a ${screen.kind} screen takes ${kinds.join(', ')}`);
  if (screen.kind === 'confirm') return fits(['yes', 'no', 'cancel']);
  if (screen.kind === 'input') return kind === 'text' ? undefined : fits(['text', 'submit', 'cancel']);
  if (screen.kind !== 'choice') return `a ${screen.kind} screen takes no answer`;
  if (kind !== 'pick') return fits(['pick', 'select', 'submit', 'cancel']);
  if (!screen.multiple && events.length > 1) return 'a single choice takes one pick';
  const n = screen.options.length;
  const out = events.find((e) => e.kind === 'pick' && e.index >= n);
  return out ? `this choice has ${n} option(s), numbered from 1` : undefined;
}

/** Reads an answers file: one answer per line; blank lines and # comments skipped; every line checked now. */
export function parseAnswers(text: string): string[] {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const l of lines) parseAnswer(l);
  return lines;
}

/** A key from a terminal in raw mode, already named: 'up', 'down', 'enter', 'escape', 'pageup', 'pagedown', 'backspace', or the character. */
export type Key = string;

/** Names the keys in one chunk of raw terminal input. */
export function namedKeys(chunk: string): Key[] {
  const names: Record<string, Key> = {
    '\u001b[A': 'up',
    '\u001b[B': 'down',
    '\u001b[5~': 'pageup',
    '\u001b[6~': 'pagedown',
    '\r': 'enter',
    '\n': 'enter',
    '\u007f': 'backspace',
    '\b': 'backspace',
    '\u0003': 'ctrl-c',
    '\u001b': 'escape',
  };
  const keys: Key[] = [];
  for (let i = 0; i < chunk.length; ) {
    const seq = ['\u001b[5~', '\u001b[6~', '\u001b[A', '\u001b[B'].find((s) => chunk.startsWith(s, i));
    if (seq) {
      keys.push(names[seq]!);
      i += seq.length;
      continue;
    }
    const ch = chunk[i]!;
    keys.push(names[ch] ?? ch);
    i++;
  }
  return keys;
}

export interface TerminalDisplayOptions {
  /** Scripted answers, consumed in order by interactive screens, one per screen (not per redraw). */
  answers?: string[];
  /**
   * A scripted answer does not fit the screen it met (answerMisfit): it is not given, and this is told; the
   * caller stops the run. Without it, the answer is refused with an error thrown from render.
   */
  onMisfit?: (message: string) => void;
  /**
   * An interactive screen appeared and nobody can answer it (no answers left, no keys): told at once, so that
   * the caller answers it as its timeout would rather than wait for that timeout without a word.
   */
  onNobodyToAsk?: () => void;
  /** Hides progress screens after the first, so a log is not flooded (a TTY redraws instead). */
  quietProgress?: boolean;
}

export class TerminalDisplay implements Display {
  readonly capabilities: DisplayCapabilities = {
    width: 240,
    height: 320,
    columns: 26,
    rows: 14,
    keys: 5,
    touch: false,
    maxTextLength: 4096,
  };
  private listener?: (e: InputEvent) => void;
  private current?: Screen;
  private typed = '';
  private lastProgress = -1;
  private readonly answers: string[];
  /** True while input events are given to the core: the screens it draws meanwhile are redraws of the same one. */
  private emitting = false;
  private redrawn = false;
  /** The last interactive screen was answered and the core drew nothing after: no screen waits. */
  private settled = false;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly o: TerminalDisplayOptions = {},
  ) {
    this.answers = [...(o.answers ?? [])];
  }

  onInput(listener: (e: InputEvent) => void): void {
    this.listener = listener;
  }

  /** True while a screen waits for the user (keys belong to it, not to the update button). */
  get waiting(): boolean {
    const k = this.current?.kind;
    return !this.settled && (k === 'confirm' || k === 'choice' || k === 'input');
  }

  /** True while a message of several pages is shown: PgUp/PgDn page it, other keys are the device's. */
  get paging(): boolean {
    const s = this.current;
    return s?.kind === 'text' && s.pages > 1;
  }

  /**
   * Gives events to the core. A screen it draws meanwhile is the same screen redrawn; when it draws nothing
   * after the last event, that event ended the screen (an answer), and no screen waits any more.
   */
  private emit(events: InputEvent[]): void {
    this.emitting = true;
    try {
      for (const e of events) {
        this.redrawn = false;
        this.listener?.(e);
      }
    } finally {
      this.emitting = false;
    }
    if (!this.redrawn) this.settled = true;
  }

  render(screen: Screen): void {
    const redraw = this.emitting;
    this.redrawn = true;
    this.settled = false;
    this.current = screen;
    if (screen.kind === 'progress') {
      // A new box per percent would flood a log: draw at 0 %, every 25 %, and at the end.
      const pct = screen.total > 0 ? Math.floor((100 * screen.done) / screen.total) : 0;
      const step = Math.floor(pct / 25);
      if (this.o.quietProgress && step === this.lastProgress) return;
      this.lastProgress = step;
    } else this.lastProgress = -1;
    if (screen.kind === 'input') this.typed = screen.value;
    this.out.write(`${drawScreen(screen, this.capabilities.columns)}\n`);
    const interactive = screen.kind === 'confirm' || screen.kind === 'choice' || screen.kind === 'input';
    if (!interactive || redraw) return;
    if (this.answers.length > 0) {
      const answer = this.answers.shift()!;
      const misfit = answerMisfit(answer, screen);
      if (misfit) {
        const message = `answer '${answer}' does not fit the screen "${screen.title}": ${misfit}`;
        this.out.write(`  (${message})\n`);
        if (!this.o.onMisfit) throw new Error(message);
        this.o.onMisfit(message);
        return;
      }
      this.out.write(`  (user: ${answer})\n`);
      // Answer after the core has finished drawing, as a person would.
      setTimeout(() => {
        if (this.current === screen) this.emit(parseAnswer(answer));
      }, 10);
    } else this.o.onNobodyToAsk?.();
  }

  /** A key pressed in the terminal while a screen waits. */
  key(k: Key): void {
    const s = this.current;
    if (!s || !this.listener) return;
    const emit = (e: InputEvent) => this.emit([e]);
    if (s.kind === 'input') {
      if (k === 'enter') {
        this.emit([{ kind: 'text', value: this.typed }, { kind: 'submit' }]);
        return;
      }
      if (k === 'escape') {
        emit({ kind: 'cancel' });
        return;
      }
      if (k === 'backspace') this.typed = this.typed.slice(0, -1);
      else if (k.length === 1 && k >= ' ') this.typed += k;
      else return;
      this.out.write(`  > ${s.masked ? '*'.repeat(this.typed.length) : this.typed}_\n`);
      return;
    }
    const map: Record<string, InputEvent> = {
      up: { kind: 'up' },
      down: { kind: 'down' },
      pageup: { kind: 'prev-page' },
      pagedown: { kind: 'next-page' },
      escape: { kind: 'cancel' },
      y: { kind: 'yes' },
      n: { kind: 'no' },
      ' ': { kind: 'select' },
      enter: s.kind === 'choice' ? { kind: 'submit' } : s.kind === 'confirm' ? { kind: 'yes' } : { kind: 'select' },
    };
    const e = map[k];
    if (e) emit(e);
  }
}

/** The screen as a box of `columns` characters (pure, so tests and the fleet's log can use it). */
export function drawScreen(screen: Screen, columns: number): string {
  const w = columns;
  const row = (s: string) => `│ ${s.padEnd(w).slice(0, w)} │`;
  const lines = [`┌${'─'.repeat(w + 2)}┐`, row(screen.title.toUpperCase()), row('')];
  for (const l of screen.lines) lines.push(row(l));
  if ((screen.kind === 'text' || screen.kind === 'confirm') && screen.pages > 1) lines.push(row(`page ${screen.page + 1}/${screen.pages}`));
  if (screen.kind === 'confirm') lines.push(row(''), row(`[${screen.yes}]   [${screen.no}]`));
  if (screen.kind === 'text' && screen.actions.length) lines.push(row(''), row(screen.actions.map((a) => `[${a}]`).join(' ')));
  if (screen.kind === 'choice') {
    screen.options.forEach((o, i) =>
      lines.push(row(`${i === screen.cursor ? '>' : ' '} ${screen.multiple ? (o.selected ? '[x] ' : '[ ] ') : ''}${o.label}`)),
    );
  }
  if (screen.kind === 'input') lines.push(row(`> ${screen.masked ? '*'.repeat(screen.value.length) : screen.value}_`));
  if (screen.kind === 'progress') {
    const bar = w - 5;
    const n = screen.total > 0 ? Math.min(bar, Math.round((screen.done / screen.total) * bar)) : 0;
    const pct = screen.total > 0 ? Math.min(100, Math.round((100 * screen.done) / screen.total)) : 0;
    lines.push(row(`${'█'.repeat(n)}${'░'.repeat(bar - n)}${String(pct).padStart(4)}%`));
  }
  lines.push(`└${'─'.repeat(w + 2)}┘`);
  return lines.join('\n');
}
