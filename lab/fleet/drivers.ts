// How the fleet's sessions start: workers taking them in turn (a ramp, a bound on those in flight), or each
// device's own check schedule on the fleet's fast clock.
import type { Storage } from '../../agent/ports.js';
import { CheckSchedule, planScheduleOptions, type SchedulePlan } from '../../agent/triggers/schedule.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import type { ScaledClock } from './scaled-clock.js';

/** `concurrency` workers take the fleet's sessions in turn: device n % devices runs its (n / devices)-th. */
export async function workers(
  o: { devices: number; concurrency: number; rampSeconds: number },
  total: number,
  session: (d: number) => Promise<boolean>,
): Promise<void> {
  let next = 0;
  const busy = new Set<number>();
  const rampMs = o.rampSeconds * 1000;
  const worker = async (w: number) => {
    if (rampMs > 0) await new Promise((r) => setTimeout(r, (rampMs * w) / o.concurrency));
    for (;;) {
      const n = next++;
      if (n >= total) return;
      // One session per device at a time.
      const d = n % o.devices;
      while (busy.has(d)) await new Promise((r) => setTimeout(r, 1));
      busy.add(d);
      try {
        await session(d);
      } finally {
        busy.delete(d);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, total) }, (_, w) => worker(w)));
}

/**
 * Every device runs the agent's own CheckSchedule (persisted in its storage, jitter from its random source,
 * back-off after a failure) on the fleet's clock, until it has run `checks` checks. Resolves with the
 * simulated start time of every check.
 */
export function scheduled(
  storages: Storage[],
  plan: SchedulePlan,
  clock: ScaledClock,
  checks: number,
  session: (d: number) => Promise<boolean>,
): Promise<number[]> {
  const starts: number[] = [];
  return new Promise((resolve, reject) => {
    let running = storages.length;
    const schedules = storages.map((storage, d) => {
      let ran = 0;
      const s: CheckSchedule = new CheckSchedule(
        planScheduleOptions(plan, nodeCrypto, {
          storage,
          clock,
          onDue: async () => {
            starts.push(clock.elapsed());
            const good = await session(d);
            if (++ran >= checks) {
              s.stop();
              if (--running === 0) resolve(starts);
            }
            return good;
          },
        }),
      );
      return s;
    });
    try {
      for (const s of schedules) s.start();
    } catch (e) {
      for (const s of schedules) s.stop();
      reject(e);
    }
  });
}
