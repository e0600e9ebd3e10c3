// `dm-agent device --device FILE [--server URL] [--transport http|mqtt] [--broker URL] [--state DIR]
//  [--answers FILE] [--trace FILE] [--log LEVEL]`: the agent as a device, with its button and schedule armed
// and its screen in the terminal. Keys: u = the update button (short press: check everything), l = a long
// press (pick a component on the screen), q = quit; a waiting screen takes y/n, arrows, Enter, Esc and text.
// Over MQTT a message on …/notify starts a check. Keys may be piped (`printf u | dm-agent device …`): when
// the input ends, the device finishes what it is doing and exits (0 if every session it ran ended well).
import { readFileSync } from 'node:fs';
import { listDeployed } from '../../agent/scomo/subtree.js';
import { startNodeDevice } from '../../platform/node/node-device.js';
import { TerminalDisplay, parseAnswers } from '../../platform/node/terminal-display.js';
import { TerminalButton, attachTerminalKeys } from '../../platform/node/terminal-keys.js';
import { StreamLog, isLogLevel } from '../../platform/node/log.js';
import { traceToFile } from '../../platform/node/trace.js';
import { brokerOption, parseArgs, need, oneOf, serverOption, str, UsageError } from '../args.js';
import { loadDevice } from './alert.js';
import { stateDirFor } from './run.js';

export async function deviceCommand(argv: string[], out: NodeJS.WritableStream, input: NodeJS.ReadStream = process.stdin): Promise<number> {
  const args = parseArgs(argv, { values: ['device', 'server', 'transport', 'broker', 'state', 'answers', 'trace', 'log'], booleans: [] });
  const desc = loadDevice(need(args, 'device'));
  const transport = oneOf(args, 'transport', ['http', 'mqtt'] as const, desc.transport?.kind ?? 'http');
  const server = serverOption(args, transport);
  const broker = brokerOption(args);
  const level = str(args, 'log') ?? 'info';
  if (!isLogLevel(level)) throw new UsageError(`--log must be one of error|warn|info|debug|trace, not '${level}'`);
  const answers = str(args, 'answers') ? parseAnswers(readFileSync(str(args, 'answers')!, 'utf8')) : [];
  const display = new TerminalDisplay(out, { answers, quietProgress: true });
  const button = new TerminalButton();
  let results: boolean[] = [];
  let onNotify: (() => void) | undefined;
  const dev = await startNodeDevice({
    desc, stateDir: str(args, 'state') ?? stateDirFor(desc.devInfo.devId), transport, display, button, log: new StreamLog(out, level),
    ...(server ? { serverUri: server } : {}),
    ...(broker ? { brokerUrl: broker } : {}),
    ...(str(args, 'trace') ? { trace: traceToFile(str(args, 'trace')!) } : {}),
    onNotify: () => onNotify?.(),
  });
  const controller = dev.agent.armTriggers();
  const run = dev.agent.runSession.bind(dev.agent);
  // Counts the sessions this run started, for the exit code.
  dev.agent.runSession = async () => {
    const r = await run();
    results.push(r.ok);
    out.write(`session ${r.ok ? 'ended well' : `failed: ${r.error?.message}`}: ${r.roundTrips} round trips; deployed: ` +
      `${listDeployed(dev.agent.tree).map((c) => `${c.name} ${c.version}`).join(', ')}\n`);
    return r;
  };
  onNotify = () => { out.write('server notification: checking for updates\n'); void controller.scheduleDue(); };
  if (dev.mqtt) await dev.mqtt.connect();
  out.write(`device ${desc.devInfo.devId} up (${transport}); deployed: ${listDeployed(dev.agent.tree).map((c) => `${c.name} ${c.version}`).join(', ')}\n`);
  out.write('keys: u = update, l = long press (pick a component), q = quit\n');
  let quit!: () => void;
  const stopped = new Promise<void>((resolve) => { quit = resolve; });
  const detach = attachTerminalKeys({ input, display, button, longPressMs: desc.button?.longPressMs ?? 2000, onQuit: () => quit() });
  input.once('end', () => {
    // Piped keys: let the last press reach the agent, then wait for the device to be idle.
    const settle = () => setTimeout(() => (controller.busy ? settle() : quit()), 500);
    settle();
  });
  process.once('SIGINT', () => quit());
  await stopped;
  detach();
  await dev.close();
  results = results.length ? results : [true];
  return results.every(Boolean) ? 0 : 1;
}
