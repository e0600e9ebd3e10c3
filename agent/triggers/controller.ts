// Turns presses and schedule ticks into queued update requests and sessions. At most one session runs; a
// request arriving meanwhile is not lost (its alert is already in the persisted queue) and asks for at most
// one more session, run right after, which carries every alert queued in between.
import type { Log } from '../ports.js';
import type { AlertQueue } from '../alerts/queue.js';
import type { GenericAlert } from '../alerts/types.js';
import { ALERT_TYPE_DEVICE_REQUEST, ALERT_TYPE_USER_REQUEST } from '../alerts/types.js';
import { errorMessage } from '../errors.js';

export interface TriggerControllerOptions {
  queue: AlertQueue;
  /** Runs one session with the pending alerts; resolves true when it ended well. */
  startSession: () => Promise<boolean>;
  /** Lets the user pick a deployed component; resolves with its LocURI, or undefined when they cancel. */
  pickComponent: () => Promise<string | undefined>;
  /**
   * Told the outcome of every run of sessions, whatever started it, e.g. so the check schedule can count a
   * successful user-started session as a check (CheckSchedule.sessionEnded).
   */
  onSessionEnd?: (ok: boolean) => void;
  log?: Log;
}

export class TriggerController {
  private active = false;
  private again = false;
  private current: Promise<boolean> = Promise.resolve(true);

  declare private readonly o: TriggerControllerOptions;

  constructor(o: TriggerControllerOptions) {
    this.o = o;
  }

  /** Short press: the user asks for a check of the whole device. */
  shortPress(): Promise<boolean> {
    this.raise({ type: ALERT_TYPE_USER_REQUEST, format: 'chr', data: '' });
    return this.requestSession();
  }

  /** Long press: the user picks one component first; nothing is queued when they cancel. */
  async longPress(): Promise<boolean> {
    let source: string | undefined;
    try {
      source = await this.o.pickComponent();
    } catch (e) {
      this.o.log?.log('error', `component pick failed: ${errorMessage(e)}`);
      return false;
    }
    if (source === undefined) return false;
    this.raise({ type: ALERT_TYPE_USER_REQUEST, format: 'chr', data: '', source });
    return this.requestSession();
  }

  /** The schedule says a device-initiated check is due; resolves with the session outcome (for back-off). */
  scheduleDue(): Promise<boolean> {
    this.raise({ type: ALERT_TYPE_DEVICE_REQUEST, format: 'chr', data: '' });
    return this.requestSession();
  }

  /** True while a session (or the one queued after it) runs. */
  get busy(): boolean {
    return this.active;
  }

  /**
   * Queues the alert. If that fails (queue full of results, storage error) the session still runs: it
   * delivers what is queued, which is what frees the room.
   */
  private raise(alert: Omit<GenericAlert, 'id'>): void {
    try {
      this.o.queue.enqueue(alert);
    } catch (e) {
      this.o.log?.log('error', `update request not queued: ${errorMessage(e)}`, { type: alert.type });
    }
  }

  private requestSession(): Promise<boolean> {
    if (this.active) {
      this.again = true;
      return this.current;
    }
    // `active` is set before the loop starts and cleared by the loop itself, in the same step that decides
    // not to go round again: no request can slip between the two.
    this.active = true;
    this.current = this.loop();
    return this.current;
  }

  private async loop(): Promise<boolean> {
    for (;;) {
      this.again = false;
      let ok: boolean;
      try {
        ok = (await this.o.startSession()) === true;
      } catch (e) {
        this.o.log?.log('error', `session failed: ${errorMessage(e)}`);
        ok = false;
      }
      if (!this.again) {
        this.active = false;
        this.report(ok);
        return ok;
      }
      this.report(ok);
    }
  }

  private report(ok: boolean): void {
    try {
      this.o.onSessionEnd?.(ok);
    } catch (e) {
      this.o.log?.log('error', `session outcome handler failed: ${errorMessage(e)}`);
    }
  }
}
