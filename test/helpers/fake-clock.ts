// A Clock whose time moves only when the test says: advance(ms) runs due timers in order.
import type { Clock, TimerHandle } from '../../agent/ports.js';

export class FakeClock implements Clock {
  private wall: number;
  private mono = 0;
  private timers: { id: number; at: number; fn: () => void }[] = [];
  private seq = 0;
  constructor(startWall = Date.UTC(2026, 10, 25)) {
    this.wall = startWall;
  }
  now(): number {
    return this.wall;
  }
  monotonic(): number {
    return this.mono;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = { id: ++this.seq, at: this.mono + Math.max(0, ms), fn };
    this.timers.push(t);
    return t.id;
  }
  clearTimeout(h: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== h);
  }
  /** Moves both clocks, firing due timers in time order. */
  async advance(ms: number): Promise<void> {
    // Let work already started (promise chains) arm its timers before time moves.
    await new Promise((r) => setImmediate(r));
    const end = this.mono + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.wall += due.at - this.mono;
      this.mono = due.at;
      due.fn();
      await Promise.resolve();
    }
    this.wall += end - this.mono;
    this.mono = end;
    await new Promise((r) => setImmediate(r));
  }
  /** Moves only the wall clock (NTP arriving late, no RTC). */
  jumpWall(ms: number): void {
    this.wall += ms;
  }
  get pendingTimers(): number {
    return this.timers.length;
  }
}
