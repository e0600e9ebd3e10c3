// Device-initiated checks on a persisted schedule: the next due time survives reboots (never skipped, never
// repeated), random jitter spreads a fleet, failures back off exponentially up to a cap, and clock jumps
// (no RTC, NTP arriving late) cannot fire a burst: waiting is done in short monotonic slices and the wall
// clock is only compared on wake.
import type { Clock, Storage, TimerHandle } from '../ports.js';
import { DmError } from '../errors.js';

const KEY = 'schedule';
const SLICE_MS = 60 * 60 * 1000;
const MIN = 60 * 1000;

export interface CheckScheduleOptions {
  storage: Storage;
  clock: Clock;
  random: () => number;           // in [0, 1)
  intervalMinutes: number;
  jitterMinutes?: number;         // default 10% of the interval
  backoffMinutes?: number;        // default 5
  backoffCapMinutes?: number;     // default 1440
  onDue: () => Promise<boolean>;  // runs the check; true = success
}

interface State { due: number; failures: number; lastSuccess?: number }

export class CheckSchedule {
  private state!: State;
  private timer?: TimerHandle;
  private running = false;
  private readonly interval: number;
  private readonly jitter: number;
  private readonly backoff: number;
  private readonly cap: number;

  constructor(private readonly o: CheckScheduleOptions) {
    const check = (name: string, v: number) => {
      if (!(v > 0) || !Number.isFinite(v)) throw new DmError('DM_ERR_CONFIG', 400, `schedule ${name} must be > 0, not ${v}`);
      return v * MIN;
    };
    this.interval = check('intervalMinutes', o.intervalMinutes);
    this.jitter = o.jitterMinutes === undefined ? this.interval / 10 : o.jitterMinutes === 0 ? 0 : check('jitterMinutes', o.jitterMinutes);
    this.backoff = check('backoffMinutes', o.backoffMinutes ?? 5);
    this.cap = check('backoffCapMinutes', o.backoffCapMinutes ?? 1440);
  }

  /** Next due time (wall clock, ms). */
  get due(): number {
    return this.state.due;
  }

  get failures(): number {
    return this.state.failures;
  }

  start(): void {
    const raw = this.o.storage.read(KEY);
    let s: State | undefined;
    if (raw !== undefined) {
      try {
        const p = JSON.parse(raw) as State;
        if (typeof p.due === 'number' && typeof p.failures === 'number') s = p;
      } catch { /* unreadable: start over below */ }
    }
    this.state = s ?? { due: this.o.clock.now() + this.interval + this.spread(), failures: 0 };
    if (!s) this.save();
    this.arm();
  }

  stop(): void {
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private spread(): number {
    return Math.floor(this.o.random() * this.jitter);
  }

  private save(): void {
    this.o.storage.write(KEY, JSON.stringify(this.state));
  }

  private arm(): void {
    this.stop();
    const now = this.o.clock.now();
    // A wall clock that jumped backwards would push the check out by the jump: never wait longer than a full
    // period plus the largest back-off.
    const longest = this.interval + this.jitter + this.cap;
    if (this.state.due - now > longest) {
      this.state.due = now + this.interval + this.spread();
      this.save();
    }
    const wait = this.state.due - now;
    if (wait <= 0) { void this.fire(); return; }
    this.timer = this.o.clock.setTimeout(() => { this.timer = undefined; this.arm(); }, Math.min(wait, SLICE_MS));
  }

  private async fire(): Promise<void> {
    if (this.running) return;
    this.running = true;
    // Write-ahead: if the device dies during the check, the next boot retries after a back-off instead of
    // repeating the check at once (the alert itself waits in the persisted queue).
    const failures = this.state.failures;
    this.state = { ...this.state, due: this.o.clock.now() + this.backoffDelay(failures + 1) };
    this.save();
    let ok = false;
    try {
      ok = await this.o.onDue();
    } catch {
      ok = false;
    }
    const now = this.o.clock.now();
    if (ok) this.state = { due: now + this.interval + this.spread(), failures: 0, lastSuccess: now };
    else {
      // Up to 10 % jitter on the back-off too, so a fleet that failed together does not retry together.
      const d = this.backoffDelay(failures + 1);
      this.state = { ...this.state, due: now + d + Math.floor(this.o.random() * d / 10), failures: failures + 1 };
    }
    this.save();
    this.running = false;
    this.arm();
  }

  private backoffDelay(failures: number): number {
    return Math.min(this.cap, this.backoff * 2 ** Math.max(0, failures - 1));
  }
}
