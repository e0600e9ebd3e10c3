// Stand-in for the SDK's "timer" module (documentation/base/base.md, "class Timer") on the machine's virtual
// clock (runtime.ts): set, repeat, schedule, clear, delay. A callback gets the timer as its argument, with
// `this` globalThis; a one-shot timer is gone after its callback; clearing undefined, null or a finished
// timer does nothing; scheduling a finished or cleared timer throws, as the SDK's host data is gone.
import { addTimer, clearTimer, delay, scheduleTimer } from './runtime.js';

export default class Timer {
  static set(callback: (timer: unknown) => void, initialInterval?: number, repeatInterval?: number): object {
    return addTimer(callback, initialInterval ?? 0, repeatInterval ?? 0);
  }

  static repeat(callback: (timer: unknown) => void, repeatInterval: number): object {
    return addTimer(callback, repeatInterval, repeatInterval);
  }

  static schedule(timer: object, ...intervals: number[]): void {
    scheduleTimer(timer, intervals);
  }

  static clear(timer?: object | null): void {
    clearTimer(timer);
  }

  static delay(ms: number): void {
    delay(ms);
  }
}
Object.freeze(Timer.prototype);
