// Bundle entry: exposes the driver to the host. On XS the host talks to it through xsnap commands
// (handleCommand / issueCommand); on Node it calls globalThis.__dmDriver directly.
import { startScenario, type HostCall } from './driver.js';
import { utf8Decode, utf8Encode } from '../../agent/util/bytes.js';

declare const issueCommand: (request: ArrayBuffer) => ArrayBuffer;

const g = globalThis as unknown as Record<string, unknown>;
g.__dmDriver = startScenario;

let current: ReturnType<typeof startScenario> | undefined;
const xsHost: HostCall = (op, arg) => new Uint8Array(issueCommand(utf8Encode(JSON.stringify({ op, arg })).buffer as ArrayBuffer));
const answer = (s: string) => utf8Encode(s).buffer as ArrayBuffer;

// Commands from the host: start a scenario, poll it (read after the job queue ran dry), or move time on.
g.handleCommand = (message: ArrayBuffer): ArrayBuffer => {
  const cmd = JSON.parse(utf8Decode(new Uint8Array(message))) as { op: string; scenario?: unknown };
  if (cmd.op === 'start') {
    current = startScenario(xsHost, cmd.scenario as never);
    return answer('started');
  }
  if (cmd.op === 'tick') return answer(current?.tick() ? 'ticked' : 'no-timer');
  if (cmd.op === 'poll') return answer(current?.poll() ?? 'pending');
  return answer(`unknown op ${cmd.op}`);
};
