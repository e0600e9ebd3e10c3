// Bundle entry of the device-app test: the SDK stand-ins (sdk/), then the simulator's entry module
// (platform/moddable/main-sim.ts) with everything it imports. Loading the bundle runs module bodies only (on
// the device they run on the build machine, as preloaded modules); nothing starts until the host says so.
//
// The host drives the machine with xsnap commands, JSON in and out (handleCommand):
//   {op:'start', wall}          boots the machine with its wall clock at `wall` and calls main()
//   {op:'step', until}          fires the next timer due at or before tick `until`; with none, the clock
//                               moves on to `until` (idle time)
//   {op:'touch', phase, x, y}   a finger on the screen
// Each answers {fired?, ticks, next, frame, log, uncaught}: the promise jobs have run by then (xsnap runs them
// before it reads the answer), and the screen has been drawn as Piu draws it once the run loop is idle.
import { bootMachine, booted, drainConsole, fireNext, idleUntil, nextTimerAt, uncaught, vm } from './sdk/runtime.js';
import { application, resetScreen, touch, updateScreen } from './sdk/piu.js';
import { decodeUtf8, encodeUtf8 } from './sdk/utf8.js';
import main from 'device-app:main';

interface Command {
  op: string;
  wall?: number;
  until?: number;
  phase?: 'began' | 'moved' | 'ended' | 'cancelled';
  x?: number;
  y?: number;
}

function start(wall: number): void {
  if (booted()) throw new Error('the device is already running');
  bootMachine(wall);
  resetScreen();
  try {
    // Piu's contract for the main module: its default export returns the application (piu.md).
    const app = main();
    if (app === undefined || app !== application()) throw new Error('main() did not return the Piu application');
  } catch (e) {
    uncaught(e, 'main');
  }
}

/** The answer, computed when xsnap reads it: after the promise jobs of the command ran. */
function answer(fired?: boolean): { readonly result: ArrayBuffer } {
  return {
    get result(): ArrayBuffer {
      const frame = updateScreen();
      const { log, uncaught: errors } = drainConsole();
      const body = {
        ticks: vm().ticks,
        next: nextTimerAt() ?? null,
        frame,
        log,
        uncaught: errors,
        ...(fired === undefined ? {} : { fired }),
      };
      return encodeUtf8(JSON.stringify(body)).buffer as ArrayBuffer;
    },
  };
}

function handleCommand(message: ArrayBuffer): { readonly result: ArrayBuffer } {
  const cmd = JSON.parse(decodeUtf8(new Uint8Array(message), true, false)) as Command;
  if (cmd.op === 'start') {
    start(cmd.wall!);
    return answer();
  }
  if (cmd.op === 'step') {
    const fired = fireNext(cmd.until!);
    if (!fired) idleUntil(cmd.until!);
    return answer(fired);
  }
  if (cmd.op === 'touch') return answer(touch(cmd.phase!, cmd.x!, cmd.y!));
  throw new Error(`device-app: unknown command ${cmd.op}`);
}

const g = globalThis as unknown as Record<string, unknown>;
g.__deviceApp = Object.freeze({ start });
g.handleCommand = handleCommand;
