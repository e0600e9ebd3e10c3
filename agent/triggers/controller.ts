// Turns presses and schedule ticks into queued update requests and sessions. At most one session runs; a
// request arriving meanwhile is queued (its alert is in the persisted queue) and at most one more session
// follows, which carries every alert queued in between.
import type { Log } from '../ports.js';
import type { AlertQueue } from '../alerts/queue.js';
import { ALERT_TYPE_DEVICE_REQUEST, ALERT_TYPE_USER_REQUEST } from '../alerts/types.js';

export interface TriggerControllerOptions {
  queue: AlertQueue;
  /** Runs one session with the pending alerts; resolves true when it ended well. */
  startSession: () => Promise<boolean>;
  /** Lets the user pick a deployed component; resolves with its LocURI, or undefined. */
  pickComponent: () => Promise<string | undefined>;
  log?: Log;
}

export class TriggerController {
  private running?: Promise<boolean>;
  private again = false;

  constructor(private readonly o: TriggerControllerOptions) {}

  /** Short press: the user asks for a check of the whole device. */
  shortPress(): Promise<boolean> {
    this.o.queue.enqueue({ type: ALERT_TYPE_USER_REQUEST, format: 'chr', data: '' });
    return this.requestSession();
  }

  /** Long press: the user picks one component first; nothing is queued when they cancel. */
  async longPress(): Promise<boolean> {
    const source = await this.o.pickComponent();
    if (source === undefined) return false;
    this.o.queue.enqueue({ type: ALERT_TYPE_USER_REQUEST, format: 'chr', data: '', source });
    return this.requestSession();
  }

  /** The schedule says a device-initiated check is due; resolves with the session outcome for back-off. */
  scheduleDue(): Promise<boolean> {
    this.o.queue.enqueue({ type: ALERT_TYPE_DEVICE_REQUEST, format: 'chr', data: '' });
    return this.requestSession();
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  private requestSession(): Promise<boolean> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async loop(): Promise<boolean> {
    let ok = false;
    do {
      this.again = false;
      try {
        ok = await this.o.startSession();
      } catch (e) {
        this.o.log?.log('error', `session failed: ${e instanceof Error ? e.message : String(e)}`);
        ok = false;
      }
    } while (this.again);
    return ok;
  }
}
