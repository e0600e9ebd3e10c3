// Stand-in for the SDK's "time" module (documentation/base/base.md, "class Time"): ticks is the machine's
// virtual millisecond counter (runtime.ts), delta() the difference of two of them, set() sets the wall clock
// that Date.now() reads, in seconds since 1970.
import { setWall, vm } from './runtime.js';

export default class Time {
  static set(seconds: number): void {
    setWall(Number(seconds) * 1000);
  }

  static get ticks(): number {
    return vm().ticks;
  }

  static delta(start: number, end?: number): number {
    return (end ?? vm().ticks) - start;
  }

  static get timezone(): number {
    return vm().timezone;
  }

  static set timezone(seconds: number) {
    vm().timezone = Number(seconds);
  }

  static get dst(): number {
    return vm().dst;
  }

  static set dst(seconds: number) {
    vm().dst = Number(seconds);
  }
}
Object.freeze(Time.prototype);
