// The fleet's automatic user: how a simulated device answers the server's UI alerts when nobody does.
//
// Without the console the answer is given at once (headlessAnswer). With `fleet --console` a device's screen
// is drawn in the page and a person may answer it there; the fleet must not stall waiting for one, so each
// alert gets the automatic answer `afterMs` after it arrived, on the fleet's answer clock, unless the page
// answered first (ConsoleAnswers). The automatic answer goes in as the keys a user would press (the same
// path as the page's input), so the screen shows it; then the alert's own timers (MINDT, MAXDT) are run at
// once, so a MINDT still to go does not hold the fleet either.
//
// What is answered: a confirm Yes; a single choice its first option, or with `pick: 'last'` its last (the lab
// server's "All of them", so a firmware offered beside components is among what installs); a multiple
// choice its first option; a text input what it holds (the server's default, or empty); a display nothing.
import type { Clock, InputEvent, TimerHandle } from '../../agent/ports.js';
import type { AlertCmd } from '../../agent/syncml/model.js';
import type { UiAnswer } from '../../agent/session/types.js';
import { UserInteraction } from '../../agent/ui/interaction.js';
import type { ConsoleDisplay } from '../console/sim.js';

export type ChoicePick = 'first' | 'last';

/** The 1-based option the automatic user picks in a choice alert (Items: options, text, then the choices). */
function choiceIndex(alert: AlertCmd, pick: ChoicePick): number {
  return pick === 'last' ? Math.max(1, alert.items.length - 2) : 1;
}

/** The automatic answer given at once, without a screen. */
export function headlessAnswer(alert: AlertCmd, pick: ChoicePick): UiAnswer {
  if (alert.data === '1103' || alert.data === '1104') return { status: 200, items: [{ data: String(choiceIndex(alert, pick)) }] };
  return { status: 200, items: [] };
}

/** The same answer as the keys the page would send. */
export function answerKeys(alert: AlertCmd, pick: ChoicePick): InputEvent[] {
  switch (alert.data) {
    case '1101':
      return [{ kind: 'yes' }];
    case '1102':
      return [{ kind: 'submit' }];
    case '1103':
      return [{ kind: 'pick', index: choiceIndex(alert, pick) - 1 }];
    case '1104':
      return [{ kind: 'pick', index: 0 }, { kind: 'submit' }];
    default:
      return [];
  }
}

/**
 * A Clock for the device's UI whose pending timers can be run at once, in the order they are due: after
 * the automatic answer, what the alert still waits for (MINDT, or MAXDT for a display without MINDT) ends.
 */
export class HurryClock implements Clock {
  private readonly pending = new Map<number, { at: number; fn: () => void; handle: TimerHandle }>();
  private seq = 0;

  constructor(private readonly inner: Clock) {}

  now(): number {
    return this.inner.now();
  }
  monotonic(): number {
    return this.inner.monotonic();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    const handle = this.inner.setTimeout(() => {
      this.pending.delete(id);
      fn();
    }, ms);
    this.pending.set(id, { at: this.inner.monotonic() + Math.max(0, ms), fn, handle });
    return id;
  }
  clearTimeout(id: TimerHandle): void {
    const t = this.pending.get(id as number);
    if (!t) return;
    this.inner.clearTimeout(t.handle);
    this.pending.delete(id as number);
  }
  /** Runs every timer pending now, soonest first (one a timer cancels is skipped). */
  hurry(): void {
    const due = [...this.pending.entries()].sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
    for (const [id, t] of due) {
      if (!this.pending.has(id)) continue;
      this.clearTimeout(id);
      t.fn();
    }
  }
}

export interface ConsoleAnswersOptions {
  display: ConsoleDisplay;
  /** The fleet's answer clock: the alerts' timers and the automatic answer's delay run on it. */
  clock: Clock;
  afterMs: number;
  pick: ChoicePick;
  /** Told each automatic answer, and each answer the page gave to an alert that asks for one (the summary counts them). */
  onAuto?: () => void;
  onAnswer?: () => void;
}

/** The device's screen in the page, answered there by a person or, `afterMs` later, by the fleet. */
export class ConsoleAnswers extends UserInteraction {
  declare private readonly c: ConsoleAnswersOptions;
  declare private readonly hurryClock: HurryClock;

  constructor(o: ConsoleAnswersOptions) {
    const hurryClock = new HurryClock(o.clock);
    super({ display: o.display, clock: hurryClock });
    this.c = o;
    this.hurryClock = hurryClock;
  }

  override async answer(alert: AlertCmd): Promise<UiAnswer> {
    let done = false;
    let auto = false;
    const timer = this.c.clock.setTimeout(() => {
      if (done) return;
      auto = true;
      // A display asks for no answer: its MINDT is only cut short.
      if (alert.data !== '1100') this.c.onAuto?.();
      for (const key of answerKeys(alert, this.c.pick)) this.c.display.input(key);
      this.hurryClock.hurry();
    }, this.c.afterMs);
    try {
      const a = await super.answer(alert);
      if (!auto && alert.data !== '1100') this.c.onAnswer?.();
      return a;
    } finally {
      done = true;
      this.c.clock.clearTimeout(timer);
    }
  }
}
