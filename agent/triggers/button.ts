// The update button: raw edges from the Button port, debounced, then told apart as a short press (released
// before longPressMs) or a long press (fired at the threshold, while the button is still held).
//
// Debounce: the first edge that leaves the settled level opens a burst; every edge within debounceMs of the
// previous one belongs to it (contact bounce). The burst ends when the raw level has held for debounceMs; only
// then does the new level count. A press is timed from the edge that opened its burst, using the times the
// port reports (atMs), so bounce does not stretch or shorten it.
import type { Button, Clock, Log, TimerHandle } from '../ports.js';
import { DmError, errorMessage } from '../errors.js';

export interface UpdateButtonOptions {
  button: Button;
  clock: Clock;
  debounceMs?: number; // default 30
  longPressMs?: number; // default 2000
  onShortPress: () => void;
  onLongPress: () => void;
  log?: Log;
}

const DEFAULT_DEBOUNCE_MS = 30;
const DEFAULT_LONG_PRESS_MS = 2000;

export class UpdateButton {
  declare private readonly debounceMs: number;
  declare private readonly longPressMs: number;
  /** Debounced level: true while the button is (believed) held. */
  private stable = false;
  /** Last raw level the port reported, and when. */
  private raw = false;
  private rawAt = -Infinity;
  /** Time of the edge that opened the current bounce burst; undefined when the level is settled. */
  declare private burstStart?: number;
  private pressStart = 0;
  declare private settleTimer?: TimerHandle;
  declare private longTimer?: TimerHandle;
  private longFired = false;
  /** The long-press threshold passed while a burst was open; decided when it settles. */
  private longDue = false;
  private stopped = false;

  declare private readonly o: UpdateButtonOptions;

  constructor(o: UpdateButtonOptions) {
    this.o = o;
    this.debounceMs = o.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.longPressMs = o.longPressMs ?? DEFAULT_LONG_PRESS_MS;
    if (!(this.debounceMs > 0) || !Number.isFinite(this.debounceMs)) {
      throw new DmError('DM_ERR_CONFIG', 400, `button debounceMs must be a finite number > 0, not ${this.debounceMs}`);
    }
    if (!(this.longPressMs > this.debounceMs) || !Number.isFinite(this.longPressMs)) {
      throw new DmError(
        'DM_ERR_CONFIG',
        400,
        `button longPressMs (${this.longPressMs}) must be finite and longer than debounceMs (${this.debounceMs})`,
      );
    }
    o.button.onEdge((pressed, atMs) => this.edge(pressed, atMs));
  }

  /** Ignores further edges and cancels pending timers (the port has no way to unsubscribe). */
  stop(): void {
    this.stopped = true;
    this.clear('settleTimer');
    this.clear('longTimer');
  }

  private clear(which: 'settleTimer' | 'longTimer'): void {
    const h = this[which];
    if (h !== undefined) this.o.clock.clearTimeout(h);
    this[which] = undefined;
  }

  private edge(pressed: boolean, atMs: number): void {
    if (this.stopped || pressed === this.raw) return; // a repeated level is no edge
    const now = this.o.clock.monotonic();
    // Trust the port's time, but not one from the future or one that goes back before the previous edge.
    let at = typeof atMs === 'number' && Number.isFinite(atMs) ? Math.min(atMs, now) : now;
    if (at < this.rawAt) at = this.rawAt;
    this.raw = pressed;
    this.rawAt = at;
    if (this.burstStart === undefined) this.burstStart = at;
    this.armSettle(now);
  }

  private armSettle(now: number): void {
    this.clear('settleTimer');
    const wait = Math.max(0, this.rawAt + this.debounceMs - now);
    this.settleTimer = this.o.clock.setTimeout(() => this.settled(), wait);
  }

  private settled(): void {
    this.settleTimer = undefined;
    const now = this.o.clock.monotonic();
    if (now - this.rawAt < this.debounceMs) {
      this.armSettle(now);
      return;
    } // timer ran early
    const start = this.burstStart ?? this.rawAt;
    this.burstStart = undefined;
    if (this.raw === this.stable) {
      // A glitch: the level came back. A long press that came due meanwhile is still a long press.
      if (this.stable && this.longDue) this.fireLong();
      return;
    }
    this.stable = this.raw;
    if (this.stable) {
      this.pressStart = start;
      this.longFired = false;
      this.longDue = false;
      const wait = Math.max(0, start + this.longPressMs - now);
      this.longTimer = this.o.clock.setTimeout(() => this.longThreshold(), wait);
    } else {
      this.clear('longTimer');
      this.longDue = false;
      if (this.longFired) return;
      // Held time runs to the edge that opened the release burst, not to the end of its bounce.
      if (start - this.pressStart >= this.longPressMs) this.fireLong();
      else this.call('short press', this.o.onShortPress);
    }
  }

  private longThreshold(): void {
    this.longTimer = undefined;
    // A burst is open: maybe the release started before the threshold; settled() decides.
    if (this.burstStart !== undefined) {
      this.longDue = true;
      return;
    }
    this.fireLong();
  }

  private fireLong(): void {
    this.longDue = false;
    this.longFired = true;
    this.call('long press', this.o.onLongPress);
  }

  /** A failing handler must not break the button (it runs inside a timer). */
  private call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.o.log?.log('error', `${what} handler failed: ${errorMessage(e)}`);
    }
  }
}
