// Device-initiated checks on a persisted schedule. The next due time (wall clock) survives reboots, so a
// reboot neither skips nor repeats a check; random jitter spreads a fleet; failures back off exponentially up
// to a cap. The wall clock may jump (no RTC, NTP arriving late), so waiting is done on monotonic timers in
// slices of at most an hour (long timers overflow on small devices) and the wall clock is only compared on
// wake: a jump forward fires at most one check, a jump backward is clamped to one period plus the cap.
import type { Clock, Crypto, Log, Storage, TimerHandle } from '../ports.js';
import type { DeviceDescription } from '../description/description.js';
import { DmError, errorMessage } from '../errors.js';
import { withDefined } from '../util/options.js';

const KEY = 'schedule';
const MIN = 60 * 1000;
/** Longest single timer: 1 h fits every platform's timer range. */
export const SCHEDULE_SLICE_MS = 60 * MIN;
const DEFAULT_BACKOFF_MINUTES = 5;
const DEFAULT_BACKOFF_CAP_MINUTES = 1440;
/** Default jitter as a share of the interval (agent/description/description.ts documents 10 %). */
const DEFAULT_JITTER_SHARE = 0.1;

/** A device description's `schedule` (agent/description/description.ts). */
export type SchedulePlan = NonNullable<DeviceDescription['schedule']>;

/** The jitter a plan means, in minutes: its own, or the default share of its interval. */
export function planJitterMinutes(plan: SchedulePlan): number {
  return plan.jitterMinutes || plan.intervalMinutes * DEFAULT_JITTER_SHARE;
}

/**
 * CheckSchedule's options for a device description's plan, drawing its jitter from the crypto port: how the
 * agent arms its schedule, and how the fleet simulator arms each simulated device's.
 */
export function planScheduleOptions(
  plan: SchedulePlan,
  crypto: Crypto,
  rest: Pick<CheckScheduleOptions, 'storage' | 'clock' | 'onDue' | 'log'>,
): CheckScheduleOptions {
  const random = () => {
    const b = crypto.randomBytes(4);
    return (((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!) / 4294967296;
  };
  // 0 means "not given" here: the defaults apply.
  return withDefined(
    { ...rest, random, intervalMinutes: plan.intervalMinutes },
    {
      jitterMinutes: plan.jitterMinutes || undefined,
      backoffMinutes: plan.backoffMinutes || undefined,
      backoffCapMinutes: plan.backoffCapMinutes || undefined,
    },
  );
}

export interface CheckScheduleOptions {
  storage: Storage;
  clock: Clock;
  /** Uniform in [0, 1); anything else is clamped. */
  random: () => number;
  intervalMinutes: number;
  /** Random spread added to each due time, in [0, jitterMinutes]; default 10 % of the interval, 0 = none. */
  jitterMinutes?: number;
  backoffMinutes?: number; // first retry delay after a failure, default 5
  backoffCapMinutes?: number; // longest retry delay, default 1440
  /** Runs the check; resolves true on success. */
  onDue: () => Promise<boolean>;
  log?: Log;
}

/** What is persisted under 'schedule'. */
export interface ScheduleState {
  /** Next due time, wall-clock ms. */
  due: number;
  /** Consecutive failed checks. */
  failures: number;
  /** Wall-clock ms of the last successful check. */
  lastSuccess?: number;
}

function parseState(raw: string): ScheduleState | undefined {
  try {
    const p = JSON.parse(raw) as Partial<ScheduleState> | null;
    if (p === null || typeof p !== 'object') return undefined;
    if (typeof p.due !== 'number' || !Number.isFinite(p.due)) return undefined;
    if (typeof p.failures !== 'number' || !Number.isInteger(p.failures) || p.failures < 0) return undefined;
    const s: ScheduleState = { due: p.due, failures: p.failures };
    if (typeof p.lastSuccess === 'number' && Number.isFinite(p.lastSuccess)) s.lastSuccess = p.lastSuccess;
    return s;
  } catch {
    return undefined;
  }
}

export class CheckSchedule {
  declare private state?: ScheduleState;
  declare private timer?: TimerHandle;
  private running = false;
  private stopped = true;
  declare private readonly interval: number;
  declare private readonly jitter: number;
  declare private readonly backoff: number;
  declare private readonly cap: number;

  declare private readonly o: CheckScheduleOptions;

  constructor(o: CheckScheduleOptions) {
    this.o = o;
    const minutes = (name: string, v: number, allowZero = false): number => {
      const ok = typeof v === 'number' && Number.isFinite(v) && (v > 0 || (allowZero && v === 0));
      if (!ok) throw new DmError('DM_ERR_CONFIG', 400, `schedule ${name} must be a finite number > 0, not ${v}`);
      return v * MIN;
    };
    this.interval = minutes('intervalMinutes', o.intervalMinutes);
    this.jitter =
      o.jitterMinutes === undefined ? Math.floor(this.interval * DEFAULT_JITTER_SHARE) : minutes('jitterMinutes', o.jitterMinutes, true);
    this.backoff = minutes('backoffMinutes', o.backoffMinutes ?? DEFAULT_BACKOFF_MINUTES);
    this.cap = minutes('backoffCapMinutes', o.backoffCapMinutes ?? DEFAULT_BACKOFF_CAP_MINUTES);
    if (typeof o.random !== 'function' || typeof o.onDue !== 'function') {
      throw new DmError('DM_ERR_CONFIG', 400, 'schedule needs random() and onDue()');
    }
  }

  /** Next due time (wall-clock ms); undefined before start(). */
  get due(): number | undefined {
    return this.state?.due;
  }

  get failures(): number {
    return this.state?.failures ?? 0;
  }

  get lastSuccess(): number | undefined {
    return this.state?.lastSuccess;
  }

  /**
   * Loads the persisted state (first boot: due = now + interval + jitter) and arms the timer. A due time
   * that passed while the device was off fires once, soon after start, then the schedule runs from now.
   */
  start(): void {
    this.stopped = false;
    if (this.state === undefined) {
      let raw: string | undefined;
      try {
        raw = this.o.storage.read(KEY);
      } catch (e) {
        this.o.log?.log('warn', `schedule state unreadable: ${errorMessage(e)}`);
      }
      const stored = raw === undefined ? undefined : parseState(raw);
      if (raw !== undefined && stored === undefined) this.o.log?.log('warn', 'stored schedule state is corrupt; starting over');
      if (stored) this.state = stored;
      else this.setState({ due: this.o.clock.now() + this.interval + this.spread(), failures: 0 });
    }
    if (!this.running) this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  /**
   * A session the schedule did not start has ended. A successful one was as good as a check: the back-off
   * resets and the next check is a full period away. A failed one changes nothing (backing off from it could
   * pull a distant check closer).
   */
  sessionEnded(ok: boolean): void {
    if (!ok || this.running || this.state === undefined) return;
    const now = this.o.clock.now();
    this.setState({ due: now + this.interval + this.spread(), failures: 0, lastSuccess: now });
    if (!this.stopped) this.arm();
  }

  private disarm(): void {
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Jitter in [0, jitter] ms. */
  private spread(): number {
    let r = Number(this.o.random());
    if (!(r >= 0)) r = 0;
    if (r > 1) r = 1;
    return Math.floor(r * this.jitter);
  }

  /** Keeps the state in memory even when it cannot be written: the schedule goes on, the reboot may repeat. */
  private setState(s: ScheduleState): void {
    this.state = s;
    try {
      this.o.storage.write(KEY, JSON.stringify(s));
    } catch (e) {
      this.o.log?.log('warn', `schedule state not stored: ${errorMessage(e)}`);
    }
  }

  private arm(): void {
    this.disarm();
    const state = this.state!;
    const now = this.o.clock.now();
    // A wall clock that jumped backwards would push the check out by the jump: never wait longer than a full
    // period plus the largest back-off.
    if (state.due - now > this.interval + this.jitter + this.cap) {
      this.o.log?.log('warn', 'schedule due time too far ahead (wall clock went back); rescheduled from now');
      this.setState({ ...state, due: now + this.interval + this.spread() });
    }
    const wait = this.state!.due - now;
    // Due now still goes through a timer, so start() and the previous check return before the next runs.
    this.timer = this.o.clock.setTimeout(() => this.wake(), Math.max(0, Math.min(wait, SCHEDULE_SLICE_MS)));
  }

  private wake(): void {
    this.timer = undefined;
    if (this.stopped || this.running) return;
    if (this.state!.due <= this.o.clock.now()) void this.fire();
    else this.arm();
  }

  private async fire(): Promise<void> {
    this.running = true;
    const failures = this.state!.failures;
    // Write-ahead: a power cut during the check counts as a failure, so the next boot retries after the
    // back-off instead of at once (the alert itself waits in the persisted queue).
    this.setState({ ...this.state!, due: this.o.clock.now() + this.backoffDelay(failures + 1), failures: failures + 1 });
    let ok = false;
    try {
      ok = (await this.o.onDue()) === true;
    } catch (e) {
      this.o.log?.log('error', `scheduled check failed: ${errorMessage(e)}`);
    }
    const now = this.o.clock.now();
    if (ok) {
      this.setState({ due: now + this.interval + this.spread(), failures: 0, lastSuccess: now });
    } else {
      this.setState({ ...this.state!, due: now + this.backoffDelay(failures + 1) + this.spread(), failures: failures + 1 });
    }
    this.running = false;
    if (!this.stopped) this.arm();
  }

  /** min(cap, backoff * 2^(failures-1)). */
  private backoffDelay(failures: number): number {
    return Math.min(this.cap, this.backoff * 2 ** Math.max(0, Math.min(failures - 1, 52)));
  }
}
