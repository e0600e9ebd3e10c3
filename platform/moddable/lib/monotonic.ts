// Clock arithmetic apart from the SDK so it can be tested on the host.
// Time.ticks is a millisecond counter whose range depends on the host (a signed 32-bit integer that wraps on
// most microcontrollers, a float on the simulator); only Time.delta() compares two values correctly. The port
// promises a monotonic clock that never goes back, so the differences are accumulated, and a negative or
// absurd difference (a counter reset, a bad delta) counts as zero rather than moving time backwards.

export class MonotonicTicks {
  private last: number;
  private total = 0;

  constructor(
    private readonly ticks: () => number,
    private readonly delta: (from: number, to: number) => number,
  ) {
    this.last = ticks();
  }

  /** Milliseconds since construction; never less than the value returned before. */
  now(): number {
    const t = this.ticks();
    const d = this.delta(this.last, t);
    this.last = t;
    if (d > 0 && Number.isFinite(d)) this.total += d;
    return this.total;
  }
}

/**
 * Wall-clock time that never falls below `floor` plus the time elapsed since boot: without an RTC a device
 * boots in 1970 until SNTP answers, and the check schedule is happier with the last time it knew.
 */
export function wallNow(dateNow: number, floor: number, sinceBoot: number): number {
  return Math.max(dateNow, floor + sinceBoot);
}

/** Timer intervals are C ints: a negative, fractional or huge delay becomes a valid one. */
export function timerMs(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(Math.ceil(ms), 0x7fffffff);
}
