// The fleet's clock for device schedules: simulated time runs `speed` times faster than real time, so a
// fleet's day of checks (interval, jitter, back-off) plays out in seconds. Only the schedules run on it;
// sessions keep real time, so their timeouts stay what the device would use.
import type { Clock, TimerHandle } from '../../agent/ports.js';

export class ScaledClock implements Clock {
  private readonly wall0 = Date.now();
  private readonly mono0 = performance.now();

  constructor(readonly speed: number) {
    ScaledClock.check(speed);
  }

  /** Throws unless `speed` is a finite number > 0 (a speed of 0 would never fire a timer). */
  static check(speed: number): void {
    if (!(Number.isFinite(speed) && speed > 0)) throw new RangeError(`fleet clock speed must be a finite number > 0, not ${speed}`);
  }

  /** Simulated ms since this clock was made. */
  elapsed(): number {
    return (performance.now() - this.mono0) * this.speed;
  }

  now(): number {
    return this.wall0 + this.elapsed();
  }

  monotonic(): number {
    return this.elapsed();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return setTimeout(fn, Math.max(0, ms) / this.speed);
  }

  clearTimeout(handle: TimerHandle): void {
    clearTimeout(handle as NodeJS.Timeout);
  }
}
