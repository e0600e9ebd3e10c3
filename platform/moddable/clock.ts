// Clock port on the SDK's timer and time modules. Monotonic time accumulates Time.delta() of Time.ticks (the
// only wrap-safe way to compare ticks on every host) and never goes back. Wall time is Date.now(), but never
// earlier than the last wall time this device knew: without an RTC it boots in 1970 until SNTP answers, and
// the check schedule would otherwise see a jump of decades. That floor is saved in Preference at most once
// an hour (flash erase cycles).
import Timer from 'timer';
import Time from 'time';
import type { Clock, TimerHandle } from '../../agent/ports.js';
import { MonotonicTicks, timerMs, wallNow } from './lib/monotonic.js';
import type { Settings } from './settings.js';

const FLOOR_KEY = 'wallFloor';
const SAVE_EVERY_MS = 60 * 60 * 1000;
/** 2024-01-01: a Date.now() before this is a clock nobody has set. */
const PLAUSIBLE = 1704067200000;

export class ModdableClock implements Clock {
  private readonly mono = new MonotonicTicks(
    () => Time.ticks,
    (a, b) => Time.delta(a, b),
  );
  private readonly floor: number;
  private savedAt = -SAVE_EVERY_MS;

  constructor(private readonly settings?: Settings) {
    this.floor = settings?.getNumber(FLOOR_KEY) ?? 0;
  }

  now(): number {
    const since = this.mono.now();
    const t = wallNow(Date.now(), this.floor, since);
    if (this.settings && t >= PLAUSIBLE && since - this.savedAt >= SAVE_EVERY_MS) {
      this.savedAt = since;
      try {
        this.settings.set(FLOOR_KEY, t);
      } catch {
        /* a lost checkpoint only weakens the floor */
      }
    }
    return t;
  }

  monotonic(): number {
    return this.mono.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return Timer.set(() => fn(), timerMs(ms));
  }

  clearTimeout(handle: TimerHandle): void {
    // Clearing a timer that already fired is harmless in the SDK (its host data is gone).
    Timer.clear(handle as Timer | undefined);
  }
}
