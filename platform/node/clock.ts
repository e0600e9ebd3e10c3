// Clock port on the host: wall time may jump (NTP); monotonic time comes from performance.now().
import type { Clock } from '../../agent/ports.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
