// Scenarios the console queues for one device's next session: the failures of lab/server/scenario.ts, fired
// for that device only. The server's modules ask the failure plan (take) without naming a device; the
// server tells its observer which device's session it is acting for (processing) just before, and this plan
// answers from that device's queue first, then from the scenario's own failures.
import { FailurePlan, type Failure } from '../server/scenario.js';

/** What the console offers, and the scenario failure each one is. */
export const QUEUED_SCENARIOS = {
  'refused-credentials': { failure: { kind: 'reject-credentials-once' }, what: 'a valid credential refused once (401)' },
  'lost-reply': { failure: { kind: 'drop-connection-at-message', message: 1, times: 1 }, what: 'the reply to message 1 lost' },
  'http-500': { failure: { kind: 'http-500-at-message', message: 1, times: 1 }, what: 'HTTP 500 for message 1' },
  'session-abort': { failure: { kind: 'abort-session', message: 2 }, what: 'the server aborts at message 2 (Alert 1223)' },
  'wrong-hash': { failure: { kind: 'corrupt-package' }, what: 'a wrong SHA-256 announced for the package' },
  'no-update': { failure: { kind: 'no-update' }, what: 'no update offered, whatever the catalog has' },
} as const satisfies Record<string, { failure: Failure; what: string }>;

export type QueuedScenario = keyof typeof QUEUED_SCENARIOS;

export function isQueuedScenario(s: unknown): s is QueuedScenario {
  return typeof s === 'string' && Object.hasOwn(QUEUED_SCENARIOS, s);
}

interface Queued {
  name: QueuedScenario;
  failure: Failure;
  /** The device's session number it is for (1 = its first with this server). */
  session: number;
}

/** Devices with a queue, at most; a queue holds at most a few scenarios. */
const MAX_DEVICES = 4096;
const MAX_PER_DEVICE = 8;

export class QueuedFailures extends FailurePlan {
  private readonly queues = new Map<string, Queued[]>();
  private current?: { devId: string; session: number };

  /** The server acts for this device's session now. */
  focus(devId: string, session: number): void {
    this.current = { devId, session };
  }

  /** Queues a scenario for the device's session `session` (its next one); false when its queue is full. */
  queue(devId: string, name: QueuedScenario, session: number): boolean {
    const q = this.queues.get(devId) ?? [];
    if (q.length >= MAX_PER_DEVICE) return false;
    if (!this.queues.has(devId) && this.queues.size >= MAX_DEVICES) this.queues.delete(this.queues.keys().next().value!);
    q.push({ name, failure: { ...QUEUED_SCENARIOS[name].failure }, session });
    this.queues.set(devId, q);
    return true;
  }

  /** The scenarios still queued for a device. */
  queued(devId: string): { name: QueuedScenario; session: number }[] {
    return (this.queues.get(devId) ?? []).map((q) => ({ name: q.name, session: q.session }));
  }

  override take<K extends Failure['kind']>(kind: K, msgNo?: number, sessionNo?: number): Extract<Failure, { kind: K }> | undefined {
    const c = this.current;
    const q = c && this.queues.get(c.devId);
    if (c && q) {
      // A scenario queued for a session that has passed (the device's session ran without reaching it) is dropped.
      const live = q.filter((x) => x.session >= c.session);
      const i = live.findIndex(
        (x) =>
          x.failure.kind === kind &&
          x.session === (sessionNo ?? c.session) &&
          (!('message' in x.failure) || x.failure.message === undefined || x.failure.message === msgNo),
      );
      const hit = i >= 0 ? live.splice(i, 1)[0] : undefined;
      if (live.length) this.queues.set(c.devId, live);
      else this.queues.delete(c.devId);
      if (hit) return hit.failure as Extract<Failure, { kind: K }>;
    }
    return super.take(kind, msgNo, sessionNo);
  }
}
