// What the SDK stand-ins share on the XS worker: the virtual machine's clock and run loop, the host call, and
// the console. Nothing here runs while the modules load (on the device that is the build machine, where
// preloaded modules may call no native function); the machine exists from boot on, made by bootMachine().
//
// Time is virtual: Time.ticks is the machine's millisecond counter, and it moves only when the host fires the
// next timer (fireNext), so a run never depends on the speed of the computer. The run loop fires one timer per
// host command, and the worker runs the promise jobs before it answers, as the device's run loop runs them
// after each callback. Network events of the http stand-in are timers of the same loop.
//
// Everything the device keeps across a restart (files, preferences) is the host's: a stand-in asks for it
// through `host(op, args, payload)`, one synchronous xsnap command (issueCommand) whose frame is a 4-byte
// length, that many bytes of JSON, then raw bytes.
import { decodeUtf8, encodeUtf8 } from './utf8.js';

declare const issueCommand: (request: ArrayBuffer) => ArrayBuffer;

interface TimerRecord {
  callback: (timer: unknown) => void;
  handle: object;
  /** Ticks at which it fires next. */
  at: number;
  /** Repeat interval; 0 = one shot (cleared after its callback, as the SDK's timer module does). */
  repeat: number;
  /** Order among timers due at the same tick: when each was (re)scheduled. */
  order: number;
  scheduled: boolean;
  alive: boolean;
  /** Rescheduled from inside its own callback. */
  rescheduled: boolean;
}

interface Machine {
  ticks: number;
  wallAtBoot: number;
  timezone: number;
  dst: number;
  timers: TimerRecord[];
  order: number;
  /** trace() output not yet given to the host. */
  log: string[];
  /** Exceptions that escaped a callback: on the device each one stops the VM (or breaks into xsbug). */
  uncaught: string[];
}

let machine: Machine | undefined;

/** The running machine; throws when a stand-in is used before boot (while modules load). */
export function vm(): Machine {
  if (!machine) throw new Error('SDK stand-in used before the device booted (on the device: a native call during preload)');
  return machine;
}

/** Boots the machine: ticks from 0, the wall clock at `wallMs`. */
export function bootMachine(wallMs: number): void {
  machine = { ticks: 0, wallAtBoot: wallMs, timezone: 0, dst: 0, timers: [], order: 0, log: [], uncaught: [] };
}

export function booted(): boolean {
  return machine !== undefined;
}

/** The wall clock: what Date.now() reads on the device (its RTC, set by SNTP or by Time.set). */
export function wallNow(): number {
  const m = vm();
  return m.wallAtBoot + m.ticks;
}

export function setWall(ms: number): void {
  const m = vm();
  m.wallAtBoot = ms - m.ticks;
}

/** An opaque timer, as the SDK's Timer.set returns: no methods, only good for passing to Timer's functions. */
class TimerHandle {
  #record: TimerRecord;
  constructor(record: TimerRecord) {
    this.#record = record;
  }
  static record(handle: unknown): TimerRecord | undefined {
    return typeof handle === 'object' && handle !== null && #record in handle ? (handle as TimerHandle).#record : undefined;
  }
}

/** C's int conversion of an interval (xsmcToInteger): NaN and undefined are 0. */
function interval(v: unknown): number {
  const n = Math.trunc(Number(v));
  return Number.isFinite(n) ? Math.max(0, n) : 0;
}

export function addTimer(callback: (timer: unknown) => void, initial: unknown, repeat: unknown): object {
  const m = vm();
  if (typeof callback !== 'function') throw new TypeError('timer: callback is not a function');
  const record = {
    callback,
    at: m.ticks + interval(initial),
    repeat: interval(repeat),
    order: ++m.order,
    scheduled: true,
    alive: true,
    rescheduled: false,
  } as TimerRecord;
  record.handle = new TimerHandle(record);
  m.timers.push(record);
  return record.handle;
}

/** Timer.schedule: with no interval the timer waits unscheduled; a cleared or finished timer throws. */
export function scheduleTimer(handle: unknown, args: unknown[]): void {
  const r = TimerHandle.record(handle);
  if (!r?.alive) throw new TypeError('timer: not a live timer');
  const m = vm();
  if (args.length === 0) {
    r.scheduled = false;
    return;
  }
  r.at = m.ticks + interval(args[0]);
  r.repeat = args.length > 1 ? interval(args[1]) : 0;
  r.order = ++m.order;
  r.scheduled = true;
  r.rescheduled = true;
}

/** Timer.clear: undefined, null, a non-timer or a finished timer are ignored. */
export function clearTimer(handle: unknown): void {
  const r = TimerHandle.record(handle);
  if (!r?.alive) return;
  r.alive = false;
  const m = vm();
  m.timers = m.timers.filter((t) => t !== r);
}

/** An event of the machine's own (a network callback) in `ms`: a timer without a handle for scripts. */
export function post(callback: () => void, ms = 0): void {
  addTimer(() => callback(), ms, 0);
}

/** Ticks of the next timer to fire, or undefined when none is scheduled. */
export function nextTimerAt(): number | undefined {
  let at: number | undefined;
  for (const t of vm().timers) if (t.scheduled && (at === undefined || t.at < at)) at = t.at;
  return at;
}

/** Idle time: the clock moves on to `until` (when that is later) with nothing to fire. */
export function idleUntil(until: number): void {
  const m = vm();
  if (until > m.ticks) m.ticks = until;
}

/** Busy-waits: the clock moves, nothing fires (Timer.delay). */
export function delay(ms: number): void {
  vm().ticks += interval(ms);
}

/** Records an exception that escaped a callback of the machine. */
export function uncaught(e: unknown, where: string): void {
  const m = vm();
  const text = e instanceof Error ? `${e.name}: ${e.message}${e.stack ? `\n${e.stack}` : ''}` : String(e);
  m.uncaught.push(`${where}: ${text}`);
}

/**
 * Fires the first timer due at or before `until` (the clock moves to its time); false when none is due.
 * The callback runs with `this` globalThis and the timer as its argument; an exception it throws is uncaught.
 */
export function fireNext(until: number): boolean {
  const m = vm();
  let next: TimerRecord | undefined;
  for (const t of m.timers) {
    if (!t.scheduled || t.at > until) continue;
    if (!next || t.at < next.at || (t.at === next.at && t.order < next.order)) next = t;
  }
  if (!next) return false;
  m.ticks = Math.max(m.ticks, next.at);
  next.rescheduled = false;
  try {
    next.callback.call(globalThis, next.handle);
  } catch (e) {
    uncaught(e, 'timer callback');
  }
  if (!next.alive) return true;
  if (next.repeat === 0) {
    // A one-shot timer is gone once its callback returns, even if the callback rescheduled it (modTimer.c).
    next.alive = false;
    m.timers = m.timers.filter((t) => t !== next);
  } else if (!next.rescheduled) {
    next.at = m.ticks + next.repeat;
    next.order = ++m.order;
  }
  return true;
}

/** trace() lines and uncaught exceptions since the last call. */
export function drainConsole(): { log: string[]; uncaught: string[] } {
  const m = vm();
  const out = { log: m.log, uncaught: m.uncaught };
  m.log = [];
  m.uncaught = [];
  return out;
}

export interface HostAnswer {
  reply: Record<string, unknown>;
  payload: Uint8Array;
}

/** One synchronous call to the host: `op` and its JSON arguments, and optional bytes; the host's answer. */
export function host(op: string, args: Record<string, unknown> = {}, payload?: Uint8Array): HostAnswer {
  vm();
  const json = encodeUtf8(JSON.stringify({ op, ...args }));
  const frame = new Uint8Array(4 + json.length + (payload?.length ?? 0));
  new DataView(frame.buffer).setUint32(0, json.length);
  frame.set(json, 4);
  if (payload) frame.set(payload, 4 + json.length);
  const answer = new Uint8Array(issueCommand(frame.buffer));
  const n = new DataView(answer.buffer, answer.byteOffset, answer.byteLength).getUint32(0);
  return { reply: JSON.parse(decodeUtf8(answer.subarray(4, 4 + n), true, false)) as Record<string, unknown>, payload: answer.slice(4 + n) };
}

/** A host answer with an `error` becomes the exception the SDK's native code throws for it. */
export function hostChecked(op: string, args: Record<string, unknown> = {}, payload?: Uint8Array): HostAnswer {
  const a = host(op, args, payload);
  if (typeof a.reply.error === 'string') throw new Error(a.reply.error);
  return a;
}

// The device's console and clock. trace() is the Moddable runtime's (xsbug or the serial line); Date.now()
// reads the device's RTC, here the virtual wall clock. Both are set while the modules load, before the XS
// linker freezes Date (documentation/xs/preload.md, "Modifying Built-in Objects Behavior").
Object.defineProperty(globalThis, 'trace', {
  value: function trace(text: unknown): void {
    machine?.log.push(String(text));
  },
  writable: true,
  configurable: true,
  enumerable: false,
});
const realNow = Date.now;
Object.defineProperty(Date, 'now', {
  value: function now(): number {
    return machine ? machine.wallAtBoot + machine.ticks : realNow();
  },
  writable: true,
  configurable: true,
  enumerable: false,
});
